package dev.vigil.faults;

import dev.vigil.infra.JavaProcess;
import dev.vigil.infra.KafkaServerProcess;
import dev.vigil.local.LocalStack;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The faults, on a seeded schedule: SIGKILL of every service and of the broker, PostgreSQL immediate
 * shutdown, a sweeper frozen with SIGSTOP past every heartbeat timeout. Faults may overlap, but never on
 * the same process: each holds the locks of the processes it touches, and a killed process is started
 * again only once it has been reaped, so no instance ever runs twice. A process that dies on its own is
 * restarted, as Kubernetes would, and reported by name.
 */
final class FaultSchedule {

    private static final Logger LOG = LoggerFactory.getLogger(FaultSchedule.class);

    private final FaultSuite.Profile profile;
    private final LocalStack stack;
    private final Random random;
    private final HarnessErrors errors;
    private final ScheduledExecutorService faults = Executors.newScheduledThreadPool(2);
    private final ScheduledExecutorService supervisor = Executors.newSingleThreadScheduledExecutor();
    private final Map<String, ReentrantLock> locks = new ConcurrentHashMap<>();
    private final Map<String, Integer> crashes = new ConcurrentHashMap<>();
    private final List<String> played = Collections.synchronizedList(new ArrayList<>());
    private final AtomicInteger planned = new AtomicInteger();
    private final List<long[]> brokerDown = Collections.synchronizedList(new ArrayList<>());

    FaultSchedule(FaultSuite.Profile profile, LocalStack stack, HarnessErrors errors) {
        this.profile = profile;
        this.stack = stack;
        this.random = new Random(profile.seed() * 31 + 7);
        this.errors = errors;
    }

    void start() {
        supervisor.scheduleWithFixedDelay(this::supervise, 1, 1, TimeUnit.SECONDS);
        if (profile.brokers() > 1) {
            startBrokerFaults();
            return;
        }
        long round = profile.workload().toMillis() / profile.faultRounds();
        for (int r = 0; r < profile.faultRounds(); r++) {
            long base = r * round;
            long step = round / 9;
            fault(base + step, "kill -9 run-service", () -> restart(stack.runService()));
            fault(base + 2 * step, "kill -9 sweeper-0", () -> restart(stack.sweeper(0)));
            fault(base + 3 * step, "kill -9 both sweepers", () -> locked(List.of(stack.sweeper(0), stack.sweeper(1)), () -> {
                kill(stack.sweeper(0));
                kill(stack.sweeper(1));
                pause();
                startAndAwait(stack.sweeper(0));
                startAndAwait(stack.sweeper(1));
            }));
            fault(base + 4 * step, "kill -9 cleaner", () -> restart(stack.cleaner()));
            fault(base + 5 * step, "kill -9 broker", () -> {
                stack.kafka().kill();
                pause();
                stack.kafka().restart();
            });
            fault(base + 6 * step, "PostgreSQL immediate shutdown", () -> {
                stack.postgres().kill();
                pause();
                stack.postgres().restart();
            });
            fault(base + 7 * step, "SIGSTOP sweeper-1 past every heartbeat timeout", () ->
                    locked(List.of(stack.sweeper(1)), () -> {
                        stack.sweeper(1).suspend();
                        Thread.sleep(Workload.HEARTBEAT.toMillis() * 2);
                        stack.sweeper(1).resume();
                    }));
        }
    }

    /**
     * On a cluster: kill -9 one broker, for longer than a heartbeat timeout, and start it again; a while after it is
     * back, the same to another. The rest of Vigil is left alone, so what the detection delay shows is the cluster's.
     */
    private void startBrokerFaults() {
        List<KafkaServerProcess> nodes = new ArrayList<>(stack.kafkaNodes());
        Collections.shuffle(nodes, random);
        long workload = profile.workload().toMillis();
        for (int i = 0; i < 2; i++) {
            KafkaServerProcess node = nodes.get(i);
            fault(workload * (1 + 2 * i) / 4, "kill -9 broker " + node.nodeId() + " of " + nodes.size(), () -> {
                long down = System.currentTimeMillis();
                node.kill();
                Thread.sleep(Workload.HEARTBEAT.toMillis() * 3);
                node.restart();
                brokerDown.add(new long[] {down, System.currentTimeMillis()});
            });
        }
    }

