package dev.vigil.sweeper.run;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vigil.contracts.event.Check;
import dev.vigil.sweeper.AllowedIds;
import dev.vigil.sweeper.run.RunState.Phase;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/** The stored form of a run's state: it outlives releases (RocksDB, changelog topics). */
class RunStateTest {

    @Property(tries = 500)
    void everyStateWithAnAllowedAgentIdRoundTrips(@ForAll("ids") String agentId, @ForAll("ids") String workspace,
                                                  @ForAll Phase phase, @ForAll int attempt, @ForAll long time,
                                                  @ForAll long beatsSeenBy, @ForAll boolean watched,
                                                  @ForAll boolean flag, @ForAll boolean fired,
                                                  @ForAll boolean warning, @ForAll boolean warned) {
        RunState state = new RunState(attempt, phase);
        state.agentId = agentId;
        state.workspace = workspace;
        state.heartbeatTimeout = 10_000;
        state.lastHeartbeatAt = time;
        state.beatsSeenBy = beatsSeenBy;
        state.aheadBeat(attempt + 1 == 0 ? 2 : attempt + 1, time, RunState.progressHash(7L, agentId));
        state.reportedProgress = RunState.progressHash(7L, agentId);
        if (watched) {
            state.progressTimeout = 600_000;
            state.progressMoved(RunState.progressHash(8L, workspace), time);
        }
        state.flagOnStall = flag;
        state.stallFired = fired;
        state.warnAfter = warning ? 1_440_000 : 0;
        state.warned = warned;

        byte[] encoded = state.encode();
        // The size the docs state: 153 bytes and the ids, 20 more with a progress watch, 12 while beats are ahead,
        // 8 with a deadline warning.
        assertThat(encoded).hasSize(153 + agentId.length() + workspace.length() + (watched ? 20 : 0) + 12
                + (warning ? 8 : 0));
        RunState decoded = RunState.decode(encoded);
        assertThat(decoded).usingRecursiveComparison().ignoringFields("writtenHeartbeatAt").isEqualTo(state);
        assertThat(decoded.writtenHeartbeatAt).as("what was read is what is stored").isEqualTo(state.lastHeartbeatAt);
    }

    @Provide
    Arbitrary<String> ids() {
        return AllowedIds.arbitrary();
    }

    @Example
    void anAgentIdOfTheMaximumLengthRoundTrips() { // the 128-byte id that once read back as a negative length
        RunState state = new RunState(1, Phase.RUNNING);
        state.agentId = "a".repeat(Check.MAX_ID_LENGTH);
        assertThat(RunState.decode(state.encode()).agentId).isEqualTo(state.agentId);
    }

    @Example
    void aStateWithADeadlineWarningReadsAsOneWithoutItToAReaderThatPredatesIt() {
        RunState state = new RunState(1, Phase.RUNNING);
        state.aheadBeat(2, 5_000, RunState.NO_PROGRESS);
        byte[] without = state.encode();
        state.warnAfter = 80_000;
        state.warned = true;
        byte[] with = state.encode();
        // The previous release knows neither the two flags nor the tail: it reads the state as if they were absent.
        byte[] asThePreviousReleaseSeesIt = with.clone();
        asThePreviousReleaseSeesIt[without.length - RunState.AHEAD_PROGRESS_BYTES - 1] &= ~(16 | 32);
        assertThat(RunState.decode(asThePreviousReleaseSeesIt)).usingRecursiveComparison()
                .isEqualTo(RunState.decode(without));
        assertThat(RunState.decode(with).warnAfter).isEqualTo(80_000);
        assertThat(RunState.decode(with).warned).isTrue();
    }

    @Example
    void statesOfFormatsTwoAndThreeStillDecodeWithoutAWorkspaceOrAProgressWatch() {
        RunState state = new RunState(2, Phase.RUNNING);
        state.agentId = "agent-7";
        state.aheadBeat(3, 5_000, RunState.NO_PROGRESS);
        byte[] four = state.encode();
        // Format 4 = format 3 + flags + the beats ahead's progress; format 3 = format 2 + an empty workspace.
        byte[] three = java.util.Arrays.copyOf(four, four.length - 1 - RunState.AHEAD_PROGRESS_BYTES);
        three[0] = 3;
        byte[] two = java.util.Arrays.copyOf(three, three.length - 1);
        two[0] = 2;
        RunState decoded = RunState.decode(two);
        assertThat(decoded).usingRecursiveComparison().isEqualTo(RunState.decode(four));
        assertThat(RunState.decode(three)).usingRecursiveComparison().isEqualTo(RunState.decode(four));
        assertThat(decoded.workspace).isNull();
        assertThat(decoded.progressTimeout).isZero();
        assertThat(decoded.aheadProgressChangedAt).isEqualTo(5_000);
    }

    @Example
    void statesOfFormatOneStillDecodeAndAnUnknownRunsBeatsBecomeBeatsAhead() {
        RunState running = RunState.decode(formatOne(Phase.RUNNING, 2, "agent-7", 41_000, 40, 12345));
        assertThat(running.attempt).isEqualTo(2);
        assertThat(running.agentId).isEqualTo("agent-7");
        assertThat(running.lastHeartbeatAt).isEqualTo(41_000);
        assertThat(running.reportedProgress).isEqualTo(12345);
        assertThat(running.beatsSeenBy).as("written by no incarnation known").isZero();
        assertThat(running.aheadAttempt).isZero();

        RunState unknown = RunState.decode(formatOne(Phase.UNKNOWN, 3, null, 9_000, 4, 0));
        assertThat(unknown.attempt).isZero();
        assertThat(unknown.started()).isFalse();
        assertThat(unknown.aheadAttempt).isEqualTo(3);
        assertThat(unknown.aheadLastAt).isEqualTo(9_000);
        assertThat(unknown.aheadBeats).isEqualTo(4);
    }

    @Example
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

    /** A state as the release before format 2 wrote it (first and last heartbeat both {@code lastBeat}). */
    private static byte[] formatOne(Phase phase, int attempt, String agentId, long lastBeat, long beats, int progress) {
        byte[] agent = agentId == null ? new byte[0] : agentId.getBytes(StandardCharsets.UTF_8);
        ByteBuffer out = ByteBuffer.allocate(2 + 4 + 1 + agent.length + 4 * 8 + 8 * 8 + 2 * 4 + 4);
        out.put((byte) 1).put((byte) phase.ordinal()).putInt(attempt).put((byte) agent.length).put(agent);
        out.putLong(10_000).putLong(30_000).putLong(20_000).putLong(3_600_000);
        out.putLong(0).putLong(lastBeat).putLong(lastBeat).putLong(RunState.NONE);
        out.putInt(0).putInt(0);
        out.putLong(beats).putLong(RunState.NONE).putLong(RunState.NONE).putLong(RunState.NONE);
        out.putInt(progress);
        return out.array();
    }
}
