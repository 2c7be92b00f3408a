package dev.vigil.contracts.serde;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vigil.contracts.VigilHeaders;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;

class DeadLettersTest {

    @Test
    void keepsTheRecordByteForByteAndSaysWhyAndWhence() {
        byte[] garbage = {1, 2, 3};
        ConsumerRecord<byte[], byte[]> rejected = new ConsumerRecord<>("vigil.heartbeats", 4, 99L, "k".getBytes(), garbage);
        rejected.headers().add("trace", "abc".getBytes());
        ProducerRecord<byte[], byte[]> dead = DeadLetters.of("vigil.dead-letters", rejected, "sweeper",
                new InvalidEventException("not valid JSON: boom"));

        assertThat(dead.topic()).isEqualTo("vigil.dead-letters");
        assertThat(dead.key()).isEqualTo("k".getBytes());
        assertThat(dead.value()).isEqualTo(garbage);
        assertThat(header(dead, "trace")).isEqualTo("abc");
        assertThat(header(dead, VigilHeaders.DLQ_REASON)).isEqualTo("not valid JSON: boom");
        assertThat(header(dead, VigilHeaders.DLQ_ERROR_CLASS)).isEqualTo(InvalidEventException.class.getName());
        assertThat(header(dead, VigilHeaders.DLQ_SOURCE_TOPIC)).isEqualTo("vigil.heartbeats");
        assertThat(header(dead, VigilHeaders.DLQ_SOURCE_PARTITION)).isEqualTo("4");
        assertThat(header(dead, VigilHeaders.DLQ_SOURCE_OFFSET)).isEqualTo("99");
        assertThat(header(dead, VigilHeaders.DLQ_CONSUMER)).isEqualTo("sweeper");
        assertThat(header(dead, VigilHeaders.DLQ_FAILED_AT)).isNotBlank();
    }

    @Test
    void capsLongReasons() {
        assertThat(DeadLetters.reason(new IllegalStateException("x".repeat(5000)))).hasSize(1027);
        assertThat(DeadLetters.reason(new NullPointerException())).isEqualTo("NullPointerException");
    }

    private static String header(ProducerRecord<byte[], byte[]> record, String key) {
        return new String(record.headers().lastHeader(key).value(), StandardCharsets.UTF_8);
    }
}
