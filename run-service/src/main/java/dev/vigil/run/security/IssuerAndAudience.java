package dev.vigil.run.security;

import dev.vigil.run.RunSettings;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.security.token.Claims;
import io.micronaut.security.token.jwt.validator.GenericJwtClaimsValidator;
import jakarta.inject.Singleton;
import java.util.Collection;

/**
 * With {@code vigil.security.issuer} set, a token's {@code iss} must be exactly it; with
 * {@code vigil.security.audience} set, its {@code aud} (a string or a list) must include it. Otherwise 401.
 * Exact, unlike Micronaut's own issuer check ({@code claims-validators.issuer}), which accepts any issuer the
 * configured one ends with: {@code vigil} for {@code https://idp.example.com/realms/vigil}.
 */
@Singleton
public class IssuerAndAudience<T> implements GenericJwtClaimsValidator<T> {

    private final String issuer;
    private final String audience;

    public IssuerAndAudience(RunSettings settings) {
        this.issuer = settings.security().issuer();
        this.audience = settings.security().audience();
    }

    @Override
    public boolean validate(Claims claims, @Nullable T request) {
        return (issuer == null || issuer.equals(claims.get(Claims.ISSUER)))
                && (audience == null || names(claims.get(Claims.AUDIENCE), audience));
    }

    private static boolean names(Object claim, String audience) {
        return claim instanceof Collection<?> audiences ? audiences.contains(audience) : audience.equals(claim);
    }
}
