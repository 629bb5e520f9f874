package io.sluice.checker;

import io.sluice.schema.codec.BadEventException;
import io.sluice.schema.codec.EventCodec;
import io.sluice.schema.model.ChangeEvent;
import io.sluice.store.Digests;
import io.sluice.store.image.ClusterImage;
import io.sluice.store.image.ImageDelta;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Rebuilds the cluster state at any seq by replaying a cluster's events topic from its start: the
 * audit question "what should node X have held at seq N" answered from the log alone. Replay uses
 * the same codec and image as the appliers, so it skips exactly the events they quarantine.
 */
public final class LogReplayer {
    private static final Logger LOG = LoggerFactory.getLogger(LogReplayer.class);
    private static final Duration POLL = Duration.ofMillis(200);

    private final String bootstrapServers;
    private final String topic;
    private final Duration timeout;
    private final EventCodec codec = new EventCodec();

    public LogReplayer(String bootstrapServers, String topic, Duration timeout) {
        if (bootstrapServers == null || bootstrapServers.isBlank()) {
            throw new IllegalArgumentException("bootstrap servers must be set, got '" + bootstrapServers + "'");
        }
        this.bootstrapServers = bootstrapServers;
        this.topic = topic;
        this.timeout = timeout;
    }

    /** The state after every event with seq ≤ {@code seq} (Long.MAX_VALUE: the whole log as it is now). */
    public Replay replayTo(long seq) {
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props())) {
            TopicPartition tp = new TopicPartition(topic, 0);
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            long end = consumer.endOffsets(List.of(tp), timeout).get(tp);
            ImageDelta delta = ClusterImage.empty().delta();
            int quarantined = 0;
            long deadline = System.nanoTime() + timeout.toNanos();
            while (consumer.position(tp, timeout) < end) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("replay of " + topic + " did not reach offset " + end + " within " + timeout);
                }
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(POLL)) {
                    if (r.offset() >= end) {
                        break;
                    }
                    try {
                        ChangeEvent e = codec.decode(r.value());
                        if (e.seq() > seq) {
                            return finish(delta, quarantined);
                        }
                        delta.replay(e);
                    } catch (BadEventException bad) {
                        quarantined++;
                        LOG.debug("topic={} offset={} quarantined in replay: {}", topic, r.offset(), bad.getMessage());
                    }
                }
            }
            return finish(delta, quarantined);
        }
    }

    private static Replay finish(ImageDelta delta, int quarantined) {
        ClusterImage image = delta.apply();
        return new Replay(image, image.seq(), Digests.stateDigest(image), quarantined);
    }

    private Properties props() {
        Properties p = new Properties();
        p.putAll(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName(),
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName(),
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false",
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"));
        return p;
    }
}
