package dev.vigil.infra;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Java program in its own JVM, as a real deployment runs it: started with {@code java -jar} and
 * an environment, its output appended to a log file, killable with SIGKILL (no shutdown hook runs)
 * or stoppable with SIGTERM, and restartable with the same command.
 */
public final class JavaProcess implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(JavaProcess.class);

    private final String name;
    private final List<String> command;
    private final Map<String, String> environment;
    private final Path log;
    private final String healthUrl;
    private Process process;

    /**
     * @param healthUrl where the program answers 200 once it is ready ({@link #awaitHealthy})
     */
    public JavaProcess(String name, Path jar, List<String> jvmOptions, Map<String, String> environment, Path log,
                       String healthUrl) {
        this.name = name;
        this.healthUrl = healthUrl;
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(jvmOptions);
        cmd.add("-jar");
        cmd.add(jar.toAbsolutePath().toString());
        this.command = List.copyOf(cmd);
        this.environment = Map.copyOf(environment);
        this.log = log;
    }

    public synchronized JavaProcess start() {
        if (isAlive()) {
            throw new IllegalStateException(name + " is already running");
        }
        try {
            Files.createDirectories(log.toAbsolutePath().getParent());
            ProcessBuilder builder = new ProcessBuilder(command)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .redirectErrorStream(true);
            builder.environment().putAll(environment);
            process = builder.start();
            LOG.info("{} started (pid {}), log {}", name, process.pid(), log);
            return this;
        } catch (IOException e) {
            throw new UncheckedIOException("could not start " + name, e);
        }
    }

    /** Waits until the health URL answers 200, failing early if the process dies. */
    public JavaProcess awaitHealthy(Duration timeout) {
        return awaitHttpOk(healthUrl, timeout);
    }

    /** Waits until {@code url} answers 200, failing early if the process dies. */
    public JavaProcess awaitHttpOk(String url, Duration timeout) {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!isAlive()) {
                throw new IllegalStateException(name + " exited with " + process.exitValue() + "; see " + log);
            }
            try {
                HttpResponse<Void> response = http.send(HttpRequest.newBuilder(URI.create(url))
                        .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.discarding());
                if (response.statusCode() == 200) {
                    return this;
                }
            } catch (IOException notYet) {
                // not listening yet
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
            sleep(200);
        }
        throw new IllegalStateException(name + " did not answer " + url + " within " + timeout + "; see " + log);
    }

    public synchronized boolean isAlive() {
        return process != null && process.isAlive();
    }

    public synchronized long pid() {
        return process == null ? -1 : process.pid();
    }

    /** SIGKILL, and waits (up to 30 s) until the process is reaped: {@link #isAlive()} tells if it was. */
    public synchronized void kill() {
        if (process != null) {
            process.destroyForcibly();
            waitFor(Duration.ofSeconds(30));
            LOG.info("{} killed", name);
        }
    }

    /** SIGSTOP: the process freezes (a long GC pause, a stalled VM) without dying. */
    public synchronized void suspend() {
        signal("STOP");
    }

    /** SIGCONT after {@link #suspend()}. */
    public synchronized void resume() {
        signal("CONT");
    }

    private void signal(String signal) {
        signal(signal, process.pid());
        LOG.info("{} sent SIG{}", name, signal);
    }

    /** Sends SIG{@code signal} to process {@code pid} and returns once {@code kill} has. */
    static void signal(String signal, long pid) {
        try {
            new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).inheritIO().start().waitFor();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    public String name() {
        return name;
    }

    /** SIGTERM, then SIGKILL if it has not exited within 30 s. */
    @Override
    public synchronized void close() {
        if (process != null && process.isAlive()) {
            process.destroy();
            if (!waitFor(Duration.ofSeconds(30))) {
                process.destroyForcibly();
                waitFor(Duration.ofSeconds(10));
            }
        }
    }

    public Path log() {
        return log;
    }

    private boolean waitFor(Duration timeout) {
        try {
            return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
