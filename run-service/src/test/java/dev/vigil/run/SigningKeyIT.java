package dev.vigil.run;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.vigil.infra.KafkaBroker;
import dev.vigil.infra.PostgresDatabase;
import dev.vigil.infra.RealInfraExtension;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.assertj.core.api.ThrowableAssert;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Which keys run-service trusts: no committed fallback secret, none shorter than 32 bytes, a dev secret only in
 * the explicit {@code dev} environment, and an OIDC provider's keys through its JWKS URL by configuration alone.
 */
@ExtendWith(RealInfraExtension.class)
class SigningKeyIT {

    /** The fallback application.yml used to carry when VIGIL_JWT_SECRET was not set. */
    private static final String OLD_FALLBACK = "dev-only-secret-change-me-0123456789abcdef";
    private static final String DEV_SECRET = "dev-environment-only-jwt-secret-0123456789abcdef";

    private static KafkaBroker kafka;
    private static PostgresDatabase db;

    @BeforeAll
    static void infra(KafkaBroker broker, PostgresDatabase database) {
        kafka = broker;
        db = database;
    }

    @Test
    void refusesToStartWithoutASecretNamingTheVariableToSet() {
        assertRefused(() -> new RunServiceHarness(kafka, db, "signing-none-it.", Map.of(), null).close(),
                "VIGIL_JWT_SECRET is not set");
    }

    /**
     * As a container starts it: the process exits 1 with one ERROR line naming the variable to set, and no stack
     * trace, before it reaches for the database or the broker (both unreachable here).
     */
    @Test
    void aProcessWithoutASecretExitsWithOneErrorLineNamingTheVariable() throws Exception {
        ProcessBuilder builder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), Application.class.getName()).redirectErrorStream(true);
        builder.environment().remove("VIGIL_JWT_SECRET");
        builder.environment().putAll(Map.of("PORT", "0", "VIGIL_DB_URL", "jdbc:postgresql://127.0.0.1:1/none",
                "KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:1"));
        Process process = builder.start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);

        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as(output).isEqualTo(1);
        assertThat(output.lines().filter(line -> line.contains("ERROR"))).as(output).singleElement()
                .satisfies(line -> assertThat(line).contains("VIGIL_JWT_SECRET is not set"));
        assertThat(output).doesNotContain("\tat ", "Exception");
    }

    @Test
    void refusesASecretShorterThan32Bytes() {
        assertRefused(() -> new RunServiceHarness(kafka, db, "signing-short-it.", Map.of(),
                "0123456789012345678901234567890").close(), "VIGIL_JWT_SECRET has 31 bytes");
    }

    @Test
    void theDevEnvironmentStartsWithItsOwnSecretAndTheOldFallbackIsGone() throws Exception {
        try (RunServiceHarness service = new RunServiceHarness(kafka, db, "signing-dev-it.", Map.of(), null, "dev")) {
            assertThat(service.call("GET", "/api/v1/runs", hs256(DEV_SECRET), null).statusCode()).isEqualTo(200);
            assertThat(service.call("GET", "/api/v1/runs", hs256(OLD_FALLBACK), null).statusCode()).isEqualTo(401);
        }
    }

    /**
     * An OIDC provider's JWKS, fetched as in production (Micronaut's HTTP client is not on its class path), is
     * all the configuration needed: tokens signed by its RS256 or ES256 keys pass; another key claiming the same
     * key id, and any HS256 token, do not.
     */
    @Test
    void withOnlyAJwksItsKeysAreTrustedAndNothingElse() throws Exception {
        RSAKey rsa = new RSAKeyGenerator(2048).keyID("idp-rsa").generate();
        ECKey ec = new ECKeyGenerator(Curve.P_256).keyID("idp-ec").generate();
        RSAKey impostor = new RSAKeyGenerator(2048).keyID("idp-rsa").generate();
        try (JwksServer jwks = JwksServer.serving(new JWKSet(List.of(rsa, ec)));
             RunServiceHarness service = new RunServiceHarness(kafka, db, "signing-jwks-it.", Map.of(
                     "micronaut.security.token.jwt.signatures.jwks.idp.url", jwks.url(),
                     "micronaut.security.token.jwt.signatures.jwks-client.http-client.enabled", false), null)) {
            assertThat(service.call("GET", "/api/v1/runs", sign(JWSAlgorithm.RS256, rsa.getKeyID(), new RSASSASigner(rsa)),
                    null).statusCode()).as("RS256 by the provider's key").isEqualTo(200);
            assertThat(service.call("GET", "/api/v1/runs", sign(JWSAlgorithm.ES256, ec.getKeyID(), new ECDSASigner(ec)),
                    null).statusCode()).as("ES256 by the provider's key").isEqualTo(200);
            assertThat(service.call("GET", "/api/v1/runs", sign(JWSAlgorithm.RS256, rsa.getKeyID(),
                    new RSASSASigner(impostor)), null).statusCode()).as("RS256 by another key").isEqualTo(401);
            assertThat(service.call("GET", "/api/v1/runs", hs256(OLD_FALLBACK), null).statusCode())
                    .as("HS256 with the old committed fallback").isEqualTo(401);
            assertThat(service.call("GET", "/api/v1/runs", hs256(RunServiceHarness.SECRET), null).statusCode())
                    .as("HS256 with any secret").isEqualTo(401);
        }
    }

    private static void assertRefused(ThrowableAssert.ThrowingCallable start, String message) {
        assertThatThrownBy(start).as("run-service started").satisfies(e -> {
            Throwable cause = e;
            while (cause.getCause() != null) {
                cause = cause.getCause();
            }
            assertThat(cause.getMessage()).contains(message);
        });
    }

    private static String hs256(String secret) throws JOSEException {
        return sign(JWSAlgorithm.HS256, null, new MACSigner(secret));
    }

    private static String sign(JWSAlgorithm algorithm, String keyId, JWSSigner signer) throws JOSEException {
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(algorithm).keyID(keyId).build(), new JWTClaimsSet.Builder()
                .subject("alice").claim("workspace", "acme").expirationTime(Date.from(Instant.now().plus(Duration.ofHours(1))))
                .build());
        jwt.sign(signer);
        return jwt.serialize();
    }
}
