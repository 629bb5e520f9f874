package io.sluice.testkit.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EmbeddedKafkaIT {
    @TempDir
    static Path dataDir;
    static EmbeddedKafka kafka;

    @BeforeAll
    static void startBroker() {
        kafka = EmbeddedKafka.start(dataDir);
    }

    @AfterAll
    static void closeBroker() {
        if (kafka != null) {
            kafka.close();
        }
    }

    @Test
    void recordSurvivesBrokerRestartAndClientsReconnectOnTheSamePort() throws Exception {
        String topic = "sluice.test.events";
        kafka.createTopic(topic, 1, Map.of("cleanup.policy", "compact"));
        kafka.createTopic(topic, 1, Map.of()); // exists already: no error
        String bootstrap = kafka.bootstrapServers();

        try (KafkaProducer<String, String> producer = producer()) {
            producer.send(new ProducerRecord<>(topic, "k1", "before-restart")).get();
            assertThat(consumeAll(topic, 1)).containsExactly("before-restart");

            kafka.stop();
            assertThat(kafka.isRunning()).isFalse();
            kafka.restart();
            assertThat(kafka.bootstrapServers()).isEqualTo(bootstrap);

            // The producer created before the restart reconnects to the same address by itself.
            producer.send(new ProducerRecord<>(topic, "k2", "after-restart")).get();
        }
        assertThat(consumeAll(topic, 2)).containsExactly("before-restart", "after-restart");
    }

    @Test
    void createTopicRejectsANonPositivePartitionCount() {
        assertThatThrownBy(() -> kafka.createTopic("bad", 0, Map.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("got 0");
    }

    private KafkaProducer<String, String> producer() {
        return new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 60_000,
                ProducerConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 200),
                new StringSerializer(), new StringSerializer());
    }

    private List<String> consumeAll(String topic, int expected) {
        List<String> values = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, "it-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"),
                new StringDeserializer(), new StringDeserializer())) {
            consumer.subscribe(List.of(topic));
            Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> {
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
                    values.add(r.value());
                }
                return values.size() >= expected;
            });
        }
        return values;
    }
}
