package dev.vigil.contracts.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import org.junit.jupiter.api.Test;

/** Against the Standard Webhooks specification's published test vector. */
class WebhookVerifierTest {

    private static final WebhookVerifier VERIFIER = new WebhookVerifier("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
    private static final String ID = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    private static final String SIGNATURES = "v1,bm9wZQ== v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";
    private static final String BODY = "{\"test\": 2432232314}";
    private static final Instant AT = Instant.ofEpochSecond(1614265330);

    @Test
    void aDeliverySignedAsTheSpecificationSaysVerifies() {
        assertThat(VERIFIER.verifies(ID, "1614265330", SIGNATURES, BODY, AT)).isTrue();
        assertThat(VERIFIER.verifies(ID, "1614265330", SIGNATURES, BODY, AT.plusSeconds(299))).isTrue();
    }

    @Test
    void aChangedBodyAnotherIdAnOldTimestampOrAnotherVersionDoesNot() {
        assertThat(VERIFIER.verifies(ID, "1614265330", SIGNATURES, "{\"test\": 2432232315}", AT)).isFalse();
        assertThat(VERIFIER.verifies("msg_other", "1614265330", SIGNATURES, BODY, AT)).isFalse();
        assertThat(VERIFIER.verifies(ID, "1614265330", SIGNATURES, BODY, AT.plusSeconds(301))).isFalse();
        assertThat(VERIFIER.verifies(ID, "1614265330", "v2,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", BODY, AT)).isFalse();
        assertThat(VERIFIER.verifies(ID, "1614265330.5", SIGNATURES, BODY, AT)).isFalse();
        assertThat(VERIFIER.verifies(null, "1614265330", SIGNATURES, BODY, AT)).isFalse();
        assertThat(VERIFIER.verifies(ID, "1614265330", "v1,***", BODY, AT)).isFalse();
        assertThat(VERIFIER.verifies(ID, "9999999999999999999", SIGNATURES, BODY, AT)).isFalse();
        assertThat(VERIFIER.verifies(ID, "99999999999999999", SIGNATURES, BODY, AT)).isFalse();
    }
}
