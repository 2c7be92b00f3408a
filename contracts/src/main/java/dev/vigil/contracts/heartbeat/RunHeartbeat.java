package dev.vigil.contracts.heartbeat;

import dev.vigil.contracts.event.Check;
import dev.vigil.contracts.event.Heartbeat;
import dev.vigil.contracts.event.VigilEvent;
import java.time.Duration;

/**
 * Heartbeats of one run attempt. Report progress with {@link #progress(long, String)}; it rides on the
 * next heartbeat. Close it when the work ends (then finish the run through the API).
 */
public final class RunHeartbeat extends Pulse {

    private final String runId;
    private final int attempt;
    private final String agentId;
    private final String token;
    private volatile Long steps;
    private volatile String message;

    RunHeartbeat(HeartbeatClient client, String runId, int attempt, String agentId, String token, Duration interval) {
        super(client, interval);
        this.runId = runId;
        this.attempt = attempt;
        this.agentId = agentId;
        this.token = token;
    }

    /** Records progress (steps done so far and what is happening); it goes out with the next heartbeat. */
    public void progress(long steps, String message) {
        this.steps = Math.max(0, steps);
        this.message = truncate(message);
    }

    /** One more step done. */
    public synchronized void step(String message) {
        progress(steps == null ? 1 : steps + 1, message);
    }

    public String runId() {
        return runId;
    }

    public int attempt() {
        return attempt;
    }

    @Override
    VigilEvent beat(long seq) {
        return Heartbeat.of(runId, attempt, agentId, seq, steps, message, token);
    }

    /**
     * The message as a heartbeat can carry it, so that a worker's odd text never costs it a heartbeat:
     * cut to {@link Check#MAX_TEXT_LENGTH} (never inside a surrogate pair), and every character the
     * events refuse ({@link Check#unstorableAt}) replaced by U+FFFD.
     */
    static String truncate(String message) {
        if (message == null) {
            return null;
        }
        String text = Check.shortened(message, Check.MAX_TEXT_LENGTH, "");
        StringBuilder clean = null;
        for (int from = 0, bad; (bad = Check.unstorableAt(text.substring(from))) >= 0; from += bad + 1) {
            clean = clean == null ? new StringBuilder(text) : clean;
            clean.setCharAt(from + bad, '\uFFFD');
        }
        return clean == null ? text : clean.toString();
    }
}
