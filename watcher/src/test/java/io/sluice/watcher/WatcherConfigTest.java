package io.sluice.watcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class WatcherConfigTest {
    @Test
    void defaultsFollowTheTopicConvention() {
        WatcherConfig c = WatcherConfig.of("prod-eu1", "127.0.0.1:9092,kafka-2:9092");

        assertThat(c.topic()).isEqualTo("sluice.prod-eu1.events");
        assertThat(c.replicationFactor()).isEqualTo((short) 1);
        assertThat(c.kafkaTimeout()).isEqualTo(Duration.ofSeconds(60));
        assertThat(c.kafkaOverrides()).isEmpty();
    }

    @Test
    void invalidValuesAreRejectedWithTheOffendingValue() {
        assertThatThrownBy(() -> WatcherConfig.of("Prod_EU", "k:9092")).hasMessageContaining("clusterId 'Prod_EU'");
        assertThatThrownBy(() -> WatcherConfig.of("c1", " ")).hasMessageContaining("bootstrapServers must not be empty");
        assertThatThrownBy(() -> WatcherConfig.of("c1", "kafka")).hasMessageContaining("'kafka' is not host:port");
        assertThatThrownBy(() -> WatcherConfig.of("c1", "k:9092").withTopic("bad topic")).hasMessageContaining("topic 'bad topic'");
        assertThatThrownBy(() -> WatcherConfig.of("c1", "k:9092").withReplicationFactor((short) 0))
                .hasMessageContaining("replicationFactor must be >= 1, got 0");
        assertThatThrownBy(() -> WatcherConfig.of("c1", "k:9092").withKafkaTimeout(Duration.ZERO)).hasMessageContaining("kafkaTimeout");
        assertThatThrownBy(() -> new WatcherConfig(null, "k:9092", "t", (short) 1, null, Map.of())).hasMessageContaining("clusterId");
    }
}
