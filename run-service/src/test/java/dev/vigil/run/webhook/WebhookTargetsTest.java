package dev.vigil.run.webhook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** No SSRF: what a tenant may not point run-service at (literal addresses: no DNS needed to judge them). */
class WebhookTargetsTest {

    @ParameterizedTest
    @ValueSource(strings = {
            "http://127.0.0.1/hook", "http://127.1.2.3:8080/hook", "http://[::1]/hook", "http://0.0.0.0/hook",
            "http://10.0.0.7/hook", "http://172.16.4.4/hook", "http://192.168.1.1/hook", // RFC 1918
            "http://169.254.169.254/latest/meta-data/", "http://[fe80::1]/hook",          // link-local, cloud metadata
            "http://100.64.0.1/hook", "http://198.18.0.1/hook", "http://192.0.0.8/hook",  // CGNAT, benchmarking, IETF
            "http://240.0.0.1/hook", "http://255.255.255.255/hook", "http://224.0.0.1/hook", // reserved, broadcast, multicast
            "http://[fd00::1]/hook", "http://[::ffff:127.0.0.1]/hook", "http://[::ffff:10.1.1.1]/hook", // ULA, mapped
            "http://[::10.1.1.1]/hook", "http://[2002:a00:1::1]/hook", "http://[2001:0:4136:e378::1]/hook",
            "http://[64:ff9b::a00:1]/hook"})
    void privateLoopbackLinkLocalAndReservedTargetsAreRefused(String url) {
        assertThatThrownBy(() -> WebhookTargets.check(url, false)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("webhooks go to public addresses only");
        assertThat(WebhookTargets.check(url, true)).as("allowed when the deployment says so").isNotNull();
    }

    @ParameterizedTest
    @ValueSource(strings = {"https://93.184.215.14/hook", "http://8.8.8.8:8443/x?y=1", "https://[2606:4700::1111]/hook"})
    void publicAddressesAreTargets(String url) {
        assertThat(WebhookTargets.check(url, false).toString()).isEqualTo(url);
    }

    @ParameterizedTest
    @ValueSource(strings = {"ftp://8.8.8.8/hook", "file:///etc/passwd", "gopher://8.8.8.8/", "http:///nohost",
            "http://user:secret@8.8.8.8/hook", "http://8.8.8.8/hook#fragment", "not a url", ""})
    void anythingButAPlainHttpUrlIsRefused(String url) {
        assertThatThrownBy(() -> WebhookTargets.check(url, true)).isInstanceOf(IllegalArgumentException.class);
    }

    @org.junit.jupiter.api.Test
    void aUrlLongerThanTheLimitIsRefused() {
        String url = "https://8.8.8.8/" + "a".repeat(WebhookTargets.MAX_URL_LENGTH);
        assertThatThrownBy(() -> WebhookTargets.check(url, true)).hasMessageContaining("at most 2048 characters");
    }
}
