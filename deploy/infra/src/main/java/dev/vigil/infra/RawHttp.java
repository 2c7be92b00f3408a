package dev.vigil.infra;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * Reads HTTP/1.1 responses off a raw socket, for tests that pipeline requests and for the benchmark's keep-alive load
 * (no client library pipelines, and none is as cheap).
 */
public final class RawHttp {

    private RawHttp() {
    }

    /** One response (a Content-Length or chunked body): its status line and its body. */
    public static String[] readResponse(InputStream in) throws IOException {
        String status = line(in);
        long length = 0;
        boolean chunked = false;
        for (String header = line(in); !header.isEmpty(); header = line(in)) {
            String lower = header.toLowerCase(Locale.ROOT);
            if (lower.startsWith("content-length:")) {
                length = Long.parseLong(lower.substring("content-length:".length()).trim());
            } else if (lower.startsWith("transfer-encoding:") && lower.contains("chunked")) {
                chunked = true;
            }
        }
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        if (!chunked) {
            copy(in, length, body);
        } else {
            for (long chunk = Long.parseLong(line(in).split(";")[0].trim(), 16); chunk > 0;
                 chunk = Long.parseLong(line(in).split(";")[0].trim(), 16)) {
                copy(in, chunk, body);
                line(in);
            }
            while (!line(in).isEmpty()) {
                // trailers
            }
        }
        return new String[] {status, body.toString(StandardCharsets.UTF_8)};
    }

    private static String line(InputStream in) throws IOException {
        StringBuilder line = new StringBuilder();
        for (int c = in.read(); c != '\n'; c = in.read()) {
            if (c < 0) {
                throw new EOFException("connection closed mid-response");
            }
            if (c != '\r') {
                line.append((char) c);
            }
        }
        return line.toString();
    }

    private static void copy(InputStream in, long n, ByteArrayOutputStream to) throws IOException {
        for (long left = n; left > 0; left--) {
            int c = in.read();
            if (c < 0) {
                throw new EOFException("connection closed mid-body");
            }
            to.write(c);
        }
    }
}
