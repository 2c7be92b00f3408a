package dev.vigil.run.webhook;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Standard Webhooks signatures: {@code v1,<base64 HMAC-SHA256 of "id.timestamp.body">} with the key a
 * {@code whsec_<base64>} secret names; several, space-separated, while a rotated secret still signs.
 */
public final class WebhookSignature {

    static final String PREFIX = "whsec_";
    private static final SecureRandom RANDOM = new SecureRandom();

    private WebhookSignature() {
    }

    /** A new secret: 32 random bytes. */
    public static String newSecret() {
        byte[] key = new byte[32];
        RANDOM.nextBytes(key);
        return PREFIX + Base64.getEncoder().encodeToString(key);
    }

    /** The {@code webhook-signature} header's value for the message, signed with each secret given. */
    public static String sign(String messageId, long timestampSeconds, String body, String... secrets) {
        StringBuilder header = new StringBuilder();
        for (String secret : secrets) {
            if (secret == null) {
                continue;
            }
            if (header.length() > 0) {
                header.append(' ');
            }
            header.append("v1,").append(signature(secret, messageId + "." + timestampSeconds + "." + body));
        }
        return header.toString();
    }

    private static String signature(String secret, String content) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(Base64.getDecoder().decode(secret.substring(PREFIX.length())), "HmacSHA256"));
            return Base64.getEncoder().encodeToString(mac.doFinal(content.getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is not available", e);
        }
    }
}
