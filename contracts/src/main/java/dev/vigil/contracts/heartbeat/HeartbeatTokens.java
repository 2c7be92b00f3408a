package dev.vigil.contracts.heartbeat;

import dev.vigil.contracts.event.Check;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Heartbeat credentials, verifiable without a database read by anyone holding the secret (run-service
 * issues them, the sweeper checks them):
 *
 * <ul>
 *   <li>a <b>run token</b> authorizes heartbeats of one attempt of one run:
 *       {@code vr2~<workspace>~<attempt>~<mac>}, the MAC an HMAC-SHA256 over the workspace, run id and attempt —
 *       another attempt's (a zombie's) or another run's token does not verify. The attempt is readable so that
 *       a token alone says which attempt it beats for (the HTTP heartbeat needs nothing else). Tokens of the
 *       first form, {@code vr1~<workspace>~<mac>} (no attempt), are no longer issued and still verify, so runs
 *       that outlive an upgrade keep beating;</li>
 *   <li>an <b>agent credential</b> authorizes agent heartbeats of one workspace:
 *       {@code va1~<workspace>~<mac>}, the MAC over the workspace alone.</li>
 * </ul>
 *
 * The workspace is readable in the token (ids never contain {@code ~}) so a receiver can tell whose it
 * is before it checks it; it and the attempt are covered by the MAC, so they cannot be changed.
 */
public final class HeartbeatTokens {

    /** The shortest secret accepted: 32 bytes, as for HS256. */
    public static final int MIN_SECRET_BYTES = 32;
    private static final String RUN_V1 = "vr1";
    private static final String RUN = "vr2";
    private static final String AGENT = "va1";
    private static final char SEPARATOR = '~';

    private final SecretKeySpec key;
    /** A Mac per thread: creating one per token costs more than computing it (the sweeper checks every beat). */
    private final ThreadLocal<Mac> macs = ThreadLocal.withInitial(this::newMac);

    public HeartbeatTokens(String secret) {
        byte[] bytes = secret == null ? new byte[0] : secret.getBytes(StandardCharsets.UTF_8);
        if (bytes.length < MIN_SECRET_BYTES) {
            throw new IllegalArgumentException("the heartbeat secret must be at least " + MIN_SECRET_BYTES
                    + " bytes, was " + bytes.length);
        }
        this.key = new SecretKeySpec(bytes, "HmacSHA256");
    }

    /** The token for heartbeats of {@code attempt} of run {@code runId} in {@code workspace}. */
    public String forRun(String workspace, String runId, int attempt) {
        return RUN + SEPARATOR + workspace + SEPARATOR + attempt + SEPARATOR
                + mac(RUN + '\n' + workspace + '\n' + runId + '\n' + attempt);
    }

    /** The first form, without the attempt: only verified, no longer issued. */
    static String forRunV1(HeartbeatTokens tokens, String workspace, String runId, int attempt) {
        return RUN_V1 + SEPARATOR + workspace + SEPARATOR
                + tokens.mac(RUN_V1 + '\n' + workspace + '\n' + runId + '\n' + attempt);
    }

    /** The credential for agent heartbeats of {@code workspace}. */
    public String forAgent(String workspace) {
        return AGENT + SEPARATOR + workspace + SEPARATOR + mac(AGENT + '\n' + workspace);
    }

    /** Whether {@code token} authorizes heartbeats of {@code attempt} of {@code runId} (of whichever workspace it names). */
    public boolean verifiesRun(String token, String runId, int attempt) {
        String workspace = workspaceOf(token);
        if (workspace == null) {
            return false;
        }
        return same(token, token.startsWith(RUN_V1) ? forRunV1(this, workspace, runId, attempt)
                : forRun(workspace, runId, attempt));
    }

    /** Whether {@code credential} authorizes agent heartbeats of {@code workspace}. */
    public boolean verifiesAgent(String credential, String workspace) {
        return credential != null && same(credential, forAgent(workspace));
    }

    /** The workspace a run token names, or null if it is not one. Not a verification. */
    public static String workspaceOf(String token) {
        String workspace = workspaceOf(token, RUN);
        return workspace != null ? workspace : workspaceOf(token, RUN_V1);
    }

    /** The workspace an agent credential names, or null if it is not one. Not a verification. */
    public static String agentWorkspaceOf(String credential) {
        return workspaceOf(credential, AGENT);
    }

    /**
     * The attempt a run token names, or 0 if it names none (not a run token, or one of the first form). Not a
     * verification.
     */
    public static int attemptOf(String token) {
        String workspace = workspaceOf(token, RUN);
        if (workspace == null) {
            return 0;
        }
        int from = RUN.length() + 1 + workspace.length() + 1;
        int end = token.indexOf(SEPARATOR, from);
        if (end < 0 || end - from < 1 || end - from > 10) {
            return 0;
        }
        try {
            int attempt = Integer.parseInt(token.substring(from, end));
            return Math.max(attempt, 0);
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    private static String workspaceOf(String token, String kind) {
        if (token == null || token.length() > Check.MAX_TOKEN_LENGTH || !token.startsWith(kind + SEPARATOR)) {
            return null;
        }
        int end = token.indexOf(SEPARATOR, kind.length() + 1);
        return end < 0 ? null : token.substring(kind.length() + 1, end);
    }

    private static boolean same(String a, String b) {
        return MessageDigest.isEqual(a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
    }

    private String mac(String message) {
        byte[] digest = macs.get().doFinal(message.getBytes(StandardCharsets.UTF_8));
        return Base64.getUrlEncoder().withoutPadding().encodeToString(digest);
    }

    private Mac newMac() {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(key);
            return mac;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is not available", e);
        }
    }
}
