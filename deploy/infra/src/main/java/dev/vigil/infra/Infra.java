package dev.vigil.infra;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.testcontainers.DockerClientFactory;

/**
 * Chooses how to get real infrastructure: Testcontainers when a Docker engine answers, otherwise an
 * in-process KRaft broker and an embedded PostgreSQL server. Either way the parts are real.
 * {@code VIGIL_INFRA=embedded|containers} forces a choice.
 */
public final class Infra {

    private static final Logger LOG = LoggerFactory.getLogger(Infra.class);

    private Infra() {
    }

    /** Whether to use Docker containers for the broker and the database. */
    public static boolean useContainers() {
        String forced = System.getenv().getOrDefault("VIGIL_INFRA", "auto");
        return switch (forced) {
            case "embedded" -> false;
            case "containers" -> true;
            default -> DockerClientFactory.instance().isDockerAvailable();
        };
    }

    /** Starts a real Kafka broker the best way this machine allows. */
    public static KafkaBroker startKafka() {
        boolean containers = useContainers();
        LOG.info("starting Kafka {}", containers ? "in a container" : "in process (no Docker engine)");
        return containers ? ContainerKafka.start() : InProcessKafka.start();
    }

    /** Starts a real PostgreSQL server the best way this machine allows. */
    public static PostgresDatabase startPostgres() {
        boolean containers = useContainers();
        LOG.info("starting PostgreSQL {}", containers ? "in a container" : "embedded (no Docker engine)");
        return containers ? ContainerPostgres.start() : EmbeddedPostgres.start();
    }
}
