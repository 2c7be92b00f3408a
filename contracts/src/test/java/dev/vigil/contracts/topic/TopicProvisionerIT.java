package dev.vigil.contracts.topic;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vigil.infra.KafkaBroker;
import dev.vigil.infra.RealInfraExtension;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(RealInfraExtension.class)
class TopicProvisionerIT {

    @Test
    void createsEveryTopicOnceWithItsPartitionsAndConfigs(KafkaBroker kafka) throws Exception {
        TopicCatalog catalog = new TopicCatalog("provision-it.");
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
            assertThat(TopicProvisioner.createMissing(admin, catalog, (short) 1)).hasSize(catalog.all().size());
            assertThat(TopicProvisioner.createMissing(admin, catalog, (short) 1)).isEmpty();

            List<String> names = catalog.all().stream().map(Topic::name).toList();
            Map<String, TopicDescription> described = admin.describeTopics(names).allTopicNames().get(30, TimeUnit.SECONDS);
            for (Topic<?, ?> topic : catalog.all()) {
                assertThat(described.get(topic.name()).partitions()).as(topic.name()).hasSize(topic.partitions());
            }
            ConfigResource heartbeats = new ConfigResource(ConfigResource.Type.TOPIC, catalog.heartbeats().name());
            Config config = admin.describeConfigs(List.of(heartbeats)).all().get(30, TimeUnit.SECONDS).get(heartbeats);
            assertThat(config.get("message.timestamp.type").value()).isEqualTo("LogAppendTime");
        }
    }
}
