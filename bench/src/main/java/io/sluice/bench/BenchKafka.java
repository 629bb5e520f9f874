package io.sluice.bench;

import io.sluice.schema.codec.EventCodec;
import io.sluice.schema.model.ChangeEvent;
import io.sluice.testkit.kafka.EmbeddedKafka;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/** An embedded broker (testkit) with the bench cluster's events topic, and a fast bulk producer. */
public final class BenchKafka implements AutoCloseable {
    public final EmbeddedKafka kafka;
    public final String topic = "sluice." + SyntheticCluster.CLUSTER + ".events";
    private final Path dir;

    public BenchKafka() throws Exception {
        dir = Files.createTempDirectory("sluice-bench-kafka");
        kafka = EmbeddedKafka.start(dir, true, Map.of("log.segment.bytes", String.valueOf(256 << 20),
                "log.retention.ms", "-1", "log.retention.bytes", "-1"));
        kafka.createTopic(topic, 1, Map.of());
        kafka.createTopic("sluice.deadletter", 1, Map.of());
    }

    public String bootstrap() {
        return kafka.bootstrapServers();
    }

    /** Produces the events in order (one partition), each keyed by its object, and waits for all acks. */
    public long produce(Iterator<ChangeEvent> events) throws Exception {
        Map<String, Object> p = new HashMap<>();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap());
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.put(ProducerConfig.LINGER_MS_CONFIG, 20);
        p.put(ProducerConfig.BATCH_SIZE_CONFIG, 512 * 1024);
        p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        EventCodec codec = new EventCodec();
        long n = 0;
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p)) {
            while (events.hasNext()) {
                ChangeEvent e = events.next();
                producer.send(new ProducerRecord<>(topic, 0, e.key().toString().getBytes(StandardCharsets.UTF_8), codec.encode(e)));
                n++;
            }
            producer.flush();
        }
        return n;
    }

    @Override
    public void close() {
        kafka.close(); // deletes its data directory (started with deleteDataDirOnClose)
    }

    static void sleep(long ms) {
        try {
            TimeUnit.MILLISECONDS.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
