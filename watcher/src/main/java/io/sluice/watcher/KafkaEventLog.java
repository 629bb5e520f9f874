package io.sluice.watcher;

import io.sluice.schema.codec.BadEventException;
import io.sluice.schema.codec.EventCodec;
import io.sluice.schema.model.ChangeEvent;
import io.sluice.schema.model.ObjectKey;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The watcher's Kafka boundary: makes sure the events topic exists, reads it back to recover the
 * emitted state, and appends events with an idempotent producer (acks=all, at most 5 requests in
 * flight, so retries keep order). Every record is keyed by {@link ObjectKey#toString()} and carries
 * its seq in the header {@value #SEQ_HEADER} (decimal ASCII), so a later tombstone (null value) still
 * says which seq it was. Not thread-safe: used from the watcher's executor only.
 */
final class KafkaEventLog implements AutoCloseable {
    /** Record header holding the event's seq as decimal ASCII, e.g. {@code "42"}. */
    static final String SEQ_HEADER = "sluice.seq";

    private static final Logger log = LoggerFactory.getLogger(KafkaEventLog.class);
    private static final Duration POLL = Duration.ofMillis(200);

    private final WatcherConfig config;
    private final EventCodec codec;
    private final TopicPartition partition;
    private KafkaProducer<String, byte[]> producer;

    KafkaEventLog(WatcherConfig config, EventCodec codec) {
        this.config = config;
        this.codec = codec;
        this.partition = new TopicPartition(config.topic(), 0);
    }

    /** Creates the topic (1 partition, compacted) if it is missing; refuses a topic with more than one partition. */
    void ensureTopic() throws InterruptedException, ExecutionException, TimeoutException {
        try (Admin admin = Admin.create(adminProps())) {
            TopicDescription d = describe(admin);
            if (d == null) {
                create(admin);
                d = describe(admin);
            }
            if (d == null) {
                throw new TimeoutException("topic " + config.topic() + " was created but is not visible yet");
            }
            if (d.partitions().size() != 1) {
                throw new WatcherException("cluster=" + config.clusterId() + " topic " + config.topic() + " has "
                        + d.partitions().size() + " partitions; Sluice needs exactly 1 for a total order. Recreate it with 1 partition.");
            }
        }
    }

    private TopicDescription describe(Admin admin) throws InterruptedException, ExecutionException, TimeoutException {
        try {
            return admin.describeTopics(Set.of(config.topic())).allTopicNames()
                    .get(timeoutMs(), TimeUnit.MILLISECONDS).get(config.topic());
        } catch (ExecutionException e) {
            if (e.getCause() instanceof UnknownTopicOrPartitionException) {
                return null;
            }
            throw e;
        }
    }

    private void create(Admin admin) throws InterruptedException, ExecutionException, TimeoutException {
        NewTopic topic = new NewTopic(config.topic(), 1, config.replicationFactor())
                .configs(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT));
        try {
            admin.createTopics(List.of(topic)).all().get(timeoutMs(), TimeUnit.MILLISECONDS);
            log.info("cluster={} created topic {} (1 partition, replication factor {}, cleanup.policy=compact)",
                    config.clusterId(), config.topic(), config.replicationFactor());
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof TopicExistsException)) {
                throw e;
            }
        }
    }

    /** Reads the topic from its start to the end it has now and rebuilds the emitted state. */
    EmittedState recover() throws TimeoutException {
        EmittedState state = new EmittedState(config.clusterId());
        long records = 0;
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(consumerProps())) {
            consumer.assign(List.of(partition));
            consumer.seekToBeginning(List.of(partition));
            Duration timeout = config.kafkaTimeout();
            long end = consumer.endOffsets(List.of(partition), timeout).get(partition);
            long deadline = System.nanoTime() + timeout.toNanos();
            while (consumer.position(partition, timeout) < end) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(POLL)) {
                    replay(state, r);
                    records++;
                }
                if (System.nanoTime() > deadline) {
                    throw new TimeoutException("cluster=" + config.clusterId() + " reading " + config.topic() + " to its end (offset "
                            + end + ") took longer than " + timeout + "; at offset " + consumer.position(partition, timeout));
                }
            }
        }
        log.info("cluster={} seq={} recovered {} live objects from {} records of {}",
                config.clusterId(), state.lastSeq(), state.size(), records, config.topic());
        return state;
    }

    private void replay(EmittedState state, ConsumerRecord<String, byte[]> r) {
        String where = config.topic() + "@" + r.offset() + " key " + r.key();
        ObjectKey key;
        try {
            key = ObjectKey.parse(r.key());
        } catch (RuntimeException e) {
            throw new WatcherException("cluster=" + config.clusterId() + " " + where + " has no valid object key: " + e.getMessage(), e);
        }
        if (r.value() == null) {
            state.replayTombstone(key, seqHeader(r, where));
            return;
        }
        ChangeEvent event;
        try {
            event = codec.decode(r.value());
        } catch (BadEventException e) {
            throw new WatcherException("cluster=" + config.clusterId() + " " + where + " cannot be replayed (" + e.reason() + "): "
                    + e.getMessage() + ". The watcher will not guess the state; fix or truncate the topic.", e);
        }
        if (!event.key().equals(key)) {
            throw new WatcherException("cluster=" + config.clusterId() + " " + where + " holds an event for " + event.key());
        }
        try {
            state.replay(event);
        } catch (IllegalStateException e) {
            throw new WatcherException(e.getMessage() + " (" + where + ")", e);
        }
    }

    private long seqHeader(ConsumerRecord<String, byte[]> r, String where) {
        Header h = r.headers().lastHeader(SEQ_HEADER);
        if (h == null || h.value() == null) {
            throw new WatcherException("cluster=" + config.clusterId() + " tombstone " + where + " has no " + SEQ_HEADER + " header");
        }
        String text = new String(h.value(), StandardCharsets.US_ASCII);
        try {
            return Long.parseLong(text);
        } catch (NumberFormatException e) {
            throw new WatcherException("cluster=" + config.clusterId() + " tombstone " + where + " has " + SEQ_HEADER + " '" + text
                    + "', not a number", e);
        }
    }

    void openProducer() {
        closeProducer();
        producer = new KafkaProducer<>(producerProps());
    }

    /** Sends one event; the future completes when the broker has it on all in-sync replicas. */
    Future<RecordMetadata> append(ChangeEvent event) {
        ProducerRecord<String, byte[]> record = new ProducerRecord<>(config.topic(), 0, event.key().toString(), codec.encode(event),
                List.of(new RecordHeader(SEQ_HEADER, Long.toString(event.seq()).getBytes(StandardCharsets.US_ASCII))));
        return producer.send(record);
    }

    private void closeProducer() {
        if (producer != null) {
            try {
                producer.close(Duration.ofSeconds(5));
            } catch (RuntimeException e) {
                log.warn("cluster={} closing the Kafka producer failed: {}", config.clusterId(), e.toString());
            }
            producer = null;
        }
    }

    @Override
    public void close() {
        closeProducer();
    }

    private long timeoutMs() {
        return config.kafkaTimeout().toMillis();
    }

    private Map<String, Object> common(String role) {
        Map<String, Object> p = new HashMap<>(config.kafkaOverrides());
        p.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
        p.put(CommonClientConfigs.CLIENT_ID_CONFIG, "sluice-watcher-" + config.clusterId() + "-" + role);
        return p;
    }

    private Map<String, Object> adminProps() {
        Map<String, Object> p = common("admin");
        int requestTimeout = (int) Math.min(30_000, timeoutMs());
        p.putIfAbsent(CommonClientConfigs.REQUEST_TIMEOUT_MS_CONFIG, requestTimeout);
        p.putIfAbsent(CommonClientConfigs.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) Math.max(timeoutMs(), requestTimeout));
        return p;
    }

    private Map<String, Object> consumerProps() {
        Map<String, Object> p = common("recovery");
        p.remove(ConsumerConfig.GROUP_ID_CONFIG);
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        return p;
    }

    private Map<String, Object> producerProps() {
        Map<String, Object> p = common("producer");
        int requestTimeout = (int) Math.min(30_000, Math.max(1_000, timeoutMs() / 2));
        p.putIfAbsent(ProducerConfig.LINGER_MS_CONFIG, 5);
        int linger = Integer.parseInt(p.get(ProducerConfig.LINGER_MS_CONFIG).toString());
        p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, requestTimeout);
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, (int) Math.max(timeoutMs(), requestTimeout + linger));
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, timeoutMs());
        // Ordering and no duplicates: these are not negotiable, so they are set after the overrides.
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 5);
        p.put(ProducerConfig.RETRIES_CONFIG, Integer.MAX_VALUE);
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        return p;
    }
}
