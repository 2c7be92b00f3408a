package dev.vigil.infra;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A real PostgreSQL 17 server process started from zonky's embedded binaries (works as root, no Docker). */
public final class EmbeddedPostgres implements PostgresDatabase {

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedPostgres.class);

    private final io.zonky.test.db.postgres.embedded.EmbeddedPostgres server;
    private final AtomicBoolean closed = new AtomicBoolean();

    private EmbeddedPostgres(io.zonky.test.db.postgres.embedded.EmbeddedPostgres server) {
        this.server = server;
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
        long started = System.nanoTime();
        try {
            var builder = io.zonky.test.db.postgres.embedded.EmbeddedPostgres.builder()
                    .setServerConfig("max_connections", "200")
                    .setServerConfig("fsync", "off");
            if (port != 0) {
                builder.setPort(port);
            }
            if (dataDirectory != null) {
                builder.setDataDirectory(dataDirectory).setCleanDataDirectory(false);
            }
            EmbeddedPostgres pg = new EmbeddedPostgres(builder.start());
            LOG.info("embedded PostgreSQL ready at {} in {} ms", pg.jdbcUrl(), (System.nanoTime() - started) / 1_000_000);
            return pg;
        } catch (IOException e) {
            throw new IllegalStateException("could not start embedded PostgreSQL", e);
        }
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
