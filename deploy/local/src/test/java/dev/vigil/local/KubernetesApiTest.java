package dev.vigil.local;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * The local stack's Kubernetes API keeps answering when a watching client dies (the fault suite's
 * {@code kill -9 cleaner}). fabric8's mock server ends a watch by waiting, on its event loop, for the
 * watch's sender thread to finish, and that thread waits for a write only the same event loop can
 * complete: every connection on that loop stalled for 30 s or more (short fault seed 57: every POST of
 * the harness timed out for 20 s after the cleaner was killed). A change made meanwhile failed, and the
 * watches still open never heard of it.
 */
class KubernetesApiTest {

    private static final String NS = "agents";

    @Test
    void aWatcherKilledWithUnsentEventsDoesNotStallOtherRequests() throws Exception {
        Set<String> seen = ConcurrentHashMap.newKeySet();
        try (KubernetesApi api = KubernetesApi.start(0); KubernetesClient client = api.client();
             Watch live = client.configMaps().inNamespace(NS).watch(new Watcher<>() {
                 @Override
                 public void eventReceived(Action action, ConfigMap configMap) {
                     seen.add(configMap.getMetadata().getName());
                 }

                 @Override
                 public void onClose(WatcherException cause) {
                 }
             })) {
            URI url = URI.create(api.url());
            // A watcher that stops reading, as a process does when it is SIGSTOPped or killed: the server's
            // writes to it back up.
            Socket watcher = new Socket();
            watcher.setReceiveBufferSize(4096);
            watcher.connect(new InetSocketAddress(url.getHost(), url.getPort()));
            watcher.getOutputStream().write(("GET /api/v1/namespaces/" + NS + "/configmaps?watch=true HTTP/1.1\r\n"
                    + "Host: " + url.getHost() + ":" + url.getPort() + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            assertThat(head(watcher.getInputStream())).startsWith("HTTP/1.1 101");
            Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> api.openWatches() == 2);

            String payload = "x".repeat(64 * 1024);
            for (int i = 0; i < 300; i++) {
                client.configMaps().inNamespace(NS).resource(new ConfigMapBuilder().withNewMetadata()
                        .withName("big-" + i).endMetadata().withData(Map.of("payload", payload)).build()).create();
            }
            // kill -9: the kernel resets the connection.
            watcher.setSoLinger(true, 0);
            watcher.close();
            Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> api.openWatches() == 1);

            // A change made now is answered in time and reaches the watch that is still open.
            long start = System.nanoTime();
            client.configMaps().inNamespace(NS).resource(new ConfigMapBuilder().withNewMetadata().withName("after-kill")
                    .endMetadata().build()).create();
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> seen.contains("after-kill"));

            // Every event loop answers: fresh connections are spread over them in turn.
            List<String> answers = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                answers.add(get(url, "/api/v1/namespaces/" + NS + "/configmaps/big-0"));
            }
            assertThat(answers).allMatch(answer -> answer.startsWith("HTTP/1.1 200"), "answered 200 within 5 s");
        }
    }

    /** The status line of a GET on a new connection, or what went wrong within 5 s. */
    private static String get(URI url, String path) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(url.getHost(), url.getPort()), 5_000);
            socket.setSoTimeout(5_000);
            socket.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: " + url.getHost() + "\r\n"
                    + "Connection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            return head(socket.getInputStream());
        } catch (IOException e) {
            return e.toString();
        }
    }

    private static String head(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) != -1) {
            head.write(b);
            if (head.toString(StandardCharsets.US_ASCII).endsWith("\r\n\r\n")) {
                break;
            }
        }
        return head.toString(StandardCharsets.US_ASCII);
    }
}
