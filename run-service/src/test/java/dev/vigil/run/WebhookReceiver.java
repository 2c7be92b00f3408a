package dev.vigil.run;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * A webhook receiver on a local port, as an app would run one: records every request, answers {@link #answer}, and
 * verifies signatures by the Standard Webhooks specification, written here from the specification and not shared
 * with run-service's signer.
 */
final class WebhookReceiver implements AutoCloseable {

    /** One request as received. */
    record Received(String path, String id, String timestamp, String signature, String body, int answeredWith) {
    }

    private final HttpServer server;
    final List<Received> received = new CopyOnWriteArrayList<>();
    /** The status the next requests are answered with. */
    final AtomicInteger answer = new AtomicInteger(204);

    WebhookReceiver() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", exchange -> {
            try (InputStream in = exchange.getRequestBody()) {
                String body = new String(in.readAllBytes(), StandardCharsets.UTF_8);
                int status = answer.get();
                var headers = exchange.getRequestHeaders();
                received.add(new Received(exchange.getRequestURI().getPath(), headers.getFirst("webhook-id"), headers.getFirst("webhook-timestamp"),
                        headers.getFirst("webhook-signature"), body, status));
                exchange.sendResponseHeaders(status, -1);
            } finally {
                exchange.close();
            }
        });
        server.start();
    }

    String url(String path) {
        return "http://127.0.0.1:" + server.getAddress().getPort() + path;
    }

    /** The requests answered 2xx: what the app took in. */
    List<Received> accepted() {
        List<Received> accepted = new ArrayList<>();
        for (Received r : received) {
            if (r.answeredWith() >= 200 && r.answeredWith() < 300) {
                accepted.add(r);
            }
        }
        return accepted;
    }

    /** Whether one of the signature's {@code v1,} entries is the HMAC-SHA256 of id.timestamp.body under the secret. */
    static boolean verifies(Received r, String secret) throws Exception {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(Base64.getDecoder().decode(secret.substring("whsec_".length())), "HmacSHA256"));
        byte[] expected = mac.doFinal((r.id() + "." + r.timestamp() + "." + r.body()).getBytes(StandardCharsets.UTF_8));
        for (String entry : r.signature().split(" ")) {
            String[] parts = entry.split(",", 2);
            if (parts.length == 2 && parts[0].equals("v1")
                    && MessageDigest.isEqual(expected, Base64.getDecoder().decode(parts[1]))) {
                return true;
            }
        }
        return false;
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
