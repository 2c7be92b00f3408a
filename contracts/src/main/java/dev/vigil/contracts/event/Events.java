package dev.vigil.contracts.event;

import java.time.Instant;
import java.util.UUID;

/** Helpers for building events. */
final class Events {

    private Events() {
    }

    static String newId() {
        return UUID.randomUUID().toString();
    }

    static Instant now() {
        return Instant.now();
    }
}
