package dev.vigil.run.api;

import dev.vigil.run.store.RunRow;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.UUID;

/**
 * Where a page of runs (newest first) continues: strictly before this creation time and id. Opaque
 * to clients (URL-safe base64 of {@code createdAt|id}); one this API did not hand out is a 400.
 */
record Cursor(Instant beforeCreatedAt, UUID beforeId) {

    /** The start of the list: before every run. */
    static final Cursor FIRST = new Cursor(Instant.parse("9999-12-31T00:00:00Z"), new UUID(-1L, -1L));

    static Cursor decode(String cursor) {
        if (cursor == null) {
            return FIRST;
        }
        try {
            String[] parts = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8).split("\\|", 2);
            return new Cursor(Instant.parse(parts[0]), UUID.fromString(parts[1]));
        } catch (RuntimeException e) {
            throw ApiError.badRequest("cursor '" + cursor + "' is not one this API returned");
        }
    }

    /** The cursor of the page after the one ending with {@code last}. */
    static String after(RunRow last) {
        return Base64.getUrlEncoder().withoutPadding()
                .encodeToString((last.createdAt() + "|" + last.id()).getBytes(StandardCharsets.UTF_8));
    }
}
