package dev.vigil.faults;

import dev.vigil.contracts.heartbeat.HeartbeatClient;
import dev.vigil.local.HostileTenant;
import dev.vigil.local.LocalStack;
import dev.vigil.local.RunApi;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The fault suite: the whole system as separate OS processes (broker, PostgreSQL, run-service, two
 * sweepers, the cleaner; the Kubernetes API), a {@link Workload} of runs with planned fates, a
 * {@link FaultSchedule} of faults, {@link Poison} on every input topic, a {@link HostileTenant} trying
 * to widen its cleanups into the workload's workspace and a {@link WebhookWitness} told of every run's end — and,
 * once everything is quiet, the
 * {@link Verdict}: what Vigil got wrong compared with the ground truth.
 */
public final class FaultSuite {

    private static final Logger LOG = LoggerFactory.getLogger(FaultSuite.class);

    /**
     * How big a run is.
     *
     * @param workload how long runs are started and faults injected
     * @param faultRounds how many times the fault schedule is played
     * @param brokers 1: one broker, killed among everything else; 3: a cluster whose brokers are the only things
     *                killed, one at a time
     * @param brokerDownDelayBound on a cluster, the detection delay allowed for runs due while a broker is down
     */
    public record Profile(String name, int runs, Duration workload, int faultRounds, long seed, int brokers,
                          Duration brokerDownDelayBound) {
        public static Profile of(String name, long seed) {
            return switch (name) {
                case "long" -> new Profile(name, 3_000, Duration.ofMinutes(15), 6, seed, 1, null);
                case "cluster" -> new Profile(name, 1_000, Duration.ofMinutes(5), 1, seed, 3, Duration.ofSeconds(5));
                default -> new Profile("short", 150, Duration.ofSeconds(150), 1, seed, 1, null);
            };
        }
    }

    /** A step that may throw. */
    interface Action {
        void run() throws Exception;
    }

    private final Profile profile;
    private final LocalStack stack;

    public FaultSuite(Profile profile, LocalStack stack) {
        this.profile = profile;
        this.stack = stack;
    }

    public static void main(String[] args) throws Exception {
        Profile profile = Profile.of(System.getProperty("faults.profile", "short"),
                Long.getLong("faults.seed", 20261123L));
        Path repo = Path.of(System.getProperty("vigil.repo", ".")).toAbsolutePath().normalize();
        Path dir = Files.createTempDirectory("vigil-faults");
        Report report;
        try (LocalStack stack = LocalStack.start(stackOptions(dir, repo).withBrokers(profile.brokers()))) {
            report = new FaultSuite(profile, stack).run();
        }
        System.out.println(report.table());
        Path out = Path.of(System.getProperty("faults.report", "target/fault-suite.md"));
        Files.createDirectories(out.toAbsolutePath().getParent());
        Files.writeString(out, report.table());
        System.exit(report.clean() ? 0 : 1);
    }

    /** The system under test: two sweepers, heartbeat tokens required (the workload's workers carry theirs). */
    public static LocalStack.Options stackOptions(Path dir, Path repo) {
        return LocalStack.Options.onFreePorts(dir, repo, 2).requiringTokens();
    }

    /** Plays the workload, the faults, the poison and the hostile tenant, waits for quiescence, and counts. */
    public Report run() throws Exception {
        long start = System.currentTimeMillis();
        HarnessErrors errors = new HarnessErrors();
        try (HeartbeatClient workers = HeartbeatClient.builder(stack.kafkaBootstrap()).build();
             KubernetesClient kubernetes = stack.kubernetes().client();
             WebhookWitness webhooks = new WebhookWitness(profile.seed())) {
            webhooks.subscribe(stack.runServiceUrl(), stack.token(Workload.WORKSPACE, Workload.WORKSPACE));
            Workload workload = new Workload(profile, new RunApi(stack.runServiceUrl(),
                    stack.token(Workload.WORKSPACE, Workload.WORKSPACE)), workers, kubernetes, errors);
            FaultSchedule faults = new FaultSchedule(profile, stack, errors);
            Poison poison = new Poison(stack, errors);
            HostileTenant hostile = new HostileTenant(stack.runServiceUrl(), stack.token("hostile", "hostile"), kubernetes,
                    Workload.NAMESPACE, Duration.ofSeconds(5));
            workload.start();
            faults.start();
            poison.start(profile.workload().toMillis());
            hostile.start();
            LOG.info("fault suite {}: {} runs over {} s, {} fault round(s), seed {}", profile.name(), profile.runs(),
                    profile.workload().toSeconds(), profile.faultRounds(), profile.seed());
            Thread.sleep(profile.workload().toMillis() + 5_000);
            hostile.close();
            faults.awaitDone();
            poison.awaitDone();
            workload.awaitDone();
            Verdict verdict = new Verdict(stack, kubernetes, errors, webhooks);
            verdict.awaitQuiescence(workload.runs());
            return verdict.count(profile, workload.runs(), faults, poison, errors, hostile.summary().toString(),
                    System.currentTimeMillis() - start);
        }
    }
}
