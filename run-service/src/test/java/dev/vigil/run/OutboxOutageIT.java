package dev.vigil.run;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vigil.contracts.event.RunEvent;
import dev.vigil.infra.KafkaServerProcess;
import dev.vigil.infra.PostgresDatabase;
import dev.vigil.infra.RealInfraExtension;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** The outbox keeps every event while the broker is dead and delivers them, in order, when it returns. */
@ExtendWith(RealInfraExtension.class)
class OutboxOutageIT {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void eventsWaitInTheOutboxWhileTheBrokerIsDownAndGoOutWhenItIsBack(PostgresDatabase db, @TempDir Path dir)
            throws Exception {
        try (KafkaServerProcess broker = KafkaServerProcess.start(0, dir);
             RunServiceHarness service = new RunServiceHarness(broker, db, "outage-it.", Map.of())) {
            String token = RunServiceHarness.token("alice", "acme", Duration.ofHours(1));
            String before = create(service, token, "before-outage");
            awaitEvents(service, Map.of(before, 1));

            broker.kill();
            List<String> during = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                during.add(create(service, token, "during-outage-" + i));
            }
            String stopped = during.get(0);
            assertThat(service.call("POST", "/api/v1/runs/" + stopped + "/stop", token, null).statusCode()).isEqualTo(202);
            Awaitility.await().pollDelay(Duration.ofSeconds(2)).until(() -> true);
            assertThat(pendingOutboxRows(db)).as("nothing was lost while the broker was down").isEqualTo(5);

            broker.restart();
            List<RunEvent> delivered = awaitEvents(service, Map.of(during.get(0), 2, during.get(1), 1, during.get(2), 1));
            assertThat(delivered.stream().filter(e -> e.runId().equals(stopped)).map(RunEvent::type))
                    .as("in order per run").containsExactly("RunCreated", "RunStopRequested");
            Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> pendingOutboxRows(db) == 0);
        }
    }

    /** Reads run events until each run has at least its expected number. */
    private static List<RunEvent> awaitEvents(RunServiceHarness service, Map<String, Integer> expected) {
        return service.read(service.topics.runEvents().name(), service.topics.runEvents().valueSerde().deserializer(),
                        Duration.ofSeconds(90), rs -> expected.entrySet().stream().allMatch(e ->
                                rs.stream().filter(r -> e.getKey().equals(r.key())).count() >= e.getValue()))
                .stream().map(ConsumerRecord::value).toList();
    }

    private static String create(RunServiceHarness service, String token, String key) throws Exception {
        HttpResponse<String> response = service.call("POST", "/api/v1/runs", token, "{\"key\":\"" + key + "\"}");
        assertThat(response.statusCode()).as(response.body()).isEqualTo(201);
        return JSON.readTree(response.body()).get("id").asText();
    }

    private static long pendingOutboxRows(PostgresDatabase db) throws Exception {
        try (Connection c = DriverManager.getConnection(db.jdbcUrl(), db.username(), db.password());
             ResultSet rs = c.createStatement().executeQuery("select count(*) from outage_it_db.outbox")) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
