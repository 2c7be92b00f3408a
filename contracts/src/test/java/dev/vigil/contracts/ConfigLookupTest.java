package dev.vigil.contracts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ConfigLookupTest {

    @Test
    void unsetAndBlankValuesFallBackAndSetOnesAreTrimmed() {
        ConfigLookup config = ConfigLookup.of(Map.of("a.text", "  x ", "a.blank", "  ", "a.list", new String[] {" p ", "", "q"},
                "a.duration", Duration.ofSeconds(3), "a.int", 7, "a.flag", false));

        assertThat(config.text("a.text", "d")).isEqualTo("x");
        assertThat(config.text("a.blank", "d")).isEqualTo("d");
        assertThat(config.text("a.unset", null)).isNull();
        assertThat(config.list("a.list", List.of())).containsExactly("p", "q");
        assertThat(config.list("a.unset", List.of("d"))).containsExactly("d");
        assertThat(config.duration("a.duration", Duration.ZERO)).isEqualTo(Duration.ofSeconds(3));
        assertThat(config.duration("a.unset", Duration.ZERO)).isEqualTo(Duration.ZERO);
        assertThat(config.integer("a.int", 1)).isEqualTo(7);
        assertThat(config.flag("a.flag", true)).isFalse();
        assertThat(config.flag("a.unset", true)).isTrue();
        assertThat(ConfigLookup.of(Map.of("a.secret", " s3cret\n")).secret("a.secret")).isEqualTo(" s3cret\n");
        assertThat(ConfigLookup.of(Map.of("a.secret", " ")).secret("a.secret")).isNull();
    }

    @Test
    void aValueThatIsSetAndUnreadableStopsTheStartInsteadOfFallingBackToTheDefault() {
        ConfigLookup config = ConfigLookup.of(Map.of("a.duration", "30days", "a.int", "three", "a.blank", ""));

        assertThatThrownBy(() -> config.duration("a.duration", Duration.ZERO))
                .hasMessageContaining("a.duration is '30days', which is not a duration");
        assertThatThrownBy(() -> config.integer("a.int", 1)).hasMessageContaining("a.int is 'three'");
        assertThat(config.duration("a.blank", Duration.ZERO)).as("blank is unset").isEqualTo(Duration.ZERO);
    }
}
