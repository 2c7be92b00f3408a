package dev.vigil.run.store;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vigil.contracts.event.CleanupTarget;
import dev.vigil.contracts.event.RunTimeouts;
import dev.vigil.contracts.event.StallAction;
import dev.vigil.contracts.serde.EventJson;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;

/** How a run's columns map to the contracts' types: its timeouts, its cleanup target (labels as JSON), the clock. */
public final class RunRows {

    private static final ObjectMapper JSON = EventJson.mapper();
    private static final TypeReference<Map<String, String>> LABELS = new TypeReference<>() { };

    private RunRows() {
    }

    public static RunTimeouts timeouts(RunRow run) {
        return new RunTimeouts(Duration.ofMillis(run.heartbeatTimeoutMs()), Duration.ofMillis(run.startTimeoutMs()),
                Duration.ofMillis(run.stopTimeoutMs()), Duration.ofMillis(run.maxDurationMs()),
                run.progressTimeoutMs() == null ? null : Duration.ofMillis(run.progressTimeoutMs()),
                run.onStall() == null ? null : StallAction.fromCode(run.onStall()), run.warnAt());
    }

    /** The run's cleanup target, or null if it has none. */
    public static CleanupTarget cleanup(RunRow run) {
        if (run.cleanupNamespace() == null) {
            return null;
        }
        try {
            return new CleanupTarget(run.cleanupNamespace(), JSON.readValue(run.cleanupLabels(), LABELS));
        } catch (Exception e) {
            throw new IllegalStateException("run " + run.id() + " has unreadable cleanup labels", e);
        }
    }

    /** The {@code cleanup_labels} column of a target's labels. */
    public static String labels(Map<String, String> labels) {
        try {
            return JSON.writeValueAsString(labels);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** Microsecond precision, as PostgreSQL stores it, so what we return equals what we read back. */
    public static Instant now() {
        return Instant.now().truncatedTo(ChronoUnit.MICROS);
    }
}
