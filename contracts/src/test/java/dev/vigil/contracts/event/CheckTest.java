package dev.vigil.contracts.event;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vigil.contracts.serde.InvalidEventException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Identifiers: {@code [A-Za-z0-9][A-Za-z0-9._:@-]*}, at most 128 characters. */
class CheckTest {

    @ParameterizedTest
    @ValueSource(strings = {"r", "7", "run-42", "Run_42.a:b@c-d", "0ffc9b05-f6c4-475b-abbf-dbd5b68555f2"})
    void acceptsIds(String id) {
        assertThat(Check.id(id, "runId")).isEqualTo(id);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "-run", ".run", "_run", "run 1", "run/1", "run#1", "rün", "run\n", "ｒｕｎ"})
    void rejectsWhatIsNotAnId(String id) {
        assertThatThrownBy(() -> Check.id(id, "runId")).isInstanceOf(InvalidEventException.class)
                .hasMessageStartingWith("runId must be 1-128 letters, digits or . _ : @ -");
    }

    @org.junit.jupiter.api.Test
    void rejectsIdsLongerThan128Characters() {
        assertThat(Check.id("a".repeat(128), "agentId")).hasSize(128);
        assertThatThrownBy(() -> Check.id("a".repeat(129), "agentId")).isInstanceOf(InvalidEventException.class);
    }
}
