package dev.vigil.run;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.vigil.contracts.event.VigilEvent;
import dev.vigil.contracts.serde.EventJson;
import dev.vigil.contracts.topic.Topic;
import dev.vigil.contracts.topic.TopicCatalog;
import dev.vigil.infra.KafkaBroker;
import dev.vigil.infra.KafkaRecords;
import dev.vigil.infra.PostgresDatabase;
import io.micronaut.context.ApplicationContext;
import io.micronaut.runtime.server.EmbeddedServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/** run-service on the real broker and database, with an HTTP client and token minting. */
final class RunServiceHarness implements AutoCloseable {

    static final String SECRET = "test-secret-0123456789abcdef0123456789abcdef";
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Where the harness puts the HS256 secret. */
    static final String SECRET_PROPERTY = "vigil.security.jwt-secret";

    final TopicCatalog topics;
    final String bootstrap;
    final PostgresDatabase db;
    final EmbeddedServer server;
    private final HttpClient http = HttpClient.newHttpClient();

    RunServiceHarness(KafkaBroker kafka, PostgresDatabase db, String prefix, Map<String, Object> extra) throws Exception {
        this(kafka, db, prefix, extra, SECRET);
    }

    /**
     * run-service with {@code secret} as its HS256 key ({@code null}: none given, as when VIGIL_JWT_SECRET is not
     * set), in the Micronaut {@code environments} named.
     */
    RunServiceHarness(KafkaBroker kafka, PostgresDatabase db, String prefix, Map<String, Object> extra, String secret,
                      String... environments) throws Exception {
        this(kafka, db, prefix, extra, secret, true, environments);
    }

    /** The same, on the database the previous harness of {@code prefix} left when {@code freshSchema} is false. */
    RunServiceHarness(KafkaBroker kafka, PostgresDatabase db, String prefix, Map<String, Object> extra, String secret,
                      boolean freshSchema, String... environments) throws Exception {
        this.topics = new TopicCatalog(prefix);
        this.bootstrap = kafka.bootstrapServers();
        this.db = db;
        String schema = prefix.replaceAll("[^a-z0-9]", "_") + "db";
        if (freshSchema) {
            try (Connection c = DriverManager.getConnection(db.jdbcUrl(), db.username(), db.password());
                 Statement s = c.createStatement()) {
                s.execute("drop schema if exists " + schema + " cascade");
                s.execute("create schema " + schema);
            }
        }
        Map<String, Object> props = new HashMap<>(Map.of(
                "micronaut.server.port", -1,
                "datasources.default.url", db.jdbcUrl() + (db.jdbcUrl().contains("?") ? "&" : "?") + "currentSchema=" + schema,
                "datasources.default.username", db.username(),
                "datasources.default.password", db.password(),
                "vigil.topic-prefix", prefix,
                "vigil.kafka.bootstrap-servers", bootstrap,
                "vigil.kafka.replication-factor", 1));
        if (secret != null) {
            props.put(SECRET_PROPERTY, secret);
        }
        props.put("vigil.kafka.client.client.dns.lookup", "use_all_dns_ips"); // a client setting with dots in its name
        props.putAll(extra);
        server = ApplicationContext.run(EmbeddedServer.class, props, environments);
    }

    static String token(String subject, String workspace, Duration validFor) throws Exception {
        return token(subject, workspace, validFor, List.of());
    }

    static String token(String subject, String workspace, Duration validFor, List<String> roles) throws Exception {
        JWTClaimsSet.Builder claims = new JWTClaimsSet.Builder().subject(subject)
                .expirationTime(Date.from(Instant.now().plus(validFor)));
        if (!roles.isEmpty()) {
            claims.claim("roles", roles);
        }
        if (workspace != null) {
            claims.claim("workspace", workspace);
        }
        SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), claims.build());
        jwt.sign(new MACSigner(SECRET));
        return jwt.serialize();
    }

    /** A token signed with the service's secret carrying exactly these claims (none added). */
    static String token(JWTClaimsSet claims) throws Exception {
        SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), claims);
        jwt.sign(new MACSigner(SECRET));
        return jwt.serialize();
    }

    HttpResponse<String> call(String method, String path, String token, String body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(server.getURI() + path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
                .header("Content-Type", "application/json");
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    <V> List<ConsumerRecord<String, V>> read(String topic, Deserializer<V> values, Duration timeout,
                                            java.util.function.Predicate<List<ConsumerRecord<String, V>>> done) {
        return KafkaRecords.readUntil(bootstrap, topic, values, timeout, done);
    }

    /** The values keyed {@code key} on {@code topic}, once at least {@code atLeast} are there (15 s at most). */
    <V> List<V> valuesOf(Topic<String, V> topic, String key, int atLeast) {
        return read(topic.name(), topic.valueSerde().deserializer(), Duration.ofSeconds(15),
                rs -> rs.stream().filter(r -> key.equals(r.key())).count() >= atLeast)
                .stream().filter(r -> key.equals(r.key())).map(ConsumerRecord::value).toList();
    }

    RecordMetadata publish(String topic, String key, VigilEvent event) throws Exception {
        return publishRaw(topic, key, EventJson.write(event));
    }

    RecordMetadata publishRaw(String topic, String key, byte[] value) throws Exception {
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap), new StringSerializer(), new ByteArraySerializer())) {
            return producer.send(new ProducerRecord<>(topic, key, value)).get(10, TimeUnit.SECONDS);
        }
    }

    /** The offset {@code group} has committed on {@code partition}, or -1 if none. */
    long committed(String group, TopicPartition partition) throws Exception {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
            OffsetAndMetadata offset = admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata()
                    .get(10, TimeUnit.SECONDS).get(partition);
            return offset == null ? -1 : offset.offset();
        }
    }

    /** Creates a run for {@code key} in the token's workspace and returns its id. */
    String createRun(String token, String key) throws Exception {
        HttpResponse<String> response = call("POST", "/api/v1/runs", token, "{\"key\":\"" + key + "\"}");
        if (response.statusCode() != 201) {
            throw new IllegalStateException("create failed: " + response.statusCode() + " " + response.body());
        }
        return JSON.readTree(response.body()).get("id").asText();
    }

    /** The run's status as the API reports it. */
    String status(String token, String id) throws Exception {
        return JSON.readTree(call("GET", "/api/v1/runs/" + id, token, null).body()).get("status").asText();
    }

    @Override
    public void close() {
        server.getApplicationContext().close();
    }
}
