package io.sluice.applier.consume;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.sluice.applier.ApplierConfig;
import io.sluice.applier.log.ApplierLog;
import io.sluice.applier.metrics.ApplierMetrics;
import io.sluice.schema.codec.EventCodec;
import io.sluice.schema.model.ChangeEvent;
import io.sluice.schema.model.Node;
import io.sluice.schema.model.NodeAddress;
import io.sluice.schema.model.ObjectKey;
import io.sluice.store.Snapshot;
import io.sluice.store.SnapshotStore;
import io.sluice.store.image.ClusterImage;
import io.sluice.store.image.ImageDelta;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.RocksDB;

/**
 * {@link LogReader} on a real snapshot store (RocksDB in a temp dir) with Kafka's {@link MockConsumer}
 * and {@link MockProducer} for the log and the dead-letter topic (the real broker is NodeApplierIT's).
 */
class LogReaderIT {
    private static final String CLUSTER = "c1";
    private static final Instant T = Instant.parse("2025-01-01T00:00:00Z");
    private static final Duration POLL = Duration.ofMillis(10);
    private static final EventCodec CODEC = new EventCodec();

    @TempDir
    Path tmp;

    private ApplierConfig config;
    private TopicPartition partition;
    private MockConsumer<byte[], byte[]> consumer;
    private MockProducer<byte[], byte[]> deadLetters;
    private SnapshotStore store;
    private ApplierMetrics metrics;

    @BeforeEach
    void setUp() {
        config = ApplierConfig.of("node-1", CLUSTER, "localhost:9092", tmp.resolve("state"));
        partition = new TopicPartition(config.eventsTopic(), 0);
        consumer = new MockConsumer<>("none");
        deadLetters = new MockProducer<>(true, null, new ByteArraySerializer(), new ByteArraySerializer());
        store = SnapshotStore.open(config.stateDir());
        metrics = new ApplierMetrics(new SimpleMeterRegistry());
    }

    @AfterEach
    void tearDown() {
        store.close();
        metrics.close();
    }

    @Test
    void whileTheLogEndIsAheadOnePollCommitsSeveralPollsUpToTheBound() {
        List<ChangeEvent> events = nodeEvents(25);
        log(events.stream().map(LogReaderIT::encoded).toList());
        consumer.setMaxPollRecords(4);
        LogReader reader = reader(10);
        reader.connect();

        List<PollResult> results = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            results.add(reader.poll(POLL));
            Snapshot stored = store.load();
            assertThat(stored.image()).as("commit %d holds the whole prefix it read", i).isEqualTo(reader.image());
            assertThat(stored.nextOffset()).isEqualTo(results.get(i).position());
        }

