package dev.vigil.run.security;

import static org.assertj.core.api.Assertions.assertThat;

import io.micronaut.security.token.jwt.signature.secret.SecretSignatureConfiguration;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The rules on signing keys, byte by byte: every way to set a key, and every way to get one wrong. */
class SigningKeyCheckTest {

    private static final String KEY_32 = "0123456789abcdef0123456789abcdef";

    @Test
    void noKeyAtAllNamesTheVariableToSet() {
        assertThat(SigningKeyCheck.problems(null, List.of(), 0)).singleElement().asString()
                .startsWith("VIGIL_JWT_SECRET is not set").contains("at least 32 bytes", "jwks", "MICRONAUT_ENVIRONMENTS=dev");
    }

    @Test
    void aSecretNeeds32BytesNot32Characters() {
        assertThat(SigningKeyCheck.problems(KEY_32, List.of(), 0)).isEmpty();
        assertThat(SigningKeyCheck.problems(KEY_32.substring(1), List.of(), 0)).singleElement().asString()
                .startsWith("VIGIL_JWT_SECRET has 31 bytes");
        assertThat(SigningKeyCheck.problems("é".repeat(16), List.of(), 0)).as("16 characters, 32 bytes").isEmpty();
    }

    @Test
    void aJwksAloneIsEnough() {
        assertThat(SigningKeyCheck.problems(null, List.of(), 1)).isEmpty();
        assertThat(SigningKeyCheck.problems("short", List.of(), 1)).as("but not with a short secret beside it")
                .singleElement().asString().startsWith("VIGIL_JWT_SECRET has 5 bytes");
    }

    @Test
    void aSecretSetTheMicronautWayIsHeldToTheSameRuleAndNamedByItsProperty() {
        assertThat(SigningKeyCheck.problems(null, List.of(secret("a", KEY_32, false)), 0)).isEmpty();
        assertThat(SigningKeyCheck.problems(null, List.of(secret("b", "short", false)), 0)).singleElement().asString()
                .startsWith("micronaut.security.token.jwt.signatures.secret.b.secret has 5 bytes");
        String base64Of24Bytes = Base64.getEncoder().encodeToString(new byte[24]);
        assertThat(SigningKeyCheck.problems(null, List.of(secret("c", base64Of24Bytes, true)), 0)).as("decoded")
                .singleElement().asString().contains("has 24 bytes");
        assertThat(SigningKeyCheck.problems(null, List.of(secret("d", "not base64!", true)), 0)).singleElement()
                .asString().contains("has 0 bytes");
    }

    private static SecretSignatureConfiguration secret(String name, String value, boolean base64) {
        SecretSignatureConfiguration secret = new SecretSignatureConfiguration(name);
        secret.setSecret(value);
        secret.setBase64(base64);
        return secret;
    }
}
