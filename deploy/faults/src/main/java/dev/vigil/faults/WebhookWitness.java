package dev.vigil.faults;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dev.vigil.contracts.webhook.WebhookVerifier;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The app the fault suite's workspace tells of its runs' ends: a webhook receiver on a local port, subscribed to
 * {@code run.finished} and {@code run.timed_out}, that checks every delivery's signature with the contracts'
 * verifier and, to be the receiver apps really run, answers one delivery in ten with a 503 (seeded). The verdict
 * compares what it accepted with the runs' terminal rows: an end never told is a lost webhook.
 */
final class WebhookWitness implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpServer server;
    private final Random refusals;
    private volatile WebhookVerifier verifier;
    /** Run id and attempt of each end told, with how many times its webhook-id was accepted. */
    private final Map<String, AtomicInteger> accepted = new ConcurrentHashMap<>();
    private final Set<String> ends = ConcurrentHashMap.newKeySet();
    private final AtomicInteger badlySigned = new AtomicInteger();
    private final AtomicInteger refused = new AtomicInteger();

    WebhookWitness(long seed) throws IOException {
        this.refusals = new Random(seed);
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", exchange -> {
            try (InputStream in = exchange.getRequestBody()) {
                String body = new String(in.readAllBytes(), StandardCharsets.UTF_8);
                var headers = exchange.getRequestHeaders();
                String id = headers.getFirst("webhook-id");
                WebhookVerifier current = verifier;
                if (current == null || !current.verifies(id, headers.getFirst("webhook-timestamp"),
                        headers.getFirst("webhook-signature"), body, Instant.now())) {
                    badlySigned.incrementAndGet();
                    exchange.sendResponseHeaders(401, -1);
                    return;
                }
                boolean refuse;
                synchronized (refusals) {
                    refuse = refusals.nextInt(10) == 0;
                }
                if (refuse) {
                    refused.incrementAndGet();
                    exchange.sendResponseHeaders(503, -1);
                    return;
                }
                JsonNode event = JSON.readTree(body);
                ends.add(event.at("/data/run/id").asText() + "#" + event.at("/data/attempt").asInt());
                accepted.computeIfAbsent(id, k -> new AtomicInteger()).incrementAndGet();
                exchange.sendResponseHeaders(204, -1);
            } catch (RuntimeException e) {
                exchange.sendResponseHeaders(500, -1);
            } finally {
                exchange.close();
            }
        });
        server.start();
    }

    /** Subscribes the receiver to the workspace's runs' ends, with {@code token} (an operator's of the workspace). */
    void subscribe(String runServiceUrl, String token) throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        String url = "http://127.0.0.1:" + server.getAddress().getPort() + "/vigil-hooks";
        long deadline = System.nanoTime() + Duration.ofMinutes(1).toNanos();
        while (true) {
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(runServiceUrl + "/api/v1/webhooks"))
                    .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"url\":\"" + url
                            + "\",\"events\":[\"run.finished\",\"run.timed_out\"]}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() == 201) {
                verifier = new WebhookVerifier(JSON.readTree(response.body()).get("secret").asText());
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("could not subscribe the webhook witness: " + response.statusCode() + " "
                        + response.body());
            }
            Thread.sleep(500);
        }
    }

    /** Whether the end of {@code runId}'s attempt was told (accepted at least once). */
    boolean toldEnd(String runId, int attempt) {
        return ends.contains(runId + "#" + attempt);
    }

    int badlySigned() {
        return badlySigned.get();
    }

    /** Deliveries accepted again with a webhook-id already accepted: at least once allows it, the id makes it safe. */
    long redelivered() {
        return accepted.values().stream().mapToLong(n -> n.get() - 1).sum();
    }

    int refused() {
        return refused.get();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
