package dev.vigil.sweeper.run;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vigil.sweeper.run.RunState.Phase;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The stored form of a run's state: it outlives releases (RocksDB, changelog topics). */
class RunStateTest {

    @Test
    void theReportedProgressSurvivesEncodingAndStatesWrittenWithoutItStillDecode() {
        RunState state = new RunState(2, Phase.RUNNING);
        state.agentId = "agent-7";
        state.heartbeatTimeout = 10_000;
        state.lastHeartbeatAt = 41_000;
        state.heartbeats = 40;
        state.lastProgressAt = 31_000;
        state.reportedProgress = RunState.progressHash(7L, "chapter 7");
        byte[] bytes = state.encode();

        RunState decoded = RunState.decode(bytes);
        assertThat(decoded).usingRecursiveComparison().ignoringFields("writtenHeartbeatAt").isEqualTo(state);
        assertThat(decoded.writtenHeartbeatAt).as("what was read is what is stored").isEqualTo(state.lastHeartbeatAt);

        // What the release before this field wrote: the same fields, then 8 bytes of zeros.
        byte[] previous = Arrays.copyOf(bytes, bytes.length - Integer.BYTES + Long.BYTES);
        Arrays.fill(previous, bytes.length - Integer.BYTES, previous.length, (byte) 0);
        // ... and without any padding.
        byte[] bare = Arrays.copyOf(bytes, bytes.length - Integer.BYTES);
        for (byte[] older : new byte[][] {previous, bare}) {
            RunState read = RunState.decode(older);
            assertThat(read).usingRecursiveComparison().ignoringFields("reportedProgress", "writtenHeartbeatAt").isEqualTo(state);
            assertThat(read.reportedProgress).isZero();
        }
    }

    @Test
    void theProgressHashIsFixedBecauseItIsStoredAndTellsNullFromValues() {
        // Pinned: a different hash after an upgrade would make every run report once more, no worse.
        assertThat(RunState.progressHash(7L, "chapter 7")).isEqualTo(PINNED_CHAPTER_7);
        assertThat(RunState.progressHash(null, null)).isNotEqualTo(RunState.progressHash(0L, null))
                .isNotEqualTo(RunState.progressHash(null, ""));
        assertThat(RunState.progressHash(7L, "chapter 7")).isNotEqualTo(RunState.progressHash(8L, "chapter 7"))
                .isNotEqualTo(RunState.progressHash(7L, "chapter 8"))
                .isNotEqualTo(RunState.progressHash(7L, null));
    }

    private static final int PINNED_CHAPTER_7 = -2036638360;
}
