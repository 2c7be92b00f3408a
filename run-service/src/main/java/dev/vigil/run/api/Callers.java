package dev.vigil.run.api;

import io.micronaut.http.HttpStatus;
import io.micronaut.http.exceptions.HttpStatusException;
import io.micronaut.security.authentication.Authentication;

/** Who is calling: the workspace claim scopes every read and write, the subject is the audited actor. */
final class Callers {

    static final String WORKSPACE_CLAIM = "workspace";
    static final String OPERATOR_ROLE = "operator";

    private Callers() {
    }

    static String workspace(Authentication caller) {
        Object workspace = caller.getAttributes().get(WORKSPACE_CLAIM);
        if (!(workspace instanceof String name) || name.isBlank()) {
            throw new HttpStatusException(HttpStatus.FORBIDDEN, "the token has no '" + WORKSPACE_CLAIM + "' claim");
        }
        return name;
    }

    /** Operators carry the {@value #OPERATOR_ROLE} role (the token's {@code roles} claim). */
    static void requireOperator(Authentication caller) {
        if (!caller.getRoles().contains(OPERATOR_ROLE)) {
            throw new HttpStatusException(HttpStatus.FORBIDDEN, "force stop needs the '" + OPERATOR_ROLE + "' role");
        }
    }

    static String actor(Authentication caller) {
        return "user:" + caller.getName();
    }
}
