package dev.vigil.run.security;

import io.micronaut.context.annotation.ConfigurationProperties;
import io.micronaut.core.annotation.Nullable;

/**
 * {@code vigil.security.*}: the HS256 key bearer tokens are signed with, and the issuer and audience they must
 * name. Blank is the same as unset.
 *
 * @param jwtSecret env {@code VIGIL_JWT_SECRET}; at least {@value SigningKeyCheck#MIN_SECRET_BYTES} bytes
 * @param issuer env {@code VIGIL_JWT_ISSUER}: when set, a token's {@code iss} must be exactly this
 * @param audience env {@code VIGIL_JWT_AUDIENCE}: when set, a token's {@code aud} must include this
 */
@ConfigurationProperties("vigil.security")
public record SecuritySettings(@Nullable String jwtSecret, @Nullable String issuer, @Nullable String audience) {

    /** The value of {@code setting}, or {@code null} when it is unset or blank. */
    static String configured(@Nullable String setting) {
        return setting == null || setting.isBlank() ? null : setting;
    }
}
