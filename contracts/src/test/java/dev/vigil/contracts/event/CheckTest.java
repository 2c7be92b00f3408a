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
    @ValueSource(strings = {"", "-run", ".run", "_run", "run 1", "run/1", "run#1", "rün", "run\n", "ｒｕｎ", "run\u0000", "\u0000", "run\t1"})
    void rejectsWhatIsNotAnId(String id) {
        assertThatThrownBy(() -> Check.id(id, "runId")).isInstanceOf(InvalidEventException.class)
                .hasMessageStartingWith("runId must be 1-128 letters, digits or . _ : @ -");
    }

    @org.junit.jupiter.api.Test
    void rejectsIdsLongerThan128Characters() {
        assertThat(Check.id("a".repeat(128), "agentId")).hasSize(128);
        assertThatThrownBy(() -> Check.id("a".repeat(129), "agentId")).isInstanceOf(InvalidEventException.class);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "plain", "tab\tnew line\ncarriage return\r", "ünïcødé ｒｕｎ 日本", "emoji \uD83D\uDE00 pair",
        "\u007f delete and \u0085 next line are storable"})
    void acceptsTextPostgresCanStore(String text) {
        assertThat(Check.text(text, "message")).isEqualTo(text);
        assertThat(Check.unstorableAt(text)).isEqualTo(-1);
    }

    @ParameterizedTest
    @ValueSource(strings = {"\u0000", "before\u0000after", "bell\u0007", "escape\u001b[2J", "form\ffeed", "\u001f",
        "lone high \uD83D", "lone low \uDE00 first", "reversed \uDE00\uD83D"})
    void rejectsTextPostgresCannotStore(String text) {
        assertThatThrownBy(() -> Check.text(text, "error")).isInstanceOf(InvalidEventException.class)
                .hasMessageStartingWith("error has a");
        assertThat(Check.unstorableAt(text)).isGreaterThanOrEqualTo(0);
    }

    @org.junit.jupiter.api.Test
    void textIsAtMost2048Characters() {
        assertThat(Check.text("x".repeat(Check.MAX_TEXT_LENGTH), "error")).hasSize(2048);
        assertThat(Check.text(null, "error")).isNull();
        assertThatThrownBy(() -> Check.text("x".repeat(Check.MAX_TEXT_LENGTH + 1), "error"))
                .isInstanceOf(InvalidEventException.class).hasMessage("error is longer than 2048 characters");
        assertThatThrownBy(() -> Check.text("x".repeat(Check.MAX_TEXT_LENGTH) + "\u0000", "error"))
                .as("length is checked first").hasMessage("error is longer than 2048 characters");
    }
}
