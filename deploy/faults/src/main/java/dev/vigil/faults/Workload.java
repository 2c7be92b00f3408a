package dev.vigil.faults;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vigil.contracts.Labels;
import dev.vigil.contracts.heartbeat.HeartbeatClient;
import dev.vigil.contracts.heartbeat.RunHeartbeat;
import dev.vigil.local.RunApi;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The runs the fault suite plays, each with a planned fate, in workspace {@value #WORKSPACE}: created
 * through the API with a Deployment and Service labelled as Vigil documents, heartbeating through the
 * Java client, and then finishing, dying, being stopped, never starting, being retried beside the
 * zombie of their first attempt, or hanging while their heartbeats go on (progress stalled). Runs that finish and
 * runs that stall have their progress watched, and report it every second until they finish or hang. Every tenth run also gets neighbours the cleaner must never touch.
 */
final class Workload {

    static final String WORKSPACE = "faults";
    static final String NAMESPACE = "agents";
    static final Duration HEARTBEAT = Duration.ofSeconds(6);
    private static final String TIMEOUTS = "{\"heartbeat\":\"PT6S\",\"start\":\"PT8S\",\"stop\":\"PT10S\",\"maxDuration\":\"PT1H\"}";
    /** How long a watched run's progress may stand still. */
    static final Duration PROGRESS = Duration.ofSeconds(8);
    private static final String WATCHED = TIMEOUTS.replace("}", ",\"progress\":\"PT8S\",\"onStall\":\"fail\"}");

    /**
     * How long a step waits for the run to reach the state it needs, and the verdict for every run to settle: longer
     * than any detection delay the long profile produces (up to about 3 min, when a broker outage, a stopped sweeper
     * and both sweepers' kills follow each other within it), so a slow finalization is reported as a delay, in its
     * row, and not as a step that failed and a run lost.
     */
    static final Duration FINALIZED_WITHIN = Duration.ofMinutes(5);

    /** What happens to a run. */
    enum Fate { FINISHES, DIES, STOPPED_AGENT_LIVES, STOPPED_AGENT_VANISHES, NEVER_STARTS, ZOMBIE_AFTER_RETRY, STALLS }

    /** One planned run and what became of it on our side. */
    static final class Planned {
        final Fate fate;
        final String key;
        volatile String id;
        /** When the run died (its worker stopped beating, or its progress stopped moving), 0 if it did not. */
        volatile long diedAt;
        /** For a run that stalls: whether it was seen to end while its heartbeats went on. */
        volatile boolean endedWhileBeating;
        volatile int zombieFinishStatus;

        Planned(Fate fate, String key) {
            this.fate = fate;
            this.key = key;
        }

        Set<String> expected() {
            return switch (fate) {
                case FINISHES, ZOMBIE_AFTER_RETRY -> Set.of("SUCCEEDED");
                case STOPPED_AGENT_LIVES -> Set.of("ABORTED");
                default -> Set.of("TIMED_OUT");
            };
        }

        /** The reason its end must give, or null for any. */
        String expectedReason() {
            return fate == Fate.STALLS ? "progress_stalled" : null;
        }

        /** How long after {@link #diedAt} the run is due. */
        Duration dueAfterDeath() {
            return fate == Fate.STALLS ? PROGRESS : HEARTBEAT;
        }

        boolean watched() {
            return fate == Fate.FINISHES || fate == Fate.STALLS;
        }

        int expectedAttempt() {
            return fate == Fate.ZOMBIE_AFTER_RETRY ? 2 : 1;
        }

        /** Whether the run has neighbours (see {@link #resources}). */
        boolean hasNeighbours() {
            return key.endsWith("0");
        }

        String resourceName() {
            return "r-" + id.substring(0, 8);
        }

        String attempt2ResourceName() {
            return "a2-" + id.substring(0, 8);
        }
    }

    private final FaultSuite.Profile profile;
    private final RunApi api;
    private final HeartbeatClient workers;
    private final KubernetesClient kubernetes;
    private final Random random;
    private final HarnessErrors errors;
    /** Workload steps block (a worker's life is a sleep), so many threads. */
    private final ScheduledExecutorService scheduler = Executors.newScheduledThreadPool(128);
    private final List<Planned> runs = Collections.synchronizedList(new ArrayList<>());

    Workload(FaultSuite.Profile profile, RunApi api, HeartbeatClient workers, KubernetesClient kubernetes,
             HarnessErrors errors) {
        this.profile = profile;
        this.api = api;
        this.workers = workers;
        this.kubernetes = kubernetes;
        this.random = new Random(profile.seed());
        this.errors = errors;
    }

    /** Starts the runs over the first three quarters of the workload time. */
    void start() {
        Fate[] fates = Fate.values();
        long window = profile.workload().toMillis() * 3 / 4;
        for (int i = 0; i < profile.runs(); i++) {
            Planned run = new Planned(fates[i % fates.length], "fault-" + i);
            runs.add(run);
            long at = (long) (window * (i / (double) profile.runs())) + random.nextInt(500);
            long life = 8_000 + random.nextInt(20_000);
            scheduler.schedule(() -> guarded(run, () -> play(run, life)), at, TimeUnit.MILLISECONDS);
        }
    }

    /** Waits until every run has played its part. */
    void awaitDone() throws InterruptedException {
        scheduler.shutdown();
        Duration grace = FINALIZED_WITHIN.plusMinutes(2); // a step's wait, and a run's life after it
        if (!scheduler.awaitTermination(grace.toMillis(), TimeUnit.MILLISECONDS)) {
            errors.add("workload", new IllegalStateException("steps still running " + grace + " after the workload ended"));
        }
    }

    List<Planned> runs() {
        synchronized (runs) {
            return List.copyOf(runs);
        }
    }

    private void play(Planned run, long life) throws Exception {
        run.id = api.create(run.key, run.watched() ? WATCHED : TIMEOUTS);
        if (run.fate == Fate.NEVER_STARTS) {
            resources(run, run.resourceName(), run.hasNeighbours(), 1);
            return;
        }
        // The worker beats with its attempt's token (the sweepers here require tokens), from the start:
        // the harness creating the run's resources must not eat into its start timeout.
        String token = api.heartbeatToken(run.id, 1);
        RunHeartbeat heartbeat = workers.startRun(run.id, 1, HEARTBEAT, null, token);
        try {
            resources(run, run.resourceName(), run.hasNeighbours(), 1);
        } catch (RuntimeException e) {
            heartbeat.close(); // the step failed (a harness error): its worker must not beat on forever
            throw e;
        }
        if (run.watched()) {
            work(heartbeat, life);
        } else {
            Thread.sleep(life);
        }
        switch (run.fate) {
            case FINISHES -> {
                api.finish(run.id, "SUCCEEDED", 1); // keep beating until the finish is accepted
                heartbeat.close();
            }
            case STALLS -> {
                // The chapter loop hangs; the heartbeat thread goes on until the run is over.
                run.diedAt = System.currentTimeMillis();
                try {
                    // Not a step that can fail: a stall never detected is the verdict's finding, not the harness's.
                    run.endedWhileBeating = reached(run.id, Set.of("TIMED_OUT", "FAILED", "ABORTED", "SUCCEEDED"),
                            FINALIZED_WITHIN);
                } finally {
                    heartbeat.close();
                }
            }
            case DIES -> {
                heartbeat.close();
                run.diedAt = System.currentTimeMillis();
            }
            case STOPPED_AGENT_LIVES -> {
                api.stop(run.id);
                awaitStatus(run.id, Set.of("TERMINATING", "ABORTED"), FINALIZED_WITHIN);
                Thread.sleep(500); // the agent takes a moment to wind the session down
                api.finish(run.id, "ABORTED", 1);
                heartbeat.close();
            }
            case STOPPED_AGENT_VANISHES -> {
                heartbeat.close();
                run.diedAt = System.currentTimeMillis();
                api.stop(run.id);
            }
            case ZOMBIE_AFTER_RETRY -> zombie(run, heartbeat, token, life);
            default -> throw new IllegalStateException(run.fate.name());
        }
    }

    /** A step of work a second: each one moves the run's progress, carried by its next heartbeat. */
    private static void work(RunHeartbeat heartbeat, long life) throws InterruptedException {
        for (long step = 1; step <= life / 1_000; step++) {
            heartbeat.progress(step, "step " + step);
            Thread.sleep(1_000);
        }
    }

    /** Attempt 1 is cut off and times out; attempt 2 runs while attempt 1's zombie comes back. */
    private void zombie(Planned run, RunHeartbeat first, String firstToken, long life) throws Exception {
        first.close();
        awaitStatus(run.id, Set.of("TIMED_OUT"), FINALIZED_WITHIN);
        // Beat as soon as the retry answers, with the token in its answer: two more round trips to a
        // loaded run-service first ate into attempt 2's start timeout (the harness, not the worker, was late).
        String secondToken = api.retryForToken(run.id, 2);
        if (secondToken == null) {
            awaitAttempt(run.id, 2);
            secondToken = api.heartbeatToken(run.id, 2);
        }
        RunHeartbeat second = workers.startRun(run.id, 2, HEARTBEAT, null, secondToken);
        RunHeartbeat zombie = workers.startRun(run.id, 1, HEARTBEAT, null, firstToken); // its own, old token
        try {
            resources(run, run.attempt2ResourceName(), false, 2);
        } catch (RuntimeException e) {
            second.close();
            zombie.close();
            throw e;
        }
        Thread.sleep(life / 2);
        run.zombieFinishStatus = api.finish(run.id, "SUCCEEDED", 1);
        Thread.sleep(life / 2);
        api.finish(run.id, "SUCCEEDED", 2);
        second.close();
        zombie.close();
    }

    /**
     * The run's Deployment and Service, labelled with its whole selector and its attempt, as a retried
     * run's resources should be; and, for some runs, neighbours that share only part of it.
     */
    private void resources(Planned run, String name, boolean neighbours, int attempt) {
        Map<String, String> labels = new HashMap<>(Labels.ofRun(Labels.DEFAULT_RUN_LABEL, run.id, WORKSPACE));
        labels.put(Labels.ATTEMPT, Integer.toString(attempt));
        kubernetes.apps().deployments().inNamespace(NAMESPACE).resource(new DeploymentBuilder().withNewMetadata()
                .withName(name).withLabels(labels).endMetadata().withNewSpec().withReplicas(1).endSpec().build()).create();
        kubernetes.services().inNamespace(NAMESPACE).resource(new ServiceBuilder().withNewMetadata()
                .withName(name).withLabels(labels).endMetadata().build()).create();
        if (neighbours) {
            neighbour("neighbour-session-" + name, NAMESPACE, Map.of(Labels.DEFAULT_RUN_LABEL, run.id));
            neighbour("neighbour-managed-" + name, NAMESPACE, Map.of(Labels.MANAGED_BY, Labels.MANAGED_BY_VIGIL));
            neighbour("neighbour-elsewhere-" + name, "elsewhere", labels);
        }
    }

    private void neighbour(String name, String namespace, Map<String, String> labels) {
        kubernetes.configMaps().inNamespace(namespace).resource(new ConfigMapBuilder().withNewMetadata()
                .withName(name).withLabels(labels).endMetadata().build()).create();
    }

    private void awaitStatus(String id, Set<String> statuses, Duration within) throws InterruptedException {
        if (!reached(id, statuses, within)) {
            throw new IllegalStateException("run " + id + " did not reach " + statuses + " within " + within);
        }
    }

    private boolean reached(String id, Set<String> statuses, Duration within) throws InterruptedException {
        long deadline = System.nanoTime() + within.toNanos();
        while (System.nanoTime() < deadline) {
            JsonNode run = api.get(id);
            if (statuses.contains(run.path("status").asText())) {
                return true;
            }
            Thread.sleep(250);
        }
        return false;
    }

    private void awaitAttempt(String id, int attempt) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        while (api.get(id).path("attempt").asInt() < attempt) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("run " + id + " never reached attempt " + attempt);
            }
            api.retry(id);
            Thread.sleep(250);
        }
    }

    private void guarded(Planned run, FaultSuite.Action action) {
        try {
            action.run();
        } catch (Exception e) {
            errors.add("workload " + run.fate + " " + run.key, e);
        }
    }
}
