package dev.vigil.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vigil.contracts.event.RunCommand;
import dev.vigil.contracts.event.StopRun;
import dev.vigil.contracts.heartbeat.AgentPulse;
import dev.vigil.contracts.heartbeat.HeartbeatClient;
import dev.vigil.contracts.heartbeat.RunHeartbeat;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Simulated workers and agents that play the seeds' incidents against the running stack, through
 * the public interfaces only: a book generator that finishes (one that is OOM-killed mid-book, and one
 * whose chapter loop hangs while its heartbeat thread lives on), a chat turn whose server restarts mid-answer, a run that never starts, and an agent hosting
 * sessions with labelled Deployments/Services/Pods — one of whose sessions the user stops while the
 * agent lives (it stops it), and one that the user stops just as the agent's pod is replaced.
 */
public final class DemoFleet implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(DemoFleet.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final LocalStack stack;
    private final String token;
    private final HttpClient http = HttpClient.newHttpClient();
    private final HeartbeatClient workers;
    private final KubernetesClient kubernetes;
    private final ScheduledExecutorService scheduler = Executors.newScheduledThreadPool(4, r -> {
        Thread thread = new Thread(r, "demo-fleet");
        thread.setDaemon(true);
        return thread;
    });
    private final AtomicInteger sequence = new AtomicInteger();
    private final Set<String> stopping = ConcurrentHashMap.newKeySet();
    private final Map<String, RunHeartbeat> agentSessions = new ConcurrentHashMap<>();
    private final String workspace;
    private volatile AgentPulse agent;
    private volatile boolean running = true;

    /** The fleet of workspace {@code workspace}, creating its runs with {@code token} (of that workspace). */
    public DemoFleet(LocalStack stack, String workspace, String token) {
        this.stack = stack;
        this.workspace = workspace;
        this.token = token;
        this.workers = HeartbeatClient.builder(stack.kafkaBootstrap()).topicPrefix(stack.topics().prefix()).build();
        this.kubernetes = stack.kubernetes().client();
    }

    public DemoFleet start() {
        agent = workers.startAgent(workspace, "agent-1", Duration.ofSeconds(10));
        scheduler.scheduleWithFixedDelay(() -> guarded(this::bookThatFinishes), 0, 20, TimeUnit.SECONDS);
        scheduler.scheduleWithFixedDelay(() -> guarded(this::bookThatIsOomKilled), 3, 30, TimeUnit.SECONDS);
        scheduler.scheduleWithFixedDelay(() -> guarded(this::chatTurnWhoseServerRestarts), 6, 30, TimeUnit.SECONDS);
        scheduler.scheduleWithFixedDelay(() -> guarded(this::runThatNeverStarts), 9, 45, TimeUnit.SECONDS);
        scheduler.scheduleWithFixedDelay(() -> guarded(this::bookWhoseChapterLoopHangs), 15, 45, TimeUnit.SECONDS);
        scheduler.scheduleWithFixedDelay(() -> guarded(this::sessionStoppedWhileAgentLives), 12, 30, TimeUnit.SECONDS);
        scheduler.schedule(() -> guarded(this::sessionStoppedAsTheAgentPodIsReplaced), 40, TimeUnit.SECONDS);
        Thread commands = new Thread(this::agentObeysStops, "demo-agent-commands");
        commands.setDaemon(true);
        commands.start();
        return this;
    }

    /** Seed 001: heartbeat per chapter, finish at the end. */
    private void bookThatFinishes() throws Exception {
        String id = create("book-" + sequence.incrementAndGet(), "book-generation", "PT6S", null);
        RunHeartbeat heartbeat = workers.startRun(id, 1, Duration.ofSeconds(6));
        for (int chapter = 1; chapter <= 5 && running; chapter++) {
            heartbeat.progress(chapter, "wrote chapter " + chapter + " of 5");
            sleep(2_000);
        }
        heartbeat.close();
        post("/api/v1/runs/" + id + "/finish", "{\"outcome\":\"SUCCEEDED\",\"attempt\":1}");
    }

    /** Seed 001: the worker is OOM-killed mid-book; its run would stay 'running' forever. */
    private void bookThatIsOomKilled() throws Exception {
        String id = create("book-" + sequence.incrementAndGet(), "book-generation", "PT6S", null);
        RunHeartbeat heartbeat = workers.startRun(id, 1, Duration.ofSeconds(6));
        heartbeat.progress(2, "wrote chapter 2 of 5");
        sleep(4_000);
        heartbeat.close();
        LOG.info("demo: book worker of run {} OOM-killed; Vigil should time it out", id);
    }

    /**
     * Seed 001's deadlock: the chapter loop hangs while the heartbeat thread beats on, so only a progress timeout
     * ends it (TIMED_OUT, progress_stalled); the worker's later beats are a zombie's.
     */
    private void bookWhoseChapterLoopHangs() throws Exception {
        String id = createRun("hung-book-" + sequence.incrementAndGet(), "book-generation", "PT6S", null, "PT8S")
                .get("id").asText();
        RunHeartbeat heartbeat = workers.startRun(id, 1, Duration.ofSeconds(6));
        heartbeat.progress(3, "writing chapter 3 of 5");
        LOG.info("demo: book worker of run {} hangs in chapter 3; its heartbeats go on", id);
        sleep(20_000);
        heartbeat.close();
    }

    /** Seed 002: the server restarts mid-answer; the message would show 'processing' forever. */
    private void chatTurnWhoseServerRestarts() throws Exception {
        String id = create("chat-" + sequence.incrementAndGet(), "chat-turn", "PT5S", null);
        RunHeartbeat heartbeat = workers.startRun(id, 1, Duration.ofSeconds(5));
        sleep(3_000);
        heartbeat.close();
        LOG.info("demo: chat server answering run {} restarted mid-answer", id);
    }

    /** A job that is accepted but never picked up. */
    private void runThatNeverStarts() throws Exception {
        create("queued-" + sequence.incrementAndGet(), "job", "PT10S", null);
    }

    /** Seed 000, the happy path: the user stops a session and the agent stops it. */
    private void sessionStoppedWhileAgentLives() throws Exception {
        String id = agentSession();
        sleep(6_000);
        stopping.add(id);
        post("/api/v1/runs/" + id + "/stop", null);
    }

    /** Seed 000: the user stops a session and the agent pod is replaced before it processes the stop. */
    private void sessionStoppedAsTheAgentPodIsReplaced() throws Exception {
        String id = agentSession();
        sleep(6_000);
        post("/api/v1/runs/" + id + "/stop", null); // the agent never acts on this one
        agent.close();
        agentSessions.remove(id).close();
        LOG.info("demo: agent-1 replaced while session {} was being stopped; Vigil should force it and clean up", id);
        sleep(5_000);
        agent = workers.startAgent(workspace, "agent-1", Duration.ofSeconds(10)); // the new pod: same agent id, new instance
    }

    private String agentSession() throws Exception {
        JsonNode run = createRun("session-" + sequence.incrementAndGet(), "agent-session", "PT15S", "agent-1", null);
        String id = run.get("id").asText();
        // Exactly the run's cleanup selector, as run-service returned it: session, managed-by, workspace.
        Map<String, String> labels = JSON.convertValue(run.at("/cleanup/labels"),
                JSON.getTypeFactory().constructMapType(Map.class, String.class, String.class));
        String name = "session-" + id.substring(0, 8);
        List<HasMetadata> resources = List.of(
                new DeploymentBuilder().withNewMetadata().withName(name).withLabels(labels).endMetadata()
                        .withNewSpec().withReplicas(1).endSpec().build(),
                new ServiceBuilder().withNewMetadata().withName(name).withLabels(labels).endMetadata().build(),
                new PodBuilder().withNewMetadata().withName(name + "-0").withLabels(labels).endMetadata().build());
        String namespace = stack.options().namespace();
        resources.forEach(r -> kubernetes.resource(r).inNamespace(namespace).create());
        agentSessions.put(id, workers.startRun(id, 1, Duration.ofSeconds(15), "agent-1"));
        return id;
    }

    /** The agent reads vigil.commands: a StopRun for one of its sessions ends it as ABORTED. */
    private void agentObeysStops() {
        try (KafkaConsumer<String, RunCommand> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafkaBootstrap(),
                ConsumerConfig.GROUP_ID_CONFIG, "vigil.workers.demo-agent-1",
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "latest"), new StringDeserializer(),
                stack.topics().commands().valueSerde().deserializer())) {
            consumer.subscribe(List.of(stack.topics().commands().name()));
            while (running) {
                for (ConsumerRecord<String, RunCommand> record : consumer.poll(Duration.ofMillis(500))) {
                    if (record.value() instanceof StopRun stop && workspace.equals(stop.workspace())
                            && stopping.remove(stop.runId())) {
                        RunHeartbeat session = agentSessions.remove(stop.runId());
                        if (session != null) {
                            session.close();
                        }
                        post("/api/v1/runs/" + stop.runId() + "/finish", "{\"outcome\":\"ABORTED\",\"attempt\":"
                                + stop.attempt() + "}");
                    }
                }
            }
        } catch (Exception e) {
            if (running) {
                LOG.warn("demo agent stopped reading commands: {}", e.toString());
            }
        }
    }

    private String create(String key, String kind, String heartbeat, String agentId) throws Exception {
        return createRun(key, kind, heartbeat, agentId, null).get("id").asText();
    }

    private JsonNode createRun(String key, String kind, String heartbeat, String agentId, String progress) throws Exception {
        String body = "{\"key\":\"" + key + "\",\"kind\":\"" + kind + "\",\"timeouts\":{\"heartbeat\":\"" + heartbeat
                + "\",\"start\":\"PT10S\",\"stop\":\"PT8S\"" + (progress == null ? "" : ",\"progress\":\"" + progress + "\"")
                + "},\"cleanup\":{\"namespace\":\""
                + stack.options().namespace() + "\"}" + (agentId == null ? "" : ",\"agentId\":\"" + agentId + "\"") + "}";
        return JSON.readTree(post("/api/v1/runs", body).body());
    }

    private HttpResponse<String> post(String path, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(stack.runServiceUrl() + path))
                .POST(body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
                .header("Content-Type", "application/json").header("Authorization", "Bearer " + token).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private void guarded(Task task) {
        if (!running) {
            return;
        }
        try {
            task.run();
        } catch (Exception e) {
            if (running) {
                LOG.warn("demo step failed: {}", e.toString());
            }
        }
    }

    private interface Task {
        void run() throws Exception;
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis + ThreadLocalRandom.current().nextLong(200));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        running = false;
        scheduler.shutdownNow();
        workers.close();
        kubernetes.close();
    }
}
