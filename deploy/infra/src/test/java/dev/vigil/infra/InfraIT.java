package dev.vigil.infra;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(RealInfraExtension.class)
class InfraIT {

    @Test
    void sharedBrokerAcceptsTransactionalWrites(KafkaBroker kafka) throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
            admin.createTopics(List.of(new NewTopic("infra-it", 2, (short) 1))).all().get(30, TimeUnit.SECONDS);
        }
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                ProducerConfig.TRANSACTIONAL_ID_CONFIG, "infra-it"), new StringSerializer(), new StringSerializer())) {
            producer.initTransactions();
            producer.beginTransaction();
            producer.send(new ProducerRecord<>("infra-it", "k", "v"));
            producer.commitTransaction();
        }
    }

    @Test
    void sharedDatabaseAnswersQueries(PostgresDatabase db) throws Exception {
        try (Connection c = DriverManager.getConnection(db.jdbcUrl(), db.username(), db.password());
             ResultSet rs = c.createStatement().executeQuery("select current_setting('server_version_num')::int")) {
            assertThat(rs.next()).isTrue();
            assertThat(rs.getInt(1)).isGreaterThanOrEqualTo(170000);
        }
    }

    @Test
    void brokerProcessSurvivesKillAndKeepsItsData(@TempDir Path dir) throws Exception {
        try (KafkaServerProcess kafka = KafkaServerProcess.start(0, dir)) {
            try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
                admin.createTopics(List.of(new NewTopic("restart", 1, (short) 1))).all().get(30, TimeUnit.SECONDS);
            }
            assertThat(send(kafka)).isZero();
            kafka.kill();
            assertThat(kafka.isAlive()).isFalse();
            kafka.restart();
            assertThat(send(kafka)).as("the topic and its first record survived the kill").isEqualTo(1);
        }
    }

    @Test
    void postgresSurvivesAnImmediateShutdownWithItsData(@TempDir Path dir) throws Exception {
        try (EmbeddedPostgres pg = EmbeddedPostgres.start(KafkaServerProcess.freePort(), dir.resolve("pg"))) {
            try (Connection c = DriverManager.getConnection(pg.jdbcUrl(), pg.username(), pg.password())) {
                c.createStatement().execute("create table kept (v int); insert into kept values (42)");
            }
            pg.kill();
            pg.restart();
            try (Connection c = DriverManager.getConnection(pg.jdbcUrl(), pg.username(), pg.password());
                 ResultSet rs = c.createStatement().executeQuery("select v from kept")) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getInt(1)).isEqualTo(42);
            }
        }
    }

    private static long send(KafkaBroker kafka) throws Exception {
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()),
                new StringSerializer(), new StringSerializer())) {
            return producer.send(new ProducerRecord<>("restart", "k", "v")).get(60, TimeUnit.SECONDS).offset();
        }
    }
}
