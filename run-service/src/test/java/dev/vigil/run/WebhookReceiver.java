package dev.vigil.run;

import com.sun.net.httpserver.HttpServer;
import dev.vigil.contracts.webhook.WebhookVerifier;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A webhook receiver on a local port, as an app would run one: records every request, answers {@link #answer}, and
 * verifies signatures with the contracts' {@link WebhookVerifier}, written apart from run-service's signer.
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

    /** Whether the request is signed with the secret, by the contracts' verifier (written apart from the signer). */
    static boolean verifies(Received r, String secret) {
        return new WebhookVerifier(secret).verifies(r.id(), r.timestamp(), r.signature(), r.body(), Instant.now());
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
