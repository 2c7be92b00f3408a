package dev.vigil.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * The run API as a worker or app backend uses it, for harnesses driving the local stack (the fault
 * suite, the benchmark): run-service may be dead, so every call is retried until it answers
 * (connection refused, 5xx), the way a real client library would. Runs' resources go in
 * {@code agents}, the local stack's namespace.
 */
public final class RunApi {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration GIVE_UP = Duration.ofMinutes(3);

    private final String base;
    private final String token;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    public RunApi(String base, String token) {
        this.base = base;
        this.token = token;
    }

    /** Creates a run; a create whose answer was lost comes back as 409 naming the run it made. */
    public String create(String key, String timeouts) {
        Response r = call("POST", "/api/v1/runs", "{\"key\":\"" + key + "\",\"timeouts\":" + timeouts
                + ",\"cleanup\":{\"namespace\":\"agents\"}}");
        if (r.status == 201) {
            return r.json.get("id").asText();
        }
        String detail = r.json.path("detail").asText();
        if (r.status == 409 && detail.startsWith("another run is active for key '" + key + "': ")) {
            return detail.substring(detail.lastIndexOf(' ') + 1);
        }
        throw new IllegalStateException("create " + key + " answered " + r.status + " " + detail);
    }

    public int finish(String id, String outcome, int attempt) {
        return call("POST", "/api/v1/runs/" + id + "/finish", "{\"outcome\":\"" + outcome + "\",\"attempt\":" + attempt + "}")
                .status;
    }

    public int stop(String id) {
        return call("POST", "/api/v1/runs/" + id + "/stop", null).status;
    }

    /** Retries the run; 409 "still PENDING" after a lost answer means it already happened. */
    public int retry(String id) {
        return call("POST", "/api/v1/runs/" + id + "/retry", null).status;
    }

    /**
     * Retries the run and returns the new attempt's heartbeat token from the retry's own answer, so a
     * worker can beat at once; null if that answer did not carry attempt {@code attempt}'s (it was
     * lost and the repeat was refused, or no tokens are issued).
     */
    public String retryForToken(String id, int attempt) {
        Response r = call("POST", "/api/v1/runs/" + id + "/retry", null);
        JsonNode heartbeat = r.json.path("heartbeat");
        return r.status == 200 && heartbeat.path("attempt").asInt() == attempt ? heartbeat.path("token").textValue() : null;
    }

    public JsonNode get(String id) {
        return call("GET", "/api/v1/runs/" + id, null).json;
    }

    /** The heartbeat token of the run's current attempt, if that is {@code attempt} (null otherwise or if none is issued). */
    public String heartbeatToken(String id, int attempt) {
        JsonNode heartbeat = get(id).path("heartbeat");
        return heartbeat.path("attempt").asInt() == attempt ? heartbeat.path("token").textValue() : null;
    }

    private Response call(String method, String path, String body) {
        long deadline = System.nanoTime() + GIVE_UP.toNanos();
        while (true) {
            try {
                HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(base + path))
                        .timeout(Duration.ofSeconds(10))
                        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
                        .header("Content-Type", "application/json").header("Authorization", "Bearer " + token).build(),
                        HttpResponse.BodyHandlers.ofString());
                if (response.statusCode() < 500) {
                    return new Response(response.statusCode(), response.body().isEmpty() ? JSON.createObjectNode()
                            : JSON.readTree(response.body()));
                }
            } catch (IOException retry) {
                // run-service is down or restarting
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(method + " " + path + " got no answer within " + GIVE_UP);
            }
            try {
                Thread.sleep(250);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
    }

    private record Response(int status, JsonNode json) {
    }
}
