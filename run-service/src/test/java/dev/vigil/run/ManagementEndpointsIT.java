package dev.vigil.run;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vigil.infra.KafkaBroker;
import dev.vigil.infra.ManagementEndpoints;
import dev.vigil.infra.PostgresDatabase;
import dev.vigil.infra.RealInfraExtension;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The management side of the API port: probes and the scrape are anonymous, nothing else is there for anyone
 * (a tenant's token opens no more), and the metrics name no workspace, key or run.
 */
@ExtendWith(RealInfraExtension.class)
class ManagementEndpointsIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static RunServiceHarness service;

    @BeforeAll
    static void start(KafkaBroker kafka, PostgresDatabase db) throws Exception {
        service = new RunServiceHarness(kafka, db, "management-it.", Map.of());
    }

    @AfterAll
    static void stop() {
        service.close();
    }

    @Test
    void onlyHealthAndMetricsAnswerWithoutCredentials() {
        assertThat(ManagementEndpoints.problems(service.server.getURI())).isEmpty();
    }

    @Test
    void aTenantsTokenOpensNoManagementEndpoint() throws Exception {
        String tenant = RunServiceHarness.token("mallory", "acme", Duration.ofHours(1), List.of("operator"));
        for (ManagementEndpoints.Probe probe : ManagementEndpoints.PRIVATE) {
            assertThat(service.call(probe.method(), probe.path(), tenant, probe.body()).statusCode())
                    .as("%s with a tenant's token", probe).isIn(ManagementEndpoints.REFUSALS);
        }
    }

    @Test
    void theMetricsNameNoWorkspaceKeyOrRun() throws Exception {
        String workspace = "tenant-" + UUID.randomUUID().toString().substring(0, 8);
        String key = "key-of-" + workspace;
        String token = RunServiceHarness.token("alice", workspace, Duration.ofHours(1));
        String run = JSON.readTree(service.call("POST", "/api/v1/runs", token, "{\"key\":\"" + key + "\"}").body())
                .get("id").asText();
        service.call("GET", "/api/v1/runs/" + run, token, null);
        service.call("GET", "/api/v1/runs?key=" + key, token, null);
        service.call("POST", "/api/v1/runs/" + run + "/finish", token, "{\"outcome\":\"FAILED\",\"attempt\":1}");
        service.call("GET", "/api/v1/runs/" + UUID.randomUUID(), token, null);
        service.call("GET", "/" + workspace + "/not-a-route", token, null);

        String metrics = service.call("GET", "/prometheus", null, null).body();

        assertThat(metrics).contains("vigil_runs_finalized_total").doesNotContain(workspace, key, run)
                .doesNotContainPattern("(?i)workspace\\s*=");
    }
}
