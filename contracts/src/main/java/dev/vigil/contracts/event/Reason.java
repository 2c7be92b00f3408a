package dev.vigil.contracts.event;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import dev.vigil.contracts.serde.InvalidEventException;
import java.util.Arrays;
import java.util.stream.Collectors;

/** Why a run reached its terminal state. The timeout reasons are the ones the sweeper emits. */
public enum Reason {
    COMPLETED("completed", false),
    ERROR("error", false),
    USER_STOP("user_stop", false),
    USER_FORCE("user_force", false),
    HEARTBEAT_TIMEOUT("heartbeat_timeout", true),
    START_TIMEOUT("start_timeout", true),
    STOP_TIMEOUT("stop_timeout", true),
    AGENT_LOST("agent_lost", true),
    DEADLINE_EXCEEDED("deadline_exceeded", true),
    /** Heartbeats kept coming but the run's progress (steps, message) did not change for its progress timeout. */
    PROGRESS_STALLED("progress_stalled", true);

    private final String code;
    private final boolean timeout;

    Reason(String code, boolean timeout) {
        this.code = code;
        this.timeout = timeout;
    }

    /** The wire form, e.g. {@code heartbeat_timeout}. */
    @JsonValue
    public String code() {
        return code;
    }

    /** Whether the sweeper emits this reason in a {@link RunTimedOut}. */
    public boolean isTimeout() {
        return timeout;
    }

    @JsonCreator
    public static Reason fromCode(String code) {
        for (Reason reason : values()) {
            if (reason.code.equals(code)) {
                return reason;
            }
        }
        throw new InvalidEventException("unknown reason '" + code + "', expected one of "
                + Arrays.stream(values()).map(Reason::code).collect(Collectors.joining(", ")));
    }

    @Override
    public String toString() {
        return code;
    }
}
