package dev.vigil.benchmark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The load generator's HTTP/1.1 reader: one response at a time off a keep-alive stream, whatever its framing. */
class HttpHeartbeatBenchmarkTest {

    private static InputStream stream(String text) {
        return new ByteArrayInputStream(text.getBytes(StandardCharsets.US_ASCII));
    }

    @Test
    void readsBackToBackResponsesFramedByLengthAndByChunks() throws Exception {
        InputStream in = stream("HTTP/1.1 202 Accepted\r\nContent-Length: 5\r\nContent-Type: application/json\r\n\r\n{\"a\"}"
                + "HTTP/1.1 429 Too Many Requests\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n"
                + "HTTP/1.1 401 Unauthorized\r\ncontent-length: 0\r\n\r\n");

        assertThat(HttpHeartbeatBenchmark.readResponse(in)).isEqualTo(202);
        assertThat(HttpHeartbeatBenchmark.readResponse(in)).isEqualTo(429);
        assertThat(HttpHeartbeatBenchmark.readResponse(in)).isEqualTo(401);
        assertThat(in.read()).isEqualTo(-1);
    }

    @Test
    void aConnectionClosedMidResponseIsAnErrorNotAStatus() {
        assertThatThrownBy(() -> HttpHeartbeatBenchmark.readResponse(stream("HTTP/1.1 202 Accepted\r\nContent-Length: 9\r\n\r\n{}")))
                .isInstanceOf(EOFException.class);
        assertThatThrownBy(() -> HttpHeartbeatBenchmark.readResponse(stream("HTTP/1.1 202 Acc")))
                .isInstanceOf(EOFException.class);
    }
}
