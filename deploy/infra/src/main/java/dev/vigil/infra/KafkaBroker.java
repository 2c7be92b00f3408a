package dev.vigil.infra;

/** A running Kafka cluster that clients reach at {@link #bootstrapServers()}. */
public interface KafkaBroker extends AutoCloseable {

    /** The {@code bootstrap.servers} value for clients, e.g. {@code localhost:39092}. */
    String bootstrapServers();

    /** Stops the broker; calling it twice is harmless. */
    @Override
    void close();
}
