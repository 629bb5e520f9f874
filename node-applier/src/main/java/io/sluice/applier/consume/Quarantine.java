package io.sluice.applier.consume;

import io.sluice.applier.log.ApplierLog;
import io.sluice.applier.metrics.ApplierMetrics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.header.internals.RecordHeader;

/**
 * Sets bad records aside without stopping the node (invariant 6): a log line naming node,
 * cluster, offset, seq (if known) and reason; a count in {@code sluice_applier_quarantined_events_total{reason}};
 * the raw record (key, value, original headers) on the dead-letter topic with the headers of
 * {@link RecordHeaders} (reason, detail, source topic/partition/offset, node, cluster, seq).
 *
 * <p>Sends are flushed by {@link #flush} before the batch's position is committed, so a quarantined
 * record reaches the dead-letter topic at least once (twice if the node dies between the two). A
 * dead-letter topic that cannot be written is logged and does not stop the node: the log line and
 * the metric remain. Used from the log worker only.
 */
public final class Quarantine {
    public static final String UNDECODABLE = "undecodable";
    public static final String INVALID = "invalid";
    public static final String CLUSTER_MISMATCH = "cluster_mismatch";

    private static final Duration FLUSH_TIMEOUT = Duration.ofSeconds(30);

    private final Producer<byte[], byte[]> producer;
    private final String topic;
    private final String node;
    private final String cluster;
    private final ApplierLog log;
    private final ApplierMetrics metrics;
    private final List<Pending> pending = new ArrayList<>();

    public Quarantine(Producer<byte[], byte[]> producer, String deadLetterTopic, String node, String cluster,
            ApplierLog log, ApplierMetrics metrics) {
        this.producer = producer;
        this.topic = deadLetterTopic;
        this.node = node;
        this.cluster = cluster;
        this.log = log.forClass(Quarantine.class);
        this.metrics = metrics;
    }

    /** Quarantines one record; {@code seq} is negative when it could not be read. */
    public void quarantine(ConsumerRecord<byte[], byte[]> record, String reason, String detail, long seq) {
        log.warn(seq, "quarantined record {}-{} offset {} ({}): {}; sent to {}, the node goes on with the next record",
                record.topic(), record.partition(), record.offset(), reason, detail, topic);
        metrics.quarantined(reason);
        ProducerRecord<byte[], byte[]> out = new ProducerRecord<>(topic, null, record.key(), record.value(), record.headers());
        out.headers().remove(RecordHeaders.DLQ_SEQ);
        out.headers()
                .add(new RecordHeader(RecordHeaders.DLQ_REASON, RecordHeaders.utf8(reason)))
                .add(new RecordHeader(RecordHeaders.DLQ_DETAIL, RecordHeaders.utf8(detail)))
                .add(new RecordHeader(RecordHeaders.DLQ_SOURCE_TOPIC, RecordHeaders.utf8(record.topic())))
                .add(new RecordHeader(RecordHeaders.DLQ_SOURCE_PARTITION, RecordHeaders.utf8(record.partition())))
                .add(new RecordHeader(RecordHeaders.DLQ_SOURCE_OFFSET, RecordHeaders.utf8(record.offset())))
                .add(new RecordHeader(RecordHeaders.DLQ_NODE, RecordHeaders.utf8(node)));
        out.headers().remove(RecordHeaders.DLQ_CLUSTER);
        out.headers().add(new RecordHeader(RecordHeaders.DLQ_CLUSTER, RecordHeaders.utf8(cluster)));
        if (seq >= 0) {
            out.headers().add(new RecordHeader(RecordHeaders.DLQ_SEQ, RecordHeaders.utf8(seq)));
        }
        try {
            pending.add(new Pending(record.offset(), seq, producer.send(out)));
        } catch (RuntimeException e) {
            log.error(seq, "could not send quarantined record at offset {} to {}: {}; it stays counted and logged",
                    record.offset(), topic, e.toString());
        }
    }

    /** Waits until every record quarantined since the last flush is on the dead-letter topic (or failed). */
    public void flush() {
        if (pending.isEmpty()) {
            return;
        }
        long deadline = System.nanoTime() + FLUSH_TIMEOUT.toNanos();
        for (Pending p : pending) {
            try {
                p.send().get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            } catch (ExecutionException | TimeoutException e) {
                Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
                log.error(p.seq(), "quarantined record at offset {} did not reach {}: {}; it stays counted and logged",
                        p.offset(), topic, String.valueOf(cause));
            }
        }
        pending.clear();
    }

    private record Pending(long offset, long seq, Future<RecordMetadata> send) {
    }
}
