package dev.vigil.run.store;

import io.micronaut.core.annotation.Introspected;

/** How many runs are in one status. */
@Introspected
public record StatusCount(String status, long runs) {
}
