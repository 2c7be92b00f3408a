package dev.vigil.run;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vigil.infra.EmbeddedPostgres;
import dev.vigil.infra.KafkaBroker;
import dev.vigil.infra.KafkaServerProcess;
import dev.vigil.infra.RealInfraExtension;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Duration;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * PostgreSQL restarts (the fault suite does it every round): a request that meets the dead database is
 * answered 503 with {@code Retry-After} and a problem body — not a 500 — and the API recovers by itself.
 */
@ExtendWith(RealInfraExtension.class)
class DatabaseOutageIT {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void aRequestDuringADatabaseOutageIsA503WithRetryAfterAndTheApiRecovers(KafkaBroker kafka) throws Exception {
        try (EmbeddedPostgres db = EmbeddedPostgres.start(KafkaServerProcess.freePort(),
                Files.createTempDirectory("db-outage-it"));
             RunServiceHarness service = new RunServiceHarness(kafka, db, "db-outage-it.", Map.of())) {
            String token = RunServiceHarness.token("alice", "acme", Duration.ofHours(1));
            HttpResponse<String> created = service.call("POST", "/api/v1/runs", token, "{\"key\":\"outage\"}");
            String id = JSON.readTree(created.body()).get("id").asText();

            db.kill();
            for (String[] call : new String[][] {{"GET", "/api/v1/runs/" + id, null}, {"GET", "/api/v1/runs", null},
                    {"POST", "/api/v1/runs", "{\"key\":\"during\"}"}, {"POST", "/api/v1/runs/" + id + "/stop", null}}) {
                HttpResponse<String> answer = service.call(call[0], call[1], token, call[2]);
                assertThat(answer.statusCode()).as(call[0] + " " + call[1] + ": " + answer.body()).isEqualTo(503);
                assertThat(answer.headers().firstValue("Retry-After")).isPresent();
                JsonNode problem = JSON.readTree(answer.body());
                assertThat(problem.get("status").asInt()).isEqualTo(503);
                assertThat(problem.get("detail").asText()).contains("database");
            }

            db.restart();
            Awaitility.await().atMost(Duration.ofSeconds(60)).until(
                    () -> service.call("GET", "/api/v1/runs/" + id, token, null).statusCode() == 200);
        }
    }
}
