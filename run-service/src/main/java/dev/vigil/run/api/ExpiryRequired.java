package dev.vigil.run.api;

import io.micronaut.core.annotation.Nullable;
import io.micronaut.security.token.Claims;
import io.micronaut.security.token.jwt.validator.GenericJwtClaimsValidator;
import jakarta.inject.Singleton;

/**
 * A token must say when it expires: one without {@code exp} would be valid forever, so it is refused
 * (401). Micronaut's own expiration check only rejects a token whose {@code exp} has passed.
 */
@Singleton
public class ExpiryRequired<T> implements GenericJwtClaimsValidator<T> {

    @Override
    public boolean validate(Claims claims, @Nullable T request) {
        return claims.get(Claims.EXPIRATION_TIME) != null;
    }
}
