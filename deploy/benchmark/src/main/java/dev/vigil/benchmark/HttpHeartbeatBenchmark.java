package dev.vigil.benchmark;

import dev.vigil.contracts.heartbeat.HeartbeatTokens;
import dev.vigil.infra.RawHttp;
import dev.vigil.local.LocalStack;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.LongAdder;

/**
 * Heartbeats over HTTP ({@code POST /api/v1/runs/{id}/heartbeats}) into one run-service replica of the local
 * stack, as fast as it takes them: keep-alive connections, each sending one beat at a time and waiting for its
 * answer, for runs picked at random among as many as the Kafka phases' live workload (each run's token minted as
 * run-service would issue it; a beat needs no run row). It counts every answer by status and measures the CPU
 * the run-service process used, so the result is beats per second per run-service core: the figure to size
 * replicas by, and to compare with the baseline's one UPDATE per heartbeat. The sweepers and the cleaner are
 * stopped first (this is the stack's last phase): it measures the intake, run-service and the broker.
 *
 * <p>The client is a few lines of HTTP/1.1 over a socket, not {@code java.net.http}: on two shared cores the
 * load generator's own cost would otherwise be most of what is measured.
 */
final class HttpHeartbeatBenchmark {

    /**
     * @param accepted beats answered 202 in the window
     * @param limited beats answered 429 (a token over its rate: should be 0 with this many runs)
     * @param refused any other answer, and broken connections
     * @param runServiceCores CPU the run-service process used over the window, in cores
     */
    record Results(int runs, int connections, Duration window, long accepted, long limited, long refused,
                   double perSecond, double runServiceCores, Distribution latency) {

        /** Accepted beats per second per core of run-service CPU. */
        double perRunServiceCore() {
            return runServiceCores > 0 ? perSecond / runServiceCores : Double.NaN;
        }
    }

    static final int CONNECTIONS = Integer.getInteger("bench.http.connections", 128);
    private static final Duration WARM_UP = Duration.ofSeconds(30);
    private static final String WORKSPACE = "bench-http";

    private final URI base;
    private final String[] runIds;
    private final String[] tokens;
    private final LongAdder accepted = new LongAdder();
    private final LongAdder limited = new LongAdder();
    private final LongAdder refused = new LongAdder();
    private volatile boolean running = true;
    /** Set while the window is measured: each connection then records its beats' round trips. */
    private volatile boolean measuring;
    private final List<Long> latencies = java.util.Collections.synchronizedList(new ArrayList<>());

    private HttpHeartbeatBenchmark(URI base, int runs, HeartbeatTokens minter) {
        this.base = base;
        this.runIds = new String[runs];
        this.tokens = new String[runs];
        for (int i = 0; i < runs; i++) {
            runIds[i] = UUID.randomUUID().toString();
            tokens[i] = minter.forRun(WORKSPACE, runIds[i], 1);
        }
    }

    static Results measure(Profile profile, LocalStack stack) throws Exception {
        // The intake alone: what reads the beats afterwards is the Kafka path's cost, measured in the sweeper phases,
        // and on two cores the sweepers' and the cleaner's share would be taken from run-service.
        Bench.log("http: stopping the sweepers and the cleaner: this phase measures run-service and the broker");
        for (int i = 0; i < stack.options().sweepers(); i++) {
            stack.sweeper(i).close();
        }
        stack.cleaner().close();
        int runs = profile.liveRuns();
        Bench.log("http: %d keep-alive connections beating for %,d runs into run-service (warm-up %s, then %s)",
                CONNECTIONS, runs, Bench.duration(WARM_UP), Bench.duration(profile.window()));
        HttpHeartbeatBenchmark bench = new HttpHeartbeatBenchmark(URI.create(stack.runServiceUrl()), runs,
                stack.heartbeatTokens());
        return bench.run(profile.window(), new ProcessCpu(stack.runService().pid()));
    }

    private Results run(Duration window, ProcessCpu runServiceCpu) throws Exception {
        List<Thread> clients = new ArrayList<>();
        for (int i = 0; i < CONNECTIONS; i++) {
            Thread client = new Thread(this::beatUntilStopped, "http-beats-" + i);
            client.setDaemon(true);
            client.start();
            clients.add(client);
        }
        Thread.sleep(WARM_UP.toMillis());
        long accepted0 = accepted.sum();
        long limited0 = limited.sum();
        long refused0 = refused.sum();
        double cpu0 = runServiceCpu.seconds();
        long start = System.nanoTime();
        measuring = true;
        Thread.sleep(window.toMillis());
        measuring = false;
        double seconds = (System.nanoTime() - start) / 1e9;
        long acceptedInWindow = accepted.sum() - accepted0;
        double cores = (runServiceCpu.seconds() - cpu0) / seconds;
        Results results = new Results(runIds.length, CONNECTIONS, window, acceptedInWindow, limited.sum() - limited0,
                refused.sum() - refused0, acceptedInWindow / seconds, cores,
                Distribution.of("round trip of a beat over HTTP", latencies));
        running = false;
        for (Thread client : clients) {
            client.join(10_000);
        }
        Bench.log("http: %,.0f beats/s accepted (%d limited, %d refused), run-service %.2f cores: %,.0f beats/s per core; "
                        + "round trip %s", results.perSecond(), results.limited(), results.refused(), cores,
                results.perRunServiceCore(), results.latency().summary());
        return results;
    }

    /** One keep-alive connection: a beat, its answer, the next; reconnects (and counts) when a connection breaks. */
    private void beatUntilStopped() {
        while (running) {
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress(base.getHost(), base.getPort()), 5_000);
                socket.setTcpNoDelay(true);
                socket.setSoTimeout(30_000);
                OutputStream out = new BufferedOutputStream(socket.getOutputStream());
                InputStream in = new BufferedInputStream(socket.getInputStream());
                long seq = 0;
                List<Long> mine = new ArrayList<>();
                while (running) {
                    int i = ThreadLocalRandom.current().nextInt(runIds.length);
                    long sent = System.nanoTime();
                    out.write(request(runIds[i], tokens[i], ++seq));
                    out.flush();
                    int status = readResponse(in);
                    (status == 202 ? accepted : status == 429 ? limited : refused).increment();
                    if (measuring) {
                        mine.add((System.nanoTime() - sent) / 1_000_000);
                    } else if (!mine.isEmpty()) {
                        latencies.addAll(mine);
                        mine.clear();
                    }
                }
                latencies.addAll(mine);
            } catch (IOException e) {
                if (running) {
                    refused.increment();
                    Bench.log("http: a connection broke (%s); reconnecting", e);
                }
            }
        }
    }

    private byte[] request(String runId, String token, long seq) {
        String body = "{\"steps\":" + seq + "}";
        return String.format(Locale.ROOT, "POST /api/v1/runs/%s/heartbeats HTTP/1.1\r\nHost: %s:%d\r\n"
                        + "Authorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s",
                runId, base.getHost(), base.getPort(), token, body.length(), body).getBytes(StandardCharsets.US_ASCII);
    }

    /** Reads one HTTP/1.1 response (a Content-Length or chunked body) and returns its status. */
    static int readResponse(InputStream in) throws IOException {
        return Integer.parseInt(RawHttp.readResponse(in)[0].split(" ", 3)[1]);
    }
}
