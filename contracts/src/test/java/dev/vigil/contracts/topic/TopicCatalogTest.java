package dev.vigil.contracts.topic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class TopicCatalogTest {

    @Test
    void namesEveryTopicUnderThePrefix() {
        assertThat(TopicCatalog.withDefaultPrefix().all()).extracting(Topic::name).containsExactly(
                "vigil.heartbeats", "vigil.agent-heartbeats", "vigil.run-events", "vigil.run-activity",
                "vigil.timeouts", "vigil.commands", "vigil.cleanups", "vigil.cleaner-run-state", "vigil.dead-letters");
        assertThat(new TopicCatalog("staging.vigil.").heartbeats().name()).isEqualTo("staging.vigil.heartbeats");
    }

    @Test
    void topicsTheSweeperReadsUseTheBrokersClock() {
        TopicCatalog catalog = TopicCatalog.withDefaultPrefix();
        for (Topic<?, ?> topic : List.of(catalog.heartbeats(), catalog.agentHeartbeats(), catalog.runEvents())) {
            assertThat(topic.configs()).as(topic.name()).containsEntry("message.timestamp.type", "LogAppendTime");
        }
    }

    @Test
    void runKeyedTopicsJoinedBySweeperAreCoPartitioned() {
        TopicCatalog catalog = TopicCatalog.withDefaultPrefix();
        assertThat(catalog.heartbeats().partitions()).isEqualTo(catalog.runEvents().partitions())
                .isEqualTo(catalog.timeouts().partitions()).isEqualTo(TopicCatalog.RUN_PARTITIONS);
    }

    @Test
    void theCleanersRunStateIsCompactedSoALiveRunIsNeverAgedOut() {
        Topic<?, ?> state = TopicCatalog.withDefaultPrefix().cleanerRunState();
        assertThat(state.configs()).containsEntry("cleanup.policy", "compact").doesNotContainKey("retention.ms");
    }

    @Test
    void rejectsAPrefixKafkaCannotName() {
        assertThatThrownBy(() -> new TopicCatalog("bad prefix/"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("topic prefix");
    }
}
