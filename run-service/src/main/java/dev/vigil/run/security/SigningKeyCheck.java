package dev.vigil.run.security;

import dev.vigil.run.RunSettings;
import io.micronaut.context.annotation.Context;
import io.micronaut.context.env.Environment;
import io.micronaut.core.annotation.Order;
import io.micronaut.core.order.Ordered;
import io.micronaut.security.token.jwt.signature.jwks.JwksSignatureConfiguration;
import io.micronaut.security.token.jwt.signature.secret.SecretSignatureConfiguration;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * run-service starts only with keys to check tokens by, and only good ones: an HS256 secret of at least
 * {@value #MIN_SECRET_BYTES} bytes ({@code VIGIL_JWT_SECRET}), or an OIDC provider's JWKS, or both. Otherwise it
 * stops at start with one ERROR saying what to set. There is no fallback secret; the Micronaut environment
 * {@code dev} brings a development-only one ({@code application-dev.yml}) and says so.
 */
@Context
@Order(Ordered.HIGHEST_PRECEDENCE)
public class SigningKeyCheck {

    static final int MIN_SECRET_BYTES = 32;
    private static final Logger LOG = LoggerFactory.getLogger(SigningKeyCheck.class);

    public SigningKeyCheck(RunSettings settings, List<SecretSignatureConfiguration> micronautSecrets,
                           List<JwksSignatureConfiguration> jwks, Environment environment) {
        List<String> problems = problems(settings.security().jwtSecret(), micronautSecrets, jwks.size());
        if (!problems.isEmpty()) {
            throw new Refused(String.join("; ", problems));
        }
        if (environment.getActiveNames().contains(Environment.DEVELOPMENT)) {
            LOG.warn("Micronaut environment '{}': tokens signed with its development-only secret are accepted unless "
                    + "VIGIL_JWT_SECRET is set; never run it so in production", Environment.DEVELOPMENT);
        }
    }

    /**
     * What is wrong with these keys; empty when run-service can check tokens with them.
     *
     * @param secret {@code VIGIL_JWT_SECRET}, or null
     * @param secrets HMAC secrets set the Micronaut way ({@code micronaut.security.token.jwt.signatures.secret.*})
     * @param jwks how many JWKS are configured
     */
    static List<String> problems(String secret, List<SecretSignatureConfiguration> secrets, int jwks) {
        List<String> problems = new ArrayList<>();
        if (secret == null && secrets.isEmpty() && jwks == 0) {
            problems.add("VIGIL_JWT_SECRET is not set: run-service needs the key its bearer tokens are signed with "
                    + "(HS256, at least " + MIN_SECRET_BYTES + " bytes, e.g. `openssl rand -base64 48`) or an OIDC "
                    + "provider's JWKS (micronaut.security.token.jwt.signatures.jwks.<name>.url); for local "
                    + "development only, start it with MICRONAUT_ENVIRONMENTS=dev");
        }
        if (secret != null) {
            tooShort("VIGIL_JWT_SECRET", secret.getBytes(StandardCharsets.UTF_8).length, problems);
        }
        for (SecretSignatureConfiguration other : secrets) {
            tooShort("micronaut.security.token.jwt.signatures.secret." + other.getName() + ".secret", bytes(other),
                    problems);
        }
        return problems;
    }

    private static void tooShort(String source, int bytes, List<String> problems) {
        if (bytes < MIN_SECRET_BYTES) {
            problems.add(source + " has " + bytes + " bytes: an HS256 key needs at least " + MIN_SECRET_BYTES
                    + " (e.g. `openssl rand -base64 48`)");
        }
    }

    private static int bytes(SecretSignatureConfiguration secret) {
        String value = secret.getSecret() == null ? "" : secret.getSecret();
        try {
            return secret.isBase64() ? Base64.getDecoder().decode(value).length : value.getBytes(StandardCharsets.UTF_8).length;
        } catch (IllegalArgumentException notBase64) {
            return 0;
        }
    }

    /**
     * If {@code startFailure} is this check's refusal, logs its reason as one ERROR line, without the stack trace
     * Micronaut would print, and exits with status 1.
     */
    public static void exitIfRefused(Throwable startFailure) {
        for (Throwable cause = startFailure; cause != null; cause = cause.getCause()) {
            if (cause instanceof Refused) {
                LOG.error("run-service cannot start: {}", cause.getMessage());
                System.exit(1);
            }
        }
    }

    /** Start refused; the message says why and what to set, so no stack trace is worth printing. */
    static final class Refused extends RuntimeException {

        Refused(String message) {
            super(message, null, false, false);
        }
    }
}
