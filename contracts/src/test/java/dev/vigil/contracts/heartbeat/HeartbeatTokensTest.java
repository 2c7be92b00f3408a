package dev.vigil.contracts.heartbeat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vigil.contracts.event.Check;
import dev.vigil.contracts.event.Heartbeat;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

/** A token authorizes exactly one attempt of one run (or one workspace's agents), and nothing else. */
class HeartbeatTokensTest {

    private static final HeartbeatTokens TOKENS = new HeartbeatTokens("s".repeat(32));

    @Property(tries = 300)
    void aRunTokenVerifiesForItsAttemptOnly(@ForAll("ids") String workspace, @ForAll("ids") String runId,
                                             @ForAll @IntRange(min = 1, max = 1_000) int attempt) {
        String token = TOKENS.forRun(workspace, runId, attempt);
        assertThat(TOKENS.verifiesRun(token, runId, attempt)).isTrue();
        assertThat(TOKENS.verifiesRun(token, runId, attempt + 1)).as("a retry's beats need the retry's token").isFalse();
        assertThat(TOKENS.verifiesRun(token, runId + "x", attempt)).isFalse();
        assertThat(HeartbeatTokens.workspaceOf(token)).isEqualTo(workspace);
        assertThat(HeartbeatTokens.attemptOf(token)).isEqualTo(attempt);
        assertThat(token.length()).isLessThanOrEqualTo(Check.MAX_TOKEN_LENGTH);
        Heartbeat.of(runId, attempt, null, 0, null, null, token); // fits the event
        assertThat(new HeartbeatTokens("t".repeat(32)).verifiesRun(token, runId, attempt))
                .as("another deployment's secret").isFalse();
    }

    @Property(tries = 300)
    void anAgentCredentialVerifiesForItsWorkspaceOnly(@ForAll("ids") String workspace, @ForAll("ids") String other) {
        String credential = TOKENS.forAgent(workspace);
        assertThat(TOKENS.verifiesAgent(credential, workspace)).isTrue();
        assertThat(TOKENS.verifiesAgent(credential, other)).isEqualTo(other.equals(workspace));
        assertThat(TOKENS.verifiesRun(credential, workspace, 1)).as("an agent credential is no run token").isFalse();
        assertThat(HeartbeatTokens.agentWorkspaceOf(credential)).isEqualTo(workspace);
        assertThat(HeartbeatTokens.agentWorkspaceOf(TOKENS.forRun(workspace, workspace, 1))).isNull();
    }

    @Example
    void aTamperedWorkspaceOrMacOrAMissingTokenDoesNotVerify() {
        String token = TOKENS.forRun("acme", "run-1", 1);
        assertThat(TOKENS.verifiesRun(token.replace("~acme~", "~evil~"), "run-1", 1)).isFalse();
        assertThat(TOKENS.verifiesRun(token.substring(0, token.length() - 1) + "A", "run-1", 1)
                || token.endsWith("A")).isFalse();
        assertThat(TOKENS.verifiesRun(null, "run-1", 1)).isFalse();
        assertThat(TOKENS.verifiesRun("", "run-1", 1)).isFalse();
        assertThat(TOKENS.verifiesRun("vr1~acme", "run-1", 1)).isFalse();
        assertThat(TOKENS.verifiesRun("vr2~acme~1", "run-1", 1)).isFalse();
        assertThat(TOKENS.verifiesAgent(null, "acme")).isFalse();
    }

    @Property(tries = 100)
    void tokensOfTheFirstFormStillVerifyForTheirAttemptOnly(@ForAll("ids") String workspace, @ForAll("ids") String runId,
                                                           @ForAll @IntRange(min = 1, max = 1_000) int attempt) {
        String v1 = HeartbeatTokens.forRunV1(TOKENS, workspace, runId, attempt);
        assertThat(v1).startsWith("vr1~" + workspace + "~");
        assertThat(TOKENS.verifiesRun(v1, runId, attempt)).as("a run that outlived the upgrade").isTrue();
        assertThat(TOKENS.verifiesRun(v1, runId, attempt + 1)).isFalse();
        assertThat(HeartbeatTokens.workspaceOf(v1)).isEqualTo(workspace);
        assertThat(HeartbeatTokens.attemptOf(v1)).isZero();
    }

    @Example
    void anAttemptRewrittenInTheTokenDoesNotVerify() {
        String token = TOKENS.forRun("acme", "run-1", 1);
        String rewritten = token.replace("~acme~1~", "~acme~2~");
        assertThat(HeartbeatTokens.attemptOf(rewritten)).isEqualTo(2);
        assertThat(TOKENS.verifiesRun(rewritten, "run-1", 2)).isFalse();
        assertThat(HeartbeatTokens.attemptOf("vr2~acme~x~mac")).isZero();
        assertThat(HeartbeatTokens.attemptOf("vr2~acme~-3~mac")).isZero();
        assertThat(HeartbeatTokens.attemptOf("vr2~acme~99999999999~mac")).isZero();
        assertThat(HeartbeatTokens.attemptOf("va1~acme~mac")).isZero();
    }

    @Example
    void aSecretShorterThan32BytesIsRefused() {
        assertThatThrownBy(() -> new HeartbeatTokens("short")).hasMessageContaining("at least 32 bytes");
        assertThatThrownBy(() -> new HeartbeatTokens(null)).hasMessageContaining("at least 32 bytes");
    }

    @Provide
    Arbitrary<String> ids() {
        return Arbitraries.strings().withChars("abcXYZ019._:@-").ofMinLength(1).ofMaxLength(Check.MAX_ID_LENGTH)
                .filter(s -> Character.isLetterOrDigit(s.charAt(0)));
    }
}
