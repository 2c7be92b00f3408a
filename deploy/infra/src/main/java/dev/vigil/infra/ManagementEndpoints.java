package dev.vigil.infra;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * What a security review probes first on a service's HTTP port: Micronaut's management endpoints, called
 * without credentials. Only probes and scrapes may answer ({@link #ANONYMOUS}); everything that reads or
 * changes the service's insides ({@link #PRIVATE}) must be off or need authentication.
 */
public final class ManagementEndpoints {

    /** One anonymous request. */
    public record Probe(String method, String path, String body) {

        static Probe get(String path) {
            return new Probe("GET", path, null);
        }

        static Probe post(String path, String body) {
            return new Probe("POST", path, body);
        }

        @Override
        public String toString() {
            return method + " " + path;
        }
    }

    /** Kubernetes' probes and Prometheus' scrape: these must answer without credentials. */
    public static final List<Probe> ANONYMOUS = List.of(Probe.get("/health"), Probe.get("/health/liveness"),
            Probe.get("/health/readiness"), Probe.get("/prometheus"));

    /**
     * Configuration, beans, routes, threads and caches to read; log levels, a context refresh and a shutdown to
     * cause. The logger changed is one nobody uses, and {@code /stop} comes last.
     */
    public static final List<Probe> PRIVATE = List.of(Probe.get("/env"), Probe.get("/env/micronaut"),
            Probe.get("/beans"), Probe.get("/info"), Probe.get("/loggers"), Probe.get("/loggers/ROOT"),
            Probe.get("/routes"), Probe.get("/threaddump"), Probe.get("/caches"), Probe.get("/metrics"),
            Probe.get("/refresh"), Probe.post("/refresh", "{}"),
            Probe.post("/loggers/vigil.security.probe", "{\"configuredLevel\":\"WARN\"}"),
            Probe.post("/stop", "{}"));

    /** How a private endpoint may answer an anonymous caller: not there, or not for you. */
    public static final Set<Integer> REFUSALS = Set.of(401, 403, 404, 405);

    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private ManagementEndpoints() {
    }

    /**
     * What is wrong with the service at {@code base}, one line per probe: an {@link #ANONYMOUS} probe that does not
     * answer 200, a {@link #PRIVATE} one that is not refused ({@link #REFUSALS}). Empty when all is well.
     */
    public static List<String> problems(URI base) {
        List<String> problems = new ArrayList<>();
        for (Probe probe : ANONYMOUS) {
            int status = status(base, probe);
            if (status != 200) {
                problems.add(probe + " answered " + status + " without credentials, expected 200");
            }
        }
        for (Probe probe : PRIVATE) {
            int status = status(base, probe);
            if (!REFUSALS.contains(status)) {
                problems.add(probe + " answered " + status + " without credentials, expected one of " + REFUSALS);
            }
        }
        return problems;
    }

    private static int status(URI base, Probe probe) {
        HttpRequest.Builder request = HttpRequest.newBuilder(base.resolve(probe.path()))
                .method(probe.method(), probe.body() == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(probe.body()));
        if (probe.body() != null) {
            request.header("Content-Type", "application/json");
        }
        try {
            return HTTP.send(request.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            throw new IllegalStateException(probe + " failed: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
