package dev.vigil.run.security;

import dev.vigil.run.RunSettings;
import io.micronaut.context.annotation.Factory;
import io.micronaut.context.annotation.Requires;
import io.micronaut.security.token.jwt.signature.SignatureConfiguration;
import io.micronaut.security.token.jwt.signature.secret.SecretSignature;
import io.micronaut.security.token.jwt.signature.secret.SecretSignatureConfiguration;
import jakarta.inject.Named;
import jakarta.inject.Singleton;

/**
 * Hands {@code VIGIL_JWT_SECRET} to Micronaut as an HS256 signature, only when it is set: without it (a JWKS
 * alone, say) no HMAC key exists at all, so no HS256 token can pass.
 */
@Factory
class SigningSecret {

    static final String NAME = "vigil";

    /** Declared as the interface: Micronaut would take the class's own {@code @EachBean} for this bean's. */
    @Singleton
    @Named(NAME)
    @Requires(property = "vigil.security.jwt-secret", pattern = ".*\\S.*")
    SignatureConfiguration secret(RunSettings settings) {
        SecretSignatureConfiguration secret = new SecretSignatureConfiguration(NAME);
        secret.setSecret(settings.security().jwtSecret());
        return new SecretSignature(secret);
    }
}
