package dev.vigil.local;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.fabric8.mockwebserver.http.Response;
import io.fabric8.mockwebserver.http.WebSocket;
import io.fabric8.mockwebserver.http.WebSocketListener;
import java.lang.reflect.Field;
import java.net.InetAddress;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.stream.Collectors;

/**
 * A Kubernetes API for the local stack and the end-to-end test: fabric8's mock server in CRUD mode
 * (the real REST API: create, get, list with label selectors, delete), plus the discovery documents
 * ({@code /version}, {@code /api}, {@code /apis}, {@code /api/v1}, {@code /apis/apps/v1}, ...) the
 * plain mock lacks, so the real {@code kubectl --server ...} can list and delete in it, short names
 * ({@code kubectl get deploy,svc,po}) included. No controllers run: a Deployment creates no Pods.
 *
 * <p>Watches end off the server's event loop ({@code WatchEnding}): fabric8's mock waits there for the
 * watch's sender thread, which may itself wait for a write that only that event loop can finish, so a
 * watcher that died with events still unsent (the fault suite's {@code kill -9 cleaner}) stalled every
 * request on the same event loop for 30 s or more.
 */
public final class KubernetesApi implements AutoCloseable {

    /**
     * group/version → resources: plural, kind, the short names kubectl resolves ({@code deploy}, {@code svc}, ...)
     * and whether {@code kubectl get all} includes it, as a real API server's discovery says.
     */
    private static final Map<String, List<Resource>> RESOURCES = Map.of(
            "v1", List.of(new Resource("pods", "Pod", List.of("po"), true),
                    new Resource("services", "Service", List.of("svc"), true),
                    new Resource("configmaps", "ConfigMap", List.of("cm"), false),
                    new Resource("secrets", "Secret", List.of(), false),
                    new Resource("persistentvolumeclaims", "PersistentVolumeClaim", List.of("pvc"), false),
                    new Resource("namespaces", "Namespace", List.of("ns"), false)),
            "apps/v1", List.of(new Resource("deployments", "Deployment", List.of("deploy"), true),
                    new Resource("statefulsets", "StatefulSet", List.of("sts"), true),
                    new Resource("replicasets", "ReplicaSet", List.of("rs"), true)),
            "batch/v1", List.of(new Resource("jobs", "Job", List.of(), true)),
            "networking.k8s.io/v1", List.of(new Resource("ingresses", "Ingress", List.of("ing"), false)));

    /** One resource type in a discovery document. */
    private record Resource(String plural, String kind, List<String> shortNames, boolean inAll) {

        String json() {
            return "{\"name\":\"" + plural + "\",\"singularName\":\"" + kind.toLowerCase(java.util.Locale.ROOT)
                    + "\",\"namespaced\":" + !"Namespace".equals(kind) + ",\"kind\":\"" + kind
                    + "\",\"verbs\":[\"create\",\"delete\",\"deletecollection\",\"get\",\"list\",\"patch\","
                    + "\"update\",\"watch\"]" + array("shortNames", shortNames)
                    + array("categories", inAll ? List.of("all") : List.of()) + "}";
        }

        private static String array(String name, List<String> values) {
            return values.isEmpty() ? "" : ",\"" + name + "\":[" + values.stream().map(v -> "\"" + v + "\"")
                    .collect(Collectors.joining(",")) + "]";
        }
    }

    private final KubernetesMockServer server;
    private final DiscoveringCrudDispatcher dispatcher;

    private KubernetesApi(KubernetesMockServer server, DiscoveringCrudDispatcher dispatcher) {
        this.server = server;
        this.dispatcher = dispatcher;
    }

