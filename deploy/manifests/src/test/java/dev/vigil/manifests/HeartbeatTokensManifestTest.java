package dev.vigil.manifests;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * Heartbeat tokens in the cluster: run-service signs them and the sweeper checks them with the same
 * Secret ({@code vigil-heartbeats}); in production the sweeper requires them, so only the worker
 * holding its attempt's token keeps the attempt alive.
 */
class HeartbeatTokensManifestTest {

    @Test
    void productionRequiresTokensSignedAndCheckedWithOneSecret() {
        Rendered prod = Kustomize.build(Repo.k8s().resolve("overlays/prod"));
        for (String service : new String[] {"run-service", "sweeper-service"}) {
            assertThat(prod.env(prod.service(service))).as(service).containsEntry("VIGIL_HEARTBEATS_SECRET",
                    "secret:vigil-heartbeats/secret");
        }
        assertThat(prod.env(prod.service("sweeper-service"))).containsEntry("VIGIL_HEARTBEATS_REQUIRE_TOKEN", "true");
    }

    @Test
    void developmentIssuesTokensWithoutRequiringThem() {
        Rendered dev = Kustomize.build(Repo.k8s().resolve("overlays/dev"));
        String ref = dev.env(dev.service("sweeper-service")).get("VIGIL_HEARTBEATS_SECRET");
        assertThat(dev.ofKind("Secret")).extracting(Rendered::name)
                .contains(ref.substring("secret:".length(), ref.lastIndexOf('/'))); // the generated one, name hash and all
        assertThat(dev.env(dev.service("sweeper-service"))).doesNotContainKey("VIGIL_HEARTBEATS_REQUIRE_TOKEN");
    }
}
