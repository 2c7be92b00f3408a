package dev.vigil.run.api;

import dev.vigil.contracts.Labels;
import dev.vigil.contracts.event.Check;
import dev.vigil.contracts.event.RunStatus;
import dev.vigil.contracts.event.RunTimeouts;
import dev.vigil.contracts.event.StallAction;
import dev.vigil.contracts.serde.InvalidEventException;
import dev.vigil.run.RunSettings;
import dev.vigil.run.lifecycle.NewRun;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.UUID;

/**
 * What the API refuses before a request reaches {@link dev.vigil.run.lifecycle.RunLifecycle}: text
 * PostgreSQL or an event could not hold (a 400 here, never a 500 later), timeouts out of bounds, reserved
 * cleanup labels, a finish without its attempt, and run ids in any form but the canonical one the run
 * is published under.
 */
final class Requests {

    private static final int UUID_LENGTH = 36;
    private static final int MAX_KEY_LENGTH = 256;

    private Requests() {
    }

    /**
     * The run id of a path in its canonical form (lower case, 8-4-4-4-12), so one run has one identity
     * in every event; upper case is folded, anything else (braces, URNs, short forms) names no run: 404.
     */
    static UUID runId(String id) {
        if (id.length() != UUID_LENGTH) {
            throw notFound(id);
        }
        char[] canonical = new char[UUID_LENGTH];
        for (int i = 0; i < UUID_LENGTH; i++) {
            char c = id.charAt(i);
            boolean dash = i == 8 || i == 13 || i == 18 || i == 23;
            if (dash ? c != '-' : !isHex(c)) {
                throw notFound(id);
            }
            canonical[i] = Character.toLowerCase(c);
        }
        return UUID.fromString(new String(canonical));
    }

    /** The run to create, with the deployment's default timeouts filled in, or a 400 saying what is wrong. */
    static NewRun create(RunViews.CreateRun body, String workspace, RunSettings settings) {
        text(body.key(), "key");
        text(body.kind(), "kind");
        if (body.key() == null || body.key().isBlank() || body.key().length() > MAX_KEY_LENGTH) {
            throw ApiError.badRequest("key is required: 1-" + MAX_KEY_LENGTH + " characters naming the one-active-run slot");
        }
        if (body.kind() != null && body.kind().length() > MAX_KEY_LENGTH) {
            throw ApiError.badRequest("kind must be at most " + MAX_KEY_LENGTH + " characters");
        }
        RunTimeouts timeouts = timeouts(body.timeouts(), new RunTimeouts(settings.defaultHeartbeatTimeout(),
                settings.defaultStartTimeout(), settings.defaultStopTimeout(), settings.defaultMaxDuration(),
                settings.defaultProgressTimeout(), settings.defaultOnStall(), settings.defaultWarnAt()), settings);
        RunViews.Cleanup cleanup = body.cleanup();
        NewRun run = new NewRun(body.key(), body.kind(), body.agentId(), timeouts,
                cleanup == null ? null : cleanup.namespace(), cleanup == null ? null : cleanup.labels());
        try {
            if (body.agentId() != null) {
                Check.id(body.agentId(), "agentId");
            }
            run.cleanup(UUID.randomUUID(), workspace, settings.runLabelKey());
            return run;
        } catch (InvalidEventException | IllegalArgumentException e) {
            throw ApiError.badRequest(e.getMessage());
        }
    }

