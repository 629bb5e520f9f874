package io.sluice.applier.consume;

import io.sluice.applier.ApplierConfig;
import io.sluice.applier.log.ApplierLog;
import io.sluice.applier.metrics.ApplierMetrics;
import io.sluice.schema.codec.BadEventException;
import io.sluice.schema.codec.EventCodec;
import io.sluice.schema.model.ChangeEvent;
import io.sluice.schema.model.ObjectKey;
import io.sluice.store.EncodedEvent;
import io.sluice.store.Snapshot;
import io.sluice.store.SnapshotStore;
import io.sluice.store.image.ClusterImage;
import io.sluice.store.image.ImageDelta;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.common.TopicPartition;

/**
 * The blocking half of the applier: reads the events topic from the position stored in the
 * snapshot store, replays good events into the image, quarantines bad ones, and commits each batch
 * (state and position in one RocksDB batch; one poll's records, or several polls' while catching up)
 * before handing the new image out. Large polls are decoded on the common fork-join pool too (decoding is
 * pure); everything else, quarantine included, happens on the calling thread in log order.
 *
 * <p>Not thread-safe: driven by the applier's single-threaded log worker. It owns no resource: the
 * caller closes the consumer, the store and the quarantine's producer.
 */
public final class LogReader {
    /** The events topic has one partition (total order per cluster). */
    private static final int PARTITION = 0;
    private static final Pattern SEQ_IN_MESSAGE = Pattern.compile("\\bseq=(\\d+)");
    /**
     * About the most records one {@link #poll} replays and commits together while the log end is ahead:
     * bounds the memory a batch holds (records, events, the changes handed on) and the work a failed
     * commit redoes. A batch may pass it by less than one poll's records.
     */
    public static final int MAX_BATCH_RECORDS = 25_000;
    /** The consumer's {@code max.poll.records} (Kafka's default is 500): fewer, larger polls while catching up. */
    public static final int MAX_POLL_RECORDS = 2_000;
    /** Polls at least this large are decoded in parallel; smaller ones are not worth the hand-off. */
    private static final int PARALLEL_DECODE_RECORDS = 256;

    private final ApplierConfig config;
    private final Consumer<byte[], byte[]> consumer;
    private final SnapshotStore store;
    private final Quarantine quarantine;
    private final ApplierMetrics metrics;
    private final ApplierLog log;
    private final EventCodec codec = new EventCodec();
    private final TopicPartition partition;
    private final int maxBatchRecords;
    private ClusterImage image;
    private long nextOffset;

    public LogReader(ApplierConfig config, Snapshot snapshot, SnapshotStore store, Consumer<byte[], byte[]> consumer,
            Quarantine quarantine, ApplierMetrics metrics, ApplierLog log) {
        this(config, snapshot, store, consumer, quarantine, metrics, log, MAX_BATCH_RECORDS);
    }

    /** With another bound on the records one poll commits together (tests). */
    LogReader(ApplierConfig config, Snapshot snapshot, SnapshotStore store, Consumer<byte[], byte[]> consumer,
            Quarantine quarantine, ApplierMetrics metrics, ApplierLog log, int maxBatchRecords) {
        if (maxBatchRecords < 1) {
            throw new IllegalArgumentException("maxBatchRecords " + maxBatchRecords + " must be at least 1");
        }
        this.maxBatchRecords = maxBatchRecords;
        this.config = config;
        this.consumer = consumer;
        this.store = store;
        this.quarantine = quarantine;
        this.metrics = metrics;
        this.log = log.forClass(LogReader.class);
        this.partition = new TopicPartition(config.eventsTopic(), PARTITION);
        this.image = snapshot.image();
        this.nextOffset = snapshot.nextOffset();
    }

    /**
     * Assigns the partition, checks the stored position against the log and seeks to it. A position
     * outside the log (below its start after retention or compaction, or beyond its end after the
     * topic was recreated) resets the store: the node rebuilds from the log start.
     *
     * @return where the reader stands: the node is caught up once its position reaches {@code end}
     * @throws org.apache.kafka.common.KafkaException (a TimeoutException when Kafka is unreachable or
     *         the topic is missing); the caller retries
     */
    public Connection connect() {
        consumer.assign(List.of(partition));
        long start = consumer.beginningOffsets(List.of(partition)).get(partition);
        long end = consumer.endOffsets(List.of(partition)).get(partition);
        boolean rebuild = nextOffset < start || nextOffset > end;
        if (rebuild) {
            rebuild(start, end);
        }
        consumer.seek(partition, nextOffset);
        log.info(image.seq(), "reading {} from offset {} (log start {}, end {}): {} records to catch up",
                partition, nextOffset, start, end, end - nextOffset);
        return new Connection(start, end, nextOffset, rebuild);
    }

