package dev.vigil.contracts.webhook;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Checks a webhook delivery from Vigil as the Standard Webhooks specification says, for a JVM app that receives
 * them: one of the space-separated {@code v1,<base64>} entries of {@code webhook-signature} is the HMAC-SHA256 of
 * {@code <webhook-id>.<webhook-timestamp>.<body>} under the key the {@code whsec_} secret holds, and the timestamp is
 * within the tolerance of now. Written from the specification, apart from run-service's signer, so each checks the
 * other.
 */
public final class WebhookVerifier {

    private final byte[] key;
    private final Duration tolerance;

    /** @param secret the subscription's secret ({@code whsec_...}) */
    public WebhookVerifier(String secret, Duration tolerance) {
        this.key = Base64.getDecoder().decode(secret.startsWith("whsec_") ? secret.substring("whsec_".length()) : secret);
        this.tolerance = tolerance;
    }

    public WebhookVerifier(String secret) {
        this(secret, Duration.ofMinutes(5));
    }

    /** Whether the delivery is Vigil's, signed with this secret, recently; {@code body} exactly as received. */
    public boolean verifies(String id, String timestamp, String signatures, String body, Instant now) {
        if (id == null || timestamp == null || signatures == null || body == null || !timestamp.matches("\\d{1,19}")) {
            return false;
        }
        try {
            if (Duration.between(Instant.ofEpochSecond(Long.parseLong(timestamp)), now).abs().compareTo(tolerance) > 0) {
                return false;
            }
        } catch (RuntimeException outOfRange) { // a number no clock reaches
            return false;
        }
        byte[] expected;
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            expected = mac.doFinal((id + "." + timestamp + "." + body).getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is not available", e);
        }
        for (String entry : signatures.split(" ")) {
            int comma = entry.indexOf(',');
            if (comma > 0 && entry.substring(0, comma).equals("v1")) {
                try {
                    if (MessageDigest.isEqual(expected, Base64.getDecoder().decode(entry.substring(comma + 1)))) {
                        return true;
                    }
                } catch (IllegalArgumentException notBase64) {
                    // another entry may match
                }
            }
        }
        return false;
    }
}