        assertThat(results).extracting(PollResult::applied).as("4+4+4, 4+4+4, then the last record")
                .containsExactly(12, 12, 1);
        assertThat(results).extracting(PollResult::lag).containsExactly(13L, 1L, 0L);
        assertThat(results.get(1).changes()).extracting(PollResult.Change::seq)
                .containsExactlyElementsOf(events.subList(12, 24).stream().map(ChangeEvent::seq).toList());
        assertThat(reader.image()).isEqualTo(replay(events));
    }

    @Test
    void onceCaughtUpEachPollCommitsWhatItRead() {
        List<ChangeEvent> events = nodeEvents(6);
        log(events.subList(0, 3).stream().map(LogReaderIT::encoded).toList());
        LogReader reader = reader(10);
        reader.connect();
        assertThat(reader.poll(POLL).applied()).isEqualTo(3);

        for (int i = 3; i < 6; i++) {
            consumer.addRecord(encoded(events.get(i), i));
            consumer.updateEndOffsets(Map.of(partition, (long) i + 1));
            PollResult r = reader.poll(POLL);
            assertThat(r.applied()).isEqualTo(1);
            assertThat(store.load().nextOffset()).isEqualTo(i + 1);
        }
        assertThat(reader.poll(POLL).records()).as("nothing new: nothing read, nothing committed").isZero();
        assertThat(store.load().image()).isEqualTo(replay(events));
    }

    @Test
    void theStoreKeepsTheRecordBytesAndBadRecordsInTheBatchAreQuarantinedWithTheirReason() throws Exception {
        List<ChangeEvent> events = nodeEvents(6);
        ChangeEvent foreign = ChangeEvent.upsert("other", 7, node("foreign", 7), T, "7");
        List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
        for (ChangeEvent e : events.subList(0, 3)) {
            records.add(encoded(e, records.size()));
        }
        records.add(record(records.size(), "Node//junk", "not avro".getBytes(StandardCharsets.UTF_8)));
        records.add(encoded(foreign, records.size()));
        for (ChangeEvent e : events.subList(3, 6)) {
            records.add(encoded(e, records.size()));
        }
        log(records);
        consumer.setMaxPollRecords(3);
        LogReader reader = reader(100);
        reader.connect();

        PollResult r = reader.poll(POLL);

        assertThat(r.applied()).isEqualTo(6);
        assertThat(r.quarantined()).isEqualTo(2);
        assertThat(deadLetters.history()).extracting(p -> new String(p.headers().lastHeader(RecordHeaders.DLQ_REASON).value(),
                StandardCharsets.UTF_8)).containsExactly(Quarantine.UNDECODABLE, Quarantine.CLUSTER_MISMATCH);
        assertThat(store.load().image()).isEqualTo(replay(events));
        assertThat(store.load().nextOffset()).isEqualTo(records.size());
        store.close();
        Map<String, byte[]> lastBytes = new HashMap<>();
        for (ConsumerRecord<byte[], byte[]> record : List.of(records.get(0), records.get(1), records.get(2), records.get(5),
                records.get(6), records.get(7))) {
            lastBytes.put(new String(record.key(), StandardCharsets.UTF_8), record.value());
        }
        try (RocksDB raw = RocksDB.open(config.stateDir().toString())) {
            for (ObjectKey key : replay(events).objects().keySet()) {
                assertThat(raw.get(key.toString().getBytes(StandardCharsets.UTF_8))).as("%s stored as read from the log", key)
                        .isEqualTo(lastBytes.get(key.toString()));
            }
        }
        store = SnapshotStore.open(config.stateDir());
    }

    @Test
    void aLargePollIsDecodedInParallelYetQuarantinedAndReplayedInLogOrder() {
        List<ChangeEvent> events = nodeEvents(600);
        List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
        List<ChangeEvent> good = new ArrayList<>();
        for (ChangeEvent e : events) {
            if (e.seq() % 97 == 0) {
                records.add(record(records.size(), e.key().toString(), ("junk " + e.seq()).getBytes(StandardCharsets.UTF_8)));
            } else {
                records.add(encoded(e, records.size()));
                good.add(e);
            }
        }
        log(records);
        LogReader reader = reader(10_000);
        reader.connect();

        PollResult r = reader.poll(POLL);

        assertThat(r.records()).isEqualTo(600);
        assertThat(r.quarantined()).isEqualTo(6);
        assertThat(r.changes()).extracting(PollResult.Change::seq)
                .containsExactlyElementsOf(good.stream().map(ChangeEvent::seq).toList());
        assertThat(deadLetters.history()).extracting(p -> new String(p.value(), StandardCharsets.UTF_8))
                .containsExactly("junk 97", "junk 194", "junk 291", "junk 388", "junk 485", "junk 582");
        assertThat(store.load().image()).isEqualTo(reader.image()).isEqualTo(replay(good));
    }

    @Test
    void aPollThatFailsInTheMiddleOfABatchCommitsNothingOfItAndMovesBackToTheStoredPosition() {
        List<ChangeEvent> events = nodeEvents(20);
        log(events.stream().map(LogReaderIT::encoded).toList());
        consumer.setMaxPollRecords(4);
        LogReader reader = reader(5);
        reader.connect();
        assertThat(reader.poll(POLL).applied()).as("4+4").isEqualTo(8);
        ClusterImage committed = reader.image();
        consumer.schedulePollTask(() -> { }); // the next poll reads 8..11; the one after it fails
        consumer.schedulePollTask(() -> consumer.setPollException(new KafkaException("broker went away")));

        assertThatThrownBy(() -> reader.poll(POLL)).isInstanceOf(KafkaException.class).hasMessageContaining("went away");

        assertThat(store.load().nextOffset()).isEqualTo(8);
        assertThat(store.load().image()).isEqualTo(committed).isEqualTo(replay(events.subList(0, 8)));
        assertThat(reader.image()).isSameAs(committed);
        assertThat(reader.position()).as("moved back to the stored position, so the next poll reads 8.. again").isEqualTo(8);
    }

    private LogReader reader(int maxBatchRecords) {
        ApplierLog log = new ApplierLog(LogReaderIT.class, config.nodeName(), CLUSTER);
        Quarantine quarantine = new Quarantine(deadLetters, config.deadLetterTopic(), config.nodeName(), CLUSTER, log, metrics);
        return new LogReader(config, store.load(), store, consumer, quarantine, metrics, log, maxBatchRecords);
    }

    private void log(List<ConsumerRecord<byte[], byte[]>> records) {
        consumer.updateBeginningOffsets(Map.of(partition, 0L));
        consumer.updateEndOffsets(Map.of(partition, (long) records.size()));
        consumer.assign(List.of(partition));
        records.forEach(consumer::addRecord);
    }

    private ConsumerRecord<byte[], byte[]> encoded(ChangeEvent e, long offset) {
        return record(offset, e.key().toString(), CODEC.encode(e));
    }

    /** Offsets follow seqs (seq n at offset n - 1) for the events of {@link #nodeEvents}. */
    private static ConsumerRecord<byte[], byte[]> encoded(ChangeEvent e) {
        return new ConsumerRecord<>("sluice." + CLUSTER + ".events", 0, e.seq() - 1,
                e.key().toString().getBytes(StandardCharsets.UTF_8), CODEC.encode(e));
    }

    private ConsumerRecord<byte[], byte[]> record(long offset, String key, byte[] value) {
        return new ConsumerRecord<>(partition.topic(), 0, offset, key.getBytes(StandardCharsets.UTF_8), value);
    }

    /** {@code n} upserts and deletes of a few Nodes, seqs 1..n. */
    private static List<ChangeEvent> nodeEvents(int n) {
        List<ChangeEvent> out = new ArrayList<>();
        for (int seq = 1; seq <= n; seq++) {
            String name = "n" + seq % 4;
            out.add(seq % 5 == 0
                    ? ChangeEvent.delete(CLUSTER, seq, node(name, 0).key(), T, Integer.toString(seq))
                    : ChangeEvent.upsert(CLUSTER, seq, node(name, seq), T, Integer.toString(seq)));
        }
        return out;
    }

    private static Node node(String name, int variant) {
        int v = variant % 250;
        return new Node(name, List.of(NodeAddress.internalIP("192.168.0." + (v + 1))), "zone-a", List.of("10.244." + v + ".0/24"));
    }

    private static ClusterImage replay(List<ChangeEvent> events) {
        ImageDelta delta = ClusterImage.empty().delta();
        events.forEach(delta::replay);
        return delta.apply();
    }
}
