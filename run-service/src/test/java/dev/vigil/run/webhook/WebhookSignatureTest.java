package dev.vigil.run.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The signature against the Standard Webhooks specification's own example. */
class WebhookSignatureTest {

    @Test
    void signsTheSpecificationsExampleAsItSays() {
        // From the specification (standard-webhooks, spec/standard-webhooks.md, "Signature scheme").
        String secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        String id = "msg_p5jXN8AQM9LWM0D4loKWxJek";
        long timestamp = 1614265330;
        String body = "{\"test\": 2432232314}";
        assertThat(WebhookSignature.sign(id, timestamp, body, secret))
                .isEqualTo("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    @Test
    void aRotatedSecretSignsBesideTheNewOneAndNewSecretsAreDistinct() {
        String a = WebhookSignature.newSecret();
        String b = WebhookSignature.newSecret();
        assertThat(a).startsWith("whsec_").isNotEqualTo(b);
        String both = WebhookSignature.sign("msg_1", 1, "{}", a, b);
        assertThat(both.split(" ")).hasSize(2).containsExactly(WebhookSignature.sign("msg_1", 1, "{}", a),
                WebhookSignature.sign("msg_1", 1, "{}", b));
        assertThat(WebhookSignature.sign("msg_1", 1, "{}", a, null)).isEqualTo(WebhookSignature.sign("msg_1", 1, "{}", a));
    }
}