    /** Starts on {@code port} (0 for any) on the loopback address. */
    public static KubernetesApi start(int port) {
        DiscoveringCrudDispatcher dispatcher = new DiscoveringCrudDispatcher();
        KubernetesMockServer server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
                dispatcher, false);
        try {
            server.init(InetAddress.getLoopbackAddress(), port);
        } catch (Exception e) {
            throw new IllegalStateException("could not start the Kubernetes API on port " + port, e);
        }
        return new KubernetesApi(server, dispatcher);
    }

    /**
     * How many requests of {@code verb} it has answered so far: {@code GET} (a get or a list), {@code WATCH} (a GET
     * with {@code watch=true}, one per watch however long it lasts), {@code POST}, {@code PUT}, {@code PATCH},
     * {@code DELETE}. Discovery requests are not counted.
     */
    public long requests(String verb) {
        LongAdder count = dispatcher.requests.get(verb);
        return count == null ? 0 : count.sum();
    }

    /** How many watches are open: a watch leaves as soon as its end begins. */
    int openWatches() {
        return dispatcher.watches.size();
    }

    /** The API server URL, e.g. {@code http://127.0.0.1:6443/}. */
    public String url() {
        return server.url("/");
    }

    /** A fabric8 client for it. */
    public KubernetesClient client() {
        return server.createClient();
    }

    @Override
    public void close() {
        server.destroy();
        dispatcher.endings.shutdownNow();
    }

    /** The CRUD dispatcher, answering discovery requests itself and ending watches off the event loop. */
    private static final class DiscoveringCrudDispatcher extends KubernetesCrudDispatcher {

        private final Map<String, LongAdder> requests = new ConcurrentHashMap<>();
        /** The open watches the CRUD dispatcher sends each change to. */
        private final Set<?> watches;
        /** Held (shared) by every request that may send watch events; see {@link WatchEnding#end}. */
        private final ReadWriteLock sending = new ReentrantReadWriteLock();
        private final ExecutorService endings = Executors.newCachedThreadPool(task -> {
            Thread thread = new Thread(task, "kubernetes-api-watch-end");
            thread.setDaemon(true);
            return thread;
        });

        DiscoveringCrudDispatcher() {
            try {
                Field field = KubernetesCrudDispatcher.class.getDeclaredField("watchEventListeners");
                field.setAccessible(true);
                watches = (Set<?>) field.get(this);
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException("this fabric8 mock server keeps its watches elsewhere", e);
            }
        }

        @Override
        public MockResponse dispatch(RecordedRequest request) {
            String[] pathAndQuery = (request.getPath() == null ? "" : request.getPath()).split("\\?", 2);
            String path = pathAndQuery[0];
            String body = "GET".equals(request.getMethod()) ? discovery(path) : null;
            if (body != null) {
                return new MockResponse().setResponseCode(200).addHeader("Content-Type", "application/json").setBody(body);
            }
            boolean watch = pathAndQuery.length > 1 && pathAndQuery[1].contains("watch=true");
            requests.computeIfAbsent(watch ? "WATCH" : request.getMethod(), verb -> new LongAdder()).increment();
            if ("GET".equals(request.getMethod())) {
                MockResponse response = super.dispatch(request);
                WebSocketListener listener = response.getWebSocketListener();
                return listener == null ? response : response.withWebSocketUpgrade(new WatchEnding(listener));
            }
            sending.readLock().lock();
            try {
                return super.dispatch(request);
            } finally {
                sending.readLock().unlock();
            }
        }

        /**
         * A watch whose end (the client closed it, or its connection broke) runs on a thread of its own instead
         * of the event loop. The watch first leaves the set of open watches, and the end waits for any request
         * still sending to it: fabric8's watch stops its sender when it ends, and a change sent to a stopped
         * sender fails the request that made it and is never sent to the watches after it.
         */
        private final class WatchEnding extends WebSocketListener {

            private final WebSocketListener watch;
            private final AtomicBoolean ended = new AtomicBoolean();

            WatchEnding(WebSocketListener watch) {
                this.watch = watch;
            }

            @Override
            public void onBeforeAccept(WebSocket webSocket, Response response) {
                watch.onBeforeAccept(webSocket, response);
            }

            @Override
            public void onOpen(WebSocket webSocket, Response response) {
                watch.onOpen(webSocket, response);
            }

            @Override
            public void onMessage(WebSocket webSocket, String text) {
                watch.onMessage(webSocket, text);
            }

            @Override
            public void onMessage(WebSocket webSocket, byte[] bytes) {
                watch.onMessage(webSocket, bytes);
            }

            @Override
            public void onClosing(WebSocket webSocket, int code, String reason) {
                watch.onClosing(webSocket, code, reason);
            }

            @Override
            public void onClosed(WebSocket webSocket, int code, String reason) {
                end(() -> watch.onClosed(webSocket, code, reason));
            }

            @Override
            public void onFailure(WebSocket webSocket, Throwable error, Response response) {
                end(() -> watch.onFailure(webSocket, error, response));
            }

            private void end(Runnable ending) {
                if (!ended.compareAndSet(false, true)) {
                    return;
                }
                endings.execute(() -> {
                    watches.remove(watch);
                    sending.writeLock().lock();
                    sending.writeLock().unlock();
                    ending.run();
                });
            }
        }

        private static String discovery(String path) {
            return switch (path) {
                case "/version" -> """
                        {"major":"1","minor":"32","gitVersion":"v1.32.0-vigil-local","platform":"linux/amd64"}""";
                case "/api" -> """
                        {"kind":"APIVersions","versions":["v1"],"serverAddressByClientCIDRs":\
                        [{"clientCIDR":"0.0.0.0/0","serverAddress":"127.0.0.1"}]}""";
                case "/apis" -> "{\"kind\":\"APIGroupList\",\"apiVersion\":\"v1\",\"groups\":["
                        + RESOURCES.keySet().stream().filter(gv -> gv.contains("/")).sorted().map(gv -> {
                            String group = gv.substring(0, gv.indexOf('/'));
                            String version = "{\"groupVersion\":\"" + gv + "\",\"version\":\"v1\"}";
                            return "{\"name\":\"" + group + "\",\"versions\":[" + version + "],\"preferredVersion\":"
                                    + version + "}";
                        }).collect(Collectors.joining(",")) + "]}";
                case "/api/v1" -> resources("v1");
                default -> path.startsWith("/apis/") ? resources(path.substring("/apis/".length())) : null;
            };
        }

        private static String resources(String groupVersion) {
            List<Resource> resources = RESOURCES.get(groupVersion);
            if (resources == null) {
                return null;
            }
            return "{\"kind\":\"APIResourceList\",\"apiVersion\":\"v1\",\"groupVersion\":\"" + groupVersion
                    + "\",\"resources\":[" + resources.stream().map(Resource::json).collect(Collectors.joining(","))
                    + "]}";
        }
    }
}
