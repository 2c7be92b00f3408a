package dev.vigil.contracts.event;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import dev.vigil.contracts.serde.InvalidEventException;
import java.util.Locale;

/** What a run's stalled progress ({@code progress_stalled}) does to it: the run's choice, made at create. */
public enum StallAction {
    /** run-service finalizes the run TIMED_OUT ({@code progress_stalled}) and its resources are cleaned, as for any timeout. */
    FAIL,
    /** The run stays live and is shown as stalled (API, console, metrics) until its progress moves again. */
    FLAG;

    /** The wire form: {@code fail}, {@code flag}. */
    @JsonValue
    public String code() {
        return name().toLowerCase(Locale.ROOT);
    }

    @JsonCreator
    public static StallAction fromCode(String code) {
        for (StallAction action : values()) {
            if (action.code().equals(code)) {
                return action;
            }
        }
        throw new InvalidEventException("onStall must be fail or flag, was '" + code + "'");
    }
}
