package dev.vigil.cleaner.settings;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vigil.cleaner.TestSettings;
import dev.vigil.cleaner.kubernetes.ResourceKind;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class CleanerSettingsTest {

    private static CleanerSettings settings(List<String> namespaces, List<String> kinds, String runLabel) {
        return CleanerSettings.of(namespaces, kinds, runLabel, "app.kubernetes.io/managed-by", "vigil",
                Duration.ofMinutes(10), Duration.ofMinutes(10), TestSettings.FAST_RETRY, 10, CleanerSettings.Service.DEFAULTS);
    }

    @Test
    void readsKindsByKindOrResourceNameInAnyCaseWithoutDuplicates() {
        CleanerSettings settings = settings(List.of(" agents ", "", "tenant-b"),
                List.of("deployments", "Service", "SERVICES", "persistentVolumeClaim", "ingresses"), "session");

        assertThat(settings.kinds()).containsExactly(ResourceKind.DEPLOYMENT, ResourceKind.SERVICE,
                ResourceKind.PERSISTENT_VOLUME_CLAIM, ResourceKind.INGRESS);
        assertThat(settings.namespaces()).containsExactlyInAnyOrder("agents", "tenant-b");
        assertThat(settings.allows("agents")).isTrue();
        assertThat(settings.allows("kube-system")).isFalse();
    }

    @Test
    void rejectsWhatCouldNeverMatchOrWouldMatchTooMuch() {
        assertThatThrownBy(() -> settings(List.of("agents"), List.of("Deployment", "CronJob"), "session"))
                .hasMessageContaining("unknown resource kind 'CronJob'").hasMessageContaining("StatefulSet");
        assertThatThrownBy(() -> settings(List.of("Agents_1"), List.of("Pod"), "session"))
                .hasMessageContaining("namespace");
        assertThatThrownBy(() -> settings(List.of("agents"), List.of(), "session"))
                .hasMessageContaining("at least one resource kind");
        assertThatThrownBy(() -> settings(List.of("agents"), List.of("Pod"), "app.kubernetes.io/managed-by"))
                .hasMessageContaining("must differ");
        assertThatThrownBy(() -> settings(List.of("agents"), List.of("Pod"), "bad key!"))
                .hasMessageContaining("run label key");
        assertThatThrownBy(() -> settings(List.of("agents"), List.of("Pod"), "vigil.dev/workspace"))
                .hasMessageContaining("must differ");
    }

    @Test
    void refusesAnOrphanAgeShorterThanTheLongestRun() {
        assertThatThrownBy(() -> CleanerSettings.of(List.of("agents"), List.of("Pod"), "session",
                "app.kubernetes.io/managed-by", "vigil", Duration.ofMinutes(10), Duration.ofDays(30),
                TestSettings.FAST_RETRY, 10, CleanerSettings.Service.DEFAULTS))
                .hasMessageContaining("orphan age (PT10M) must not be shorter than the longest a run may live (PT720H)");
    }

    @Test
    void backoffGrowsExponentiallyUpToTheCapWithJitter() {
        RetryPolicy policy = new RetryPolicy(6, Duration.ofMillis(100), Duration.ofMillis(1000));

        for (int i = 0; i < 50; i++) {
            assertThat(policy.backoff(1).toMillis()).isBetween(50L, 100L);
            assertThat(policy.backoff(3).toMillis()).isBetween(200L, 400L);
            assertThat(policy.backoff(5).toMillis()).isBetween(500L, 1000L);
            assertThat(policy.backoff(40).toMillis()).isBetween(500L, 1000L);
        }
        assertThatThrownBy(() -> new RetryPolicy(0, Duration.ZERO, Duration.ZERO)).hasMessageContaining("attempts");
    }
}
