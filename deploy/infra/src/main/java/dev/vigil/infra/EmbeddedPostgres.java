package dev.vigil.infra;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A real PostgreSQL 17 server process started from zonky's embedded binaries (works as root, no Docker). */
public final class EmbeddedPostgres implements PostgresDatabase {

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedPostgres.class);

    private io.zonky.test.db.postgres.embedded.EmbeddedPostgres server;
    private final Path dataDirectory;
    private final Map<String, String> settings;
    private final AtomicBoolean closed = new AtomicBoolean();

    private EmbeddedPostgres(io.zonky.test.db.postgres.embedded.EmbeddedPostgres server, Path dataDirectory,
                             Map<String, String> settings) {
        this.server = server;
        this.dataDirectory = dataDirectory;
        this.settings = Map.copyOf(settings);
    }

    /** Starts a server on a free port with its data in a temporary directory removed on close. */
    public static EmbeddedPostgres start() {
        return start(0, null);
    }

    /**
     * Starts a server.
     *
     * @param port the port, or 0 for any free port
     * @param dataDirectory a data directory to keep across restarts, or null for a temporary one
     */
    public static EmbeddedPostgres start(int port, Path dataDirectory) {
        return start(port, dataDirectory, Map.of());
    }

    /**
     * Starts a server with extra server settings (e.g. {@code fsync=on} for a production-like
     * benchmark; tests run with {@code fsync=off}: only an OS crash would need it).
     */
    public static EmbeddedPostgres start(int port, Path dataDirectory, Map<String, String> settings) {
        long started = System.nanoTime();
        EmbeddedPostgres pg = new EmbeddedPostgres(launch(port, dataDirectory, settings), dataDirectory, settings);
        LOG.info("embedded PostgreSQL ready at {} in {} ms", pg.jdbcUrl(), (System.nanoTime() - started) / 1_000_000);
        return pg;
    }

    private static io.zonky.test.db.postgres.embedded.EmbeddedPostgres launch(int port, Path dataDirectory,
                                                                            Map<String, String> settings) {
        try {
            var builder = io.zonky.test.db.postgres.embedded.EmbeddedPostgres.builder()
                    .setServerConfig("max_connections", "200")
                    // A committed transaction must survive the server being killed, as in production:
                    // zonky turns synchronous_commit off by default. (fsync only matters if the OS dies.)
                    .setServerConfig("synchronous_commit", "on")
                    .setServerConfig("fsync", "off");
            settings.forEach(builder::setServerConfig);
            if (port != 0) {
                builder.setPort(port);
            }
            if (dataDirectory != null) {
                builder.setDataDirectory(dataDirectory).setCleanDataDirectory(false);
            }
            return builder.start();
        } catch (IOException e) {
            throw new IllegalStateException("could not start embedded PostgreSQL", e);
        }
    }

    /**
     * Immediate shutdown, as a pod kill leaves it: SIGKILL to the postmaster <em>and every backend</em>,
     * returning only once all of them are gone (the next start runs crash recovery). Killing the
     * postmaster alone is not a dead database: its backends serve their open connections until they
     * notice, so a query right after it could still succeed. Only for a server started with a data
     * directory.
     */
    public synchronized void kill() {
        long pid;
        try {
            pid = Long.parseLong(Files.readAllLines(dataDirectory.resolve("postmaster.pid")).get(0).trim());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        ProcessHandle postmaster = ProcessHandle.of(pid).orElse(null);
        if (postmaster == null) {
            LOG.info("PostgreSQL (pid {}) was already gone", pid);
            return;
        }
        // Frozen first, so that it forks no backend between the listing and the kill (one forked after the postmaster
        // died would no longer be its descendant).
        JavaProcess.signal("STOP", pid);
        List<ProcessHandle> all = new ArrayList<>(postmaster.descendants().toList());
        all.add(0, postmaster);
        all.forEach(ProcessHandle::destroyForcibly);
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(30);
        for (ProcessHandle process : all) {
            while (running(process) && System.nanoTime() < deadline) {
                process.destroyForcibly();
                try {
                    Thread.sleep(10);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
            if (running(process)) {
                throw new IllegalStateException("PostgreSQL process " + process.pid() + " survived SIGKILL for 30 s");
            }
        }
        LOG.info("PostgreSQL (pid {}) and its {} backends killed", pid, all.size() - 1);
    }

    /** Alive and not a zombie waiting for a parent (a container's init may be slow to reap it). */
    private static boolean running(ProcessHandle process) {
        if (!process.isAlive()) {
            return false;
        }
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(process.pid()), "stat"));
            return stat.charAt(stat.lastIndexOf(')') + 2) != 'Z';
        } catch (IOException | RuntimeException gone) {
            return false;
        }
    }

    /** Starts the server again on the same port and data directory after {@link #kill()}. */
    public synchronized void restart() {
        int port = server.getPort();
        try {
            server.close(); // the server is gone; this releases the data directory's lock in this JVM
        } catch (IOException | RuntimeException alreadyDead) {
            LOG.debug("closing the killed server: {}", alreadyDead.toString());
        }
        try {
            Files.deleteIfExists(dataDirectory.resolve("postmaster.pid"));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        server = launch(port, dataDirectory, settings);
        LOG.info("PostgreSQL restarted on port {}", port);
    }

    @Override
    public String jdbcUrl() {
        return server.getJdbcUrl("postgres", "postgres");
    }

    @Override
    public String username() {
        return "postgres";
    }

    @Override
    public String password() {
        return "postgres";
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            try {
                server.close();
            } catch (IOException e) {
                LOG.warn("embedded PostgreSQL did not close cleanly", e);
            }
        }
    }
}