    /** When a broker was down, {@code [from, to]} in epoch millis, as the faults played them. */
    List<long[]> brokerDown() {
        synchronized (brokerDown) {
            return List.copyOf(brokerDown);
        }
    }

    /** Waits until every fault has been played, then stops supervising. */
    void awaitDone() throws InterruptedException {
        faults.shutdown();
        if (!faults.awaitTermination(10, TimeUnit.MINUTES)) {
            errors.add("fault schedule", new IllegalStateException("faults still being played 10 min after the workload"));
        }
        supervisor.shutdownNow();
        supervisor.awaitTermination(1, TimeUnit.MINUTES);
    }

    int planned() {
        return planned.get();
    }

    List<String> played() {
        synchronized (played) {
            return List.copyOf(played);
        }
    }

    /** Processes that died without being killed by a fault, by name (each was restarted). */
    Map<String, Integer> crashes() {
        return Map.copyOf(crashes);
    }

    private void fault(long at, String what, FaultSuite.Action action) {
        planned.incrementAndGet();
        long jittered = Math.max(1_000, at + random.nextInt(2_000) - 1_000);
        faults.schedule(() -> {
            LOG.warn("FAULT: {}", what);
            try {
                action.run();
                played.add(String.format(Locale.ROOT, "%5.1f s  %s", jittered / 1000.0, what));
            } catch (Exception e) {
                errors.add("fault '" + what + "' could not be played", e);
            }
        }, jittered, TimeUnit.MILLISECONDS);
    }

    private void restart(JavaProcess process) throws Exception {
        locked(List.of(process), () -> {
            kill(process);
            pause();
            startAndAwait(process);
        });
    }

    /** SIGKILL, and waits until the process is reaped (it must be, before its instance starts again). */
    private static void kill(JavaProcess process) {
        process.kill();
        if (process.isAlive()) {
            throw new IllegalStateException(process.name() + " was not reaped after SIGKILL");
        }
    }

    private static void startAndAwait(JavaProcess process) {
        process.start().awaitHealthy(Duration.ofMinutes(2));
    }

    /** Runs {@code action} holding the locks of {@code processes} (taken in name order: no deadlock). */
    private void locked(List<JavaProcess> processes, FaultSuite.Action action) throws Exception {
        List<ReentrantLock> held = processes.stream().map(JavaProcess::name).sorted().distinct()
                .map(name -> locks.computeIfAbsent(name, n -> new ReentrantLock())).toList();
        held.forEach(ReentrantLock::lock);
        try {
            action.run();
        } finally {
            held.forEach(ReentrantLock::unlock);
        }
    }

    /** Restarts a service that died on its own — not one a fault holds, which is the fault's to start. */
    private void supervise() {
        for (JavaProcess process : List.of(stack.runService(), stack.cleaner(), stack.sweeper(0), stack.sweeper(1))) {
            ReentrantLock lock = locks.computeIfAbsent(process.name(), n -> new ReentrantLock());
            if (!lock.tryLock()) {
                continue;
            }
            try {
                if (!process.isAlive()) {
                    crashes.merge(process.name(), 1, Integer::sum);
                    LOG.error("{} died on its own (see {}); restarting it", process.name(), process.log());
                    startAndAwait(process);
                }
            } catch (RuntimeException e) {
                errors.add("restarting " + process.name() + " after it died on its own", e);
            } finally {
                lock.unlock();
            }
        }
    }

    private void pause() throws InterruptedException {
        Thread.sleep(3_000 + random.nextInt(3_000));
    }
}
