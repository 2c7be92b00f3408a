package dev.vigil.run.outbox;

import dev.vigil.contracts.event.RunCommand;
import dev.vigil.contracts.event.RunEvent;
import dev.vigil.contracts.event.VigilEvent;
import dev.vigil.contracts.serde.EventJson;
import jakarta.inject.Singleton;
import java.nio.charset.StandardCharsets;

/** Writes events to the outbox, inside the caller's transaction, for the {@link OutboxRelay} to publish. */
@Singleton
public class Outbox {

    /** Logical topic names in the outbox; the relay maps them to the catalogue's (prefixed) topics. */
    public static final String RUN_EVENTS = "run-events";
    public static final String COMMANDS = "commands";

    private final OutboxRepository rows;

    public Outbox(OutboxRepository rows) {
        this.rows = rows;
    }

    public void publish(RunEvent event) {
        append(RUN_EVENTS, event);
    }

    public void publish(RunCommand command) {
        append(COMMANDS, command);
    }

    private void append(String topic, VigilEvent event) {
        rows.append(topic, event.partitionKey(), event.type(), new String(EventJson.write(event), StandardCharsets.UTF_8));
    }
}
