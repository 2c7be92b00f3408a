package dev.vigil.infra;

import org.testcontainers.containers.PostgreSQLContainer;

/** PostgreSQL 17 in a Docker container, used when a Docker engine answers. */
final class ContainerPostgres implements PostgresDatabase {

    static final String IMAGE = "postgres:17-alpine";

    private final PostgreSQLContainer<?> container;

    private ContainerPostgres(PostgreSQLContainer<?> container) {
        this.container = container;
    }

    static ContainerPostgres start() {
        PostgreSQLContainer<?> container = new PostgreSQLContainer<>(IMAGE).withCommand("postgres", "-c", "max_connections=200");
        container.start();
        return new ContainerPostgres(container);
    }

    @Override
    public String jdbcUrl() {
        return container.getJdbcUrl();
    }

    @Override
    public String username() {
        return container.getUsername();
    }

    @Override
    public String password() {
        return container.getPassword();
    }

    @Override
    public void close() {
        container.stop();
    }
}