    /**
     * The reader's place in the log after {@link #connect()}.
     *
     * @param start    the log start offset
     * @param end      the log end offset: the catch-up target
     * @param position where reading starts
     * @param rebuilt  whether the stored position was outside the log, so the store was reset and
     *                 the image starts empty again
     */
    public record Connection(long start, long end, long position, boolean rebuilt) {
    }

    /** The image as last committed. */
    public ClusterImage image() {
        return image;
    }

    /** The consumer's position: where the next poll reads. */
    public long position() {
        return consumer.position(partition);
    }

    /**
     * Polls, replays and commits what it read: one poll's records, or, while the consumer reports the
     * log end still ahead (catching up, or a burst), the records of further polls too, up to about
     * {@link #MAX_BATCH_RECORDS}, so catching up makes one synced commit per many polls. What is
     * committed is always a whole prefix of the log. On a failed poll or commit nothing changes: the
     * consumer is moved back to the stored position and the exception is rethrown, so the next poll
     * retries (records quarantined meanwhile are quarantined again then).
     */
    public PollResult poll(Duration timeout) {
        Batch batch = new Batch(image.delta());
        try {
            ConsumerRecords<byte[], byte[]> records = consumer.poll(timeout);
            read(records, batch);
            while (!records.isEmpty() && batch.records() < maxBatchRecords && behind()) {
                records = consumer.poll(timeout);
                read(records, batch);
            }
            if (batch.last >= 0) {
                quarantine.flush();
                commit(batch);
            }
        } catch (RuntimeException e) {
            if (batch.last >= 0) {
                consumer.seek(partition, nextOffset);
            }
            throw e;
        }
        if (batch.last >= 0) {
            metrics.replayed(batch.applied.size(), batch.skipped);
        }
        if (!batch.applied.isEmpty() || batch.skipped > 0) {
            log.debug(image.seq(), "committed {} events ({} already applied, {} quarantined) up to offset {}",
                    batch.applied.size(), batch.skipped, batch.bad, batch.last);
        }
        long position = consumer.position(partition);
        OptionalLong lag = consumer.currentLag(partition);
        if (lag.isPresent()) {
            metrics.lag(lag.getAsLong());
        }
        return new PollResult(image, batch.applied.size(), batch.skipped, batch.bad, position, lag.orElse(-1), batch.changes);
    }

    /** Whether the consumer knows of records past its position. */
    private boolean behind() {
        OptionalLong lag = consumer.currentLag(partition);
        return lag.isPresent() && lag.getAsLong() > 0;
    }

    private void read(ConsumerRecords<byte[], byte[]> records, Batch batch) {
        for (Decoded decoded : decodeAll(records.records(partition))) {
            batch.last = decoded.record().offset();
            ChangeEvent event = acceptOrQuarantine(decoded);
            if (event == null) {
                batch.bad++;
            } else if (batch.delta.replay(event)) {
                batch.applied.add(new EncodedEvent(event, decoded.record().value()));
                batch.changes.add(new PollResult.Change(event.seq(),
                        event.triggerTime() != null ? event.triggerTime() : event.observedAt(), event.observedAt(), event.key()));
            } else {
                batch.skipped++;
            }
        }
    }

    /**
     * Decodes and validates every record, in order. That is pure and most of what replaying costs,
     * so a large poll (catching up) is decoded on the common fork-join pool as well as this thread;
     * quarantining and replaying stay on this thread, in log order.
     */
    private List<Decoded> decodeAll(List<ConsumerRecord<byte[], byte[]>> records) {
        if (records.size() < PARALLEL_DECODE_RECORDS) {
            List<Decoded> out = new ArrayList<>(records.size());
            records.forEach(r -> out.add(decode(r)));
            return out;
        }
        return records.parallelStream().map(this::decode).toList();
    }

    /** One record decoded: its event, or why it could not be. */
    private record Decoded(ConsumerRecord<byte[], byte[]> record, ChangeEvent event, BadEventException error) {
    }