    /**
     * A run's timeouts from a request's, each one it leaves out taken from {@code fallback} (the deployment's
     * defaults for a new run, the run's own for a retry), or a 400 saying what is wrong. A progress timeout given
     * with no {@code onStall} fails the run on a stall unless {@code fallback} says otherwise.
     */
    static RunTimeouts timeouts(RunViews.Timeouts requested, RunTimeouts fallback, RunSettings settings) {
        RunViews.Timeouts t = requested == null ? new RunViews.Timeouts(null, null, null, null, null, null, null)
                : requested;
        Double warnAt = t.warnAt() == null ? fallback.warnAt() : t.warnAt();
        if (warnAt != null && !(warnAt > 0 && warnAt < 1)) {
            throw ApiError.badRequest("timeouts.warnAt must be above 0 and below 1 (a share of maxDuration), was " + warnAt);
        }
        Duration progress = t.progress() == null && fallback.progress() == null ? null
                : bounded("timeouts.progress", t.progress(), fallback.progress(), settings.maxMaxDuration(), settings);
        if (progress == null && t.onStall() != null) {
            throw ApiError.badRequest("timeouts.onStall needs timeouts.progress: how long progress may stand still");
        }
        StallAction onStall;
        try {
            onStall = t.onStall() != null ? StallAction.fromCode(t.onStall())
                    : fallback.onStall() != null ? fallback.onStall() : settings.defaultOnStall();
        } catch (InvalidEventException e) {
            throw ApiError.badRequest("timeouts." + e.getMessage());
        }
        return new RunTimeouts(
                bounded("timeouts.heartbeat", t.heartbeat(), fallback.heartbeat(), settings.maxTimeout(), settings),
                bounded("timeouts.start", t.start(), fallback.start(), settings.maxTimeout(), settings),
                bounded("timeouts.stop", t.stop(), fallback.stop(), settings.maxTimeout(), settings),
                bounded("timeouts.maxDuration", t.maxDuration(), fallback.maxDuration(), settings.maxMaxDuration(),
                        settings),
                progress, onStall, warnAt);
    }

    /** The attempt is the zombie fence: a finish must say which attempt it ends; a worker ends it with its outcome. */
    static void finish(RunViews.Finish body) {
        if (body.outcome() == null || !body.outcome().isTerminal() || body.outcome() == RunStatus.TIMED_OUT) {
            throw ApiError.badRequest("outcome must be one of SUCCEEDED, FAILED, ABORTED");
        }
        if (body.attempt() == null) {
            throw ApiError.badRequest("attempt is required: the attempt this finish ends (the run's current one); "
                    + "a finish of an older attempt is refused with 409");
        }
        text(body.error(), "error");
    }

    /** A page size of 1-500 (50 if not given). */
    static int limit(Integer limit) {
        int size = limit == null ? 50 : limit;
        if (size < 1 || size > 500) {
            throw ApiError.badRequest("limit must be between 1 and 500, was " + size);
        }
        return size;
    }

    /** A status filter: null for all, or one of {@link RunStatus}. */
    static RunStatus status(String status) {
        try {
            return status == null ? null : RunStatus.valueOf(status);
        } catch (IllegalArgumentException e) {
            throw ApiError.badRequest("unknown status '" + status + "', expected one of " + List.of(RunStatus.values()));
        }
    }

    /** The duration a request gives, checked against the bounds, or {@code fallback} (checked where it was set). */
    private static Duration bounded(String field, String value, Duration fallback, Duration max, RunSettings settings) {
        if (value == null) {
            return fallback;
        }
        Duration d;
        try {
            d = Duration.parse(value);
        } catch (DateTimeParseException e) {
            throw ApiError.badRequest(field + ": '" + value + "' is not an ISO-8601 duration such as PT30S or PT2H");
        }
        if (d.compareTo(settings.minTimeout()) < 0 || d.compareTo(max) > 0) {
            throw ApiError.badRequest(field + " must be between " + settings.minTimeout() + " and " + max + ", was " + d);
        }
        return d;
    }

    /** A free-text field: what the events accept ({@link Check#text}), or a 400 saying why not. */
    static String text(String value, String field) {
        try {
            return Check.text(value, field);
        } catch (InvalidEventException e) {
            throw ApiError.badRequest(e.getMessage());
        }
    }

    private static boolean isHex(char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    }

    private static RuntimeException notFound(String id) {
        String shown = Check.unstorableAt(id) >= 0 ? "(an id with control characters)"
                : Check.shortened(id, 64, "...");
        return ApiError.notFound("no run '" + shown + "': run ids are UUIDs");
    }
}
