package dev.vigil.cleaner;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.http.Dispatcher;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * fabric8's CRUD mock API server with failures on demand: the next calls to a path answer the given
 * HTTP codes, then the CRUD behaviour resumes. It can also ignore label selectors, as a server
 * would that did not understand them, and it records every request.
 */
public final class FaultInjectingDispatcher extends Dispatcher {

    private final KubernetesCrudDispatcher crud = new KubernetesCrudDispatcher();
    private final Map<String, Deque<Integer>> faults = new ConcurrentHashMap<>();
    private final List<String> requests = new CopyOnWriteArrayList<>();
    private volatile boolean ignoreLabelSelectors;

    /** Starts a mock server with this dispatcher and returns it; {@link #client(KubernetesMockServer)} talks to it. */
    public static KubernetesMockServer start(FaultInjectingDispatcher dispatcher) {
        KubernetesMockServer server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
                dispatcher, false);
        server.init();
        return server;
    }

    /** A client of {@code server} without fabric8's own retries, as the service configures it. */
    public static KubernetesClient client(KubernetesMockServer server) {
        try (KubernetesClient base = server.createClient()) {
            Config config = new ConfigBuilder(base.getConfiguration()).withRequestRetryBackoffLimit(0).build();
            return new KubernetesClientBuilder().withConfig(config).build();
        }
    }

    /** The next {@code codes.length} {@code method} requests to {@code path} (query ignored) answer these codes. */
    public void failNext(String method, String path, int... codes) {
        Deque<Integer> queue = faults.computeIfAbsent(method + " " + path, k -> new ArrayDeque<>());
        synchronized (queue) {
            for (int code : codes) {
                queue.add(code);
            }
        }
    }

    public void ignoreLabelSelectors(boolean ignore) {
        ignoreLabelSelectors = ignore;
    }

    /** How many {@code method} requests reached {@code path} (query ignored), failed or not. */
    public long count(String method, String path) {
        return requests.stream().filter(r -> r.equals(method + " " + path)).count();
    }

    @Override
    public MockResponse dispatch(RecordedRequest request) {
        String path = request.getPath();
        int query = path.indexOf('?');
        String bare = query < 0 ? path : path.substring(0, query);
        String key = request.getMethod() + " " + bare;
        requests.add(key);
        Deque<Integer> queue = faults.get(key);
        if (queue != null) {
            Integer code;
            synchronized (queue) {
                code = queue.poll();
            }
            if (code != null) {
                return new MockResponse().setResponseCode(code).setBody("{\"kind\":\"Status\",\"apiVersion\":\"v1\","
                        + "\"status\":\"Failure\",\"message\":\"injected failure " + code + "\",\"code\":" + code + "}");
            }
        }
        if (ignoreLabelSelectors && query >= 0 && path.contains("labelSelector=")) {
            request = new RecordedRequest(request.getHttpVersion(), request.method(), bare, request.getHeaders(),
                    request.getBody());
        }
        return crud.dispatch(request);
    }
}
