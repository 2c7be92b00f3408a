package dev.vigil.infra;

/** A running PostgreSQL server and the database clients should use on it. */
public interface PostgresDatabase extends AutoCloseable {

    String jdbcUrl();

    String username();

    String password();

    /** Stops the server; calling it twice is harmless. */
    @Override
    void close();
}
