package dev.vigil.cleaner;

import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.mockwebserver.dsl.HttpMethod;
import io.fabric8.mockwebserver.http.Buffer;
import io.fabric8.mockwebserver.http.Dispatcher;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * fabric8's CRUD mock API server with failures on demand: the next calls to a path answer the given
 * HTTP codes, then the CRUD behaviour resumes. It can also ignore label selectors, as a server
 * would that did not understand them, and it records every request. Unlike the plain CRUD mock, it
 * enforces a DELETE's preconditions (UID, resourceVersion) with a 409, as a real API server does.
 */
public final class FaultInjectingDispatcher extends Dispatcher {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final KubernetesCrudDispatcher crud = new KubernetesCrudDispatcher();
    private final Map<String, Deque<Integer>> faults = new ConcurrentHashMap<>();
    private final List<String> requests = new CopyOnWriteArrayList<>();
    private volatile boolean ignoreLabelSelectors;

    /**
     * The next {@code codes.length} {@code method} requests to {@code path} (query ignored) answer these codes;
     * {@code method} {@code WATCH} is a GET with {@code watch=true}, {@code GET} any other.
     */
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

    /** How many requests reached the server, watches included, failed or not. */
    public long total() {
        return requests.size();
    }

    /** How many {@code method} requests reached the server, on any path, failed or not. */
    public long count(String method) {
        return requests.stream().filter(r -> r.startsWith(method + " ")).count();
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
        // A watch is its own verb here, so that failing a list never fails an informer's watch by chance.
        String verb = query >= 0 && path.substring(query).contains("watch=true") ? "WATCH" : request.getMethod();
        String key = verb + " " + bare;
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
        if ("DELETE".equals(request.getMethod())) {
            MockResponse conflict = failedPrecondition(request, bare);
            if (conflict != null) {
                return conflict;
            }
        }
        if (ignoreLabelSelectors && query >= 0 && path.contains("labelSelector=")) {
            request = new RecordedRequest(request.getHttpVersion(), request.method(), bare, request.getHeaders(),
                    request.getBody());
        }
        return crud.dispatch(request);
    }

    private MockResponse failedPrecondition(RecordedRequest request, String path) {
        try {
            String body = request.getBody() == null ? "" : request.getUtf8Body();
            JsonNode preconditions = body.isBlank() ? null : JSON.readTree(body).get("preconditions");
            if (preconditions == null) {
                return null;
            }
            MockResponse current = crud.dispatch(new RecordedRequest(request.getHttpVersion(), HttpMethod.GET, path,
                    request.getHeaders(), new Buffer()));
            if (current.code() != 200) {
                return null;
            }
            JsonNode metadata = JSON.readTree(current.getBody().readUtf8()).path("metadata");
            for (String field : new String[] {"uid", "resourceVersion"}) {
                JsonNode wanted = preconditions.get(field);
                if (wanted != null && !wanted.isNull() && !wanted.asText().equals(metadata.path(field).asText())) {
                    return new MockResponse().setResponseCode(409).setBody("{\"kind\":\"Status\",\"apiVersion\":\"v1\","
                            + "\"status\":\"Failure\",\"reason\":\"Conflict\",\"code\":409,\"message\":\"Precondition "
                            + "failed: " + field + " in precondition: " + wanted.asText() + ", " + field + " in object meta: "
                            + metadata.path(field).asText() + "\"}");
                }
            }
            return null;
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
