package dev.vigil.run;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jwt.JWTClaimsSet;
import dev.vigil.infra.KafkaBroker;
import dev.vigil.infra.PostgresDatabase;
import dev.vigil.infra.RealInfraExtension;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * With {@code vigil.security.issuer} and {@code vigil.security.audience} set, a correctly signed token must also
 * come from that issuer, exactly, and name that audience: a token minted for another service or by another realm
 * of the same provider is a 401 with a problem body.
 */
@ExtendWith(RealInfraExtension.class)
class TokenClaimsIT {

    private static final String ISSUER = "https://idp.example.com/realms/vigil";
    private static final String AUDIENCE = "vigil-api";
    private static RunServiceHarness service;

    @BeforeAll
    static void start(KafkaBroker kafka, PostgresDatabase db) throws Exception {
        service = new RunServiceHarness(kafka, db, "token-claims-it.", Map.of(
                "vigil.security.issuer", ISSUER, "vigil.security.audience", AUDIENCE));
    }

    @AfterAll
    static void stop() {
        service.close();
    }

    @Test
    void aTokenFromTheIssuerForTheAudienceIsAccepted() throws Exception {
        assertThat(status(claims(ISSUER).audience(AUDIENCE))).isEqualTo(200);
        assertThat(status(claims(ISSUER).audience(List.of("another-api", AUDIENCE)))).isEqualTo(200);
    }

    @Test
    void anotherIssuerOrNoneIsRefused() throws Exception {
        assertUnauthorized(claims("https://idp.example.com/realms/other").audience(AUDIENCE));
        assertUnauthorized(claims(null).audience(AUDIENCE));
        assertUnauthorized(claims("").audience(AUDIENCE));
        // Micronaut's own issuer check accepts any suffix of the issuer, e.g. "vigil".
        assertUnauthorized(claims("vigil").audience(AUDIENCE));
        assertUnauthorized(claims("https://evil.example.com/realms/vigil").audience(AUDIENCE));
    }

    @Test
    void anotherAudienceOrNoneIsRefused() throws Exception {
        assertUnauthorized(claims(ISSUER).audience("another-api"));
        assertUnauthorized(claims(ISSUER));
        assertUnauthorized(claims(ISSUER).audience(List.of("another-api", "api")));
    }

    private static JWTClaimsSet.Builder claims(String issuer) {
        return new JWTClaimsSet.Builder().subject("alice").claim("workspace", "acme").issuer(issuer)
                .expirationTime(Date.from(Instant.now().plus(Duration.ofHours(1))));
    }

    private static int status(JWTClaimsSet.Builder claims) throws Exception {
        return service.call("GET", "/api/v1/runs", RunServiceHarness.token(claims.build()), null).statusCode();
    }

    private static void assertUnauthorized(JWTClaimsSet.Builder claims) throws Exception {
        HttpResponse<String> response = service.call("GET", "/api/v1/runs", RunServiceHarness.token(claims.build()), null);
        assertThat(response.statusCode()).as("a token with %s", claims.build().toJSONObject()).isEqualTo(401);
        assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(type ->
                assertThat(type).startsWith("application/problem+json"));
    }
}