    /** Stores the record bytes the events were decoded from, rather than encoding them again. */
    private void commit(Batch batch) {
        long newNextOffset = batch.last + 1;
        store.commitEncoded(batch.applied, batch.delta.seq(), newNextOffset);
        nextOffset = newNextOffset;
        image = batch.delta.apply();
    }

    /** What one {@link #poll} has read so far: replayed into one delta, committed together. */
    private static final class Batch {
        final ImageDelta delta;
        final List<EncodedEvent> applied = new ArrayList<>();
        final List<PollResult.Change> changes = new ArrayList<>();
        int skipped;
        int bad;
        long last = -1;

        Batch(ImageDelta delta) {
            this.delta = delta;
        }

        int records() {
            return applied.size() + skipped + bad;
        }
    }

    private void rebuild(long start, long end) {
        if (image.seq() > 0 || nextOffset > 0) {
            log.warn(image.seq(), "stored position {} is outside {} [{}, {}] ({}); resetting the snapshot store and "
                            + "replaying from offset {}; the kernel keeps the current rules until the node has caught up",
                    nextOffset, partition, start, end,
                    nextOffset < start ? "the log was truncated or compacted past it" : "the topic was recreated", start);
            store.reset();
        }
        image = ClusterImage.empty();
        nextOffset = start;
    }

    private Decoded decode(ConsumerRecord<byte[], byte[]> record) {
        try {
            return new Decoded(record, record.value() == null ? tombstone(record) : codec.decode(record.value()), null);
        } catch (BadEventException e) {
            return new Decoded(record, null, e);
        }
    }

    /** The event, or null after quarantining the record. */
    private ChangeEvent acceptOrQuarantine(Decoded decoded) {
        ConsumerRecord<byte[], byte[]> record = decoded.record();
        BadEventException e = decoded.error();
        if (e != null) {
            String reason = e.reason() == BadEventException.Reason.UNDECODABLE ? Quarantine.UNDECODABLE : Quarantine.INVALID;
            quarantine.quarantine(record, reason, e.getMessage(), seqOf(record, e.getMessage()));
            return null;
        }
        ChangeEvent event = decoded.event();
        if (!config.clusterId().equals(event.clusterId())) {
            quarantine.quarantine(record, Quarantine.CLUSTER_MISMATCH, event.describe() + " is from cluster '"
                    + event.clusterId() + "', this node follows '" + config.clusterId() + "'", event.seq());
            return null;
        }
        return event;
    }

    /** A compaction tombstone: a DELETE of the key, its seq in a header. */
    private ChangeEvent tombstone(ConsumerRecord<byte[], byte[]> record) throws BadEventException {
        OptionalLong seq = RecordHeaders.number(record.headers(), RecordHeaders.SEQ);
        String keyText = record.key() == null ? null : new String(record.key(), StandardCharsets.UTF_8);
        if (seq.isEmpty() || keyText == null) {
            throw new BadEventException(BadEventException.Reason.UNDECODABLE, "tombstone with key '" + keyText
                    + "' has no " + RecordHeaders.SEQ + " header or no key; cannot order the delete", null);
        }
        try {
            String cluster = RecordHeaders.text(record.headers(), RecordHeaders.CLUSTER);
            OptionalLong observed = RecordHeaders.number(record.headers(), RecordHeaders.OBSERVED_AT);
            return ChangeEvent.delete(cluster == null ? config.clusterId() : cluster, seq.getAsLong(), ObjectKey.parse(keyText),
                    Instant.ofEpochMilli(observed.orElse(record.timestamp())), "");
        } catch (RuntimeException e) {
            throw new BadEventException(BadEventException.Reason.INVALID, "seq=" + seq.getAsLong() + " tombstone with key '"
                    + keyText + "' is invalid: " + e.getMessage(), e);
        }
    }

    private static long seqOf(ConsumerRecord<byte[], byte[]> record, String message) {
        OptionalLong header = RecordHeaders.number(record.headers(), RecordHeaders.SEQ);
        if (header.isPresent()) {
            return header.getAsLong();
        }
        Matcher m = message == null ? null : SEQ_IN_MESSAGE.matcher(message);
        return m != null && m.find() ? Long.parseLong(m.group(1)) : -1;
    }
}
