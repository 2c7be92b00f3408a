package dev.vigil.contracts.heartbeat;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vigil.contracts.event.Check;
import dev.vigil.contracts.event.Heartbeat;
import org.junit.jupiter.api.Test;

/** A worker's progress text never costs it a heartbeat, whatever it contains. */
class RunHeartbeatTest {

    @Test
    void controlCharactersAndLoneSurrogatesAreReplacedSoTheHeartbeatStillBuilds() {
        String odd = "chapter\u00007\u001b[31m \ud800 done\t\n";
        String carried = RunHeartbeat.truncate(odd);
        assertThat(carried).isEqualTo("chapter\ufffd7\ufffd[31m \ufffd done\t\n");
        assertThat(Heartbeat.of("run-1", 1, null, 0, 7L, carried).message()).isEqualTo(carried);
    }

    @Test
    void aLongMessageIsCutToTheLimitNeverInsideASurrogatePair() {
        String emoji = "\ud83d\ude00";
        String text = "x".repeat(Check.MAX_TEXT_LENGTH - 1) + emoji;
        String carried = RunHeartbeat.truncate(text);
        assertThat(carried).hasSize(Check.MAX_TEXT_LENGTH - 1);
        assertThat(Check.unstorableAt(carried)).isEqualTo(-1);
        assertThat(RunHeartbeat.truncate("short")).isEqualTo("short");
        assertThat(RunHeartbeat.truncate(null)).isNull();
    }
}
