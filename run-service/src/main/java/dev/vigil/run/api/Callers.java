package dev.vigil.run.api;

import dev.vigil.contracts.event.Check;
import dev.vigil.contracts.serde.InvalidEventException;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.exceptions.HttpStatusException;
import io.micronaut.security.authentication.Authentication;

/**
 * Who is calling: the workspace claim scopes every read and write, the subject is the audited actor.
 * A token whose claims cannot be used as they are (a workspace that is not an id, a subject with
 * control characters) is a 403, never a 500 further down.
 */
final class Callers {

    static final String WORKSPACE_CLAIM = "workspace";
    static final String OPERATOR_ROLE = "operator";
    static final int MAX_SUBJECT_LENGTH = 256;

    private Callers() {
    }

    static String workspace(Authentication caller) {
        Object workspace = caller.getAttributes().get(WORKSPACE_CLAIM);
        if (!(workspace instanceof String name) || name.isBlank()) {
            throw new HttpStatusException(HttpStatus.FORBIDDEN, "the token has no '" + WORKSPACE_CLAIM + "' claim");
        }
        try {
            return Check.id(name, WORKSPACE_CLAIM);
        } catch (InvalidEventException e) {
            throw new HttpStatusException(HttpStatus.FORBIDDEN, "the token's '" + WORKSPACE_CLAIM
                    + "' claim is not a workspace id: 1-" + Check.MAX_ID_LENGTH
                    + " letters, digits or . _ : @ - (starting with a letter or digit)");
        }
    }

    /** Operators carry the {@value #OPERATOR_ROLE} role (the token's {@code roles} claim). */
    static void requireOperator(Authentication caller, String what) {
        if (!caller.getRoles().contains(OPERATOR_ROLE)) {
            throw new HttpStatusException(HttpStatus.FORBIDDEN, what + " needs the '" + OPERATOR_ROLE + "' role");
        }
    }

    static String actor(Authentication caller) {
        String subject = caller.getName();
        if (subject == null || subject.isBlank() || subject.length() > MAX_SUBJECT_LENGTH
                || Check.unstorableAt(subject) >= 0) {
            throw new HttpStatusException(HttpStatus.FORBIDDEN, "the token's subject must be 1-" + MAX_SUBJECT_LENGTH
                    + " characters without control characters");
        }
        return "user:" + subject;
    }
}
