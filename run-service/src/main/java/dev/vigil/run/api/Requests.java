package dev.vigil.run.api;

import dev.vigil.contracts.event.Check;
import dev.vigil.contracts.serde.InvalidEventException;

/**
 * What the API refuses before a request reaches {@link dev.vigil.run.RunService}: text PostgreSQL or an
 * event could not hold (a 400 here, never a 500 later), a finish without its attempt, and run ids in
 * any form but the canonical one the run is published under.
 */
final class Requests {

    private static final int UUID_LENGTH = 36;

    private Requests() {
    }

    /**
     * The run id of a path in its canonical form (lower case, 8-4-4-4-12), so one run has one identity
     * in every event; upper case is folded, anything else (braces, URNs, short forms) names no run: 404.
     */
    static String runId(String id) {
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
        return new String(canonical);
    }

    static void create(RunViews.CreateRun body) {
        text(body.key(), "key");
        text(body.kind(), "kind");
    }

    /** The attempt is the zombie fence: a finish must say which attempt it ends. */
    static void finish(RunViews.Finish body) {
        if (body.attempt() == null) {
            throw ApiError.badRequest("attempt is required: the attempt this finish ends (the run's current one); "
                    + "a finish of an older attempt is refused with 409");
        }
        text(body.error(), "error");
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
                : id.length() > 64 ? id.substring(0, Character.isHighSurrogate(id.charAt(63)) ? 63 : 64) + "..." : id;
        return ApiError.notFound("no run '" + shown + "': run ids are UUIDs");
    }
}
