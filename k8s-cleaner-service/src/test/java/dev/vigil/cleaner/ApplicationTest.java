package dev.vigil.cleaner;

import static org.assertj.core.api.Assertions.assertThat;

import io.micronaut.context.ApplicationContext;
import io.micronaut.runtime.server.EmbeddedServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ApplicationTest {

    @Test
    void startsServesHealthAndMetricsAndStopsCleanly() throws Exception {
        EmbeddedServer server = ApplicationContext.run(EmbeddedServer.class, Map.of("micronaut.server.port", -1));
        HttpClient http = HttpClient.newHttpClient();
        try {
            HttpResponse<String> health = http.send(HttpRequest.newBuilder(server.getURI().resolve("/health")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(health.statusCode()).isEqualTo(200);
            assertThat(health.body()).contains("\"status\":\"UP\"");

            HttpResponse<String> metrics = http.send(HttpRequest.newBuilder(server.getURI().resolve("/prometheus")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(metrics.statusCode()).isEqualTo(200);
            assertThat(metrics.body()).contains("jvm_memory_used_bytes");
        } finally {
            server.getApplicationContext().close();
        }
        assertThat(server.isRunning()).isFalse();
    }
}
