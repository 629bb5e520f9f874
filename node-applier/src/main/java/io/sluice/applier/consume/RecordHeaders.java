package io.sluice.applier.consume;

import java.nio.charset.StandardCharsets;
import java.util.OptionalLong;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;

/**
 * Kafka header names the applier reads on the events topic and writes on the dead-letter topic.
 * Values are UTF-8 text (numbers in decimal) so they read well in any console consumer.
 */
public final class RecordHeaders {
    /** Events topic, on a tombstone (null value, key = ObjectKey text): the delete's seq. Required on tombstones. */
    public static final String SEQ = "sluice.seq";
    /** Events topic, on a tombstone: the cluster id; the applier's own when absent. */
    public static final String CLUSTER = "sluice.cluster";
    /** Events topic, on a tombstone: when the watcher saw the delete, epoch millis; the record timestamp when absent. */
    public static final String OBSERVED_AT = "sluice.observed-at";

    /** Dead-letter topic: why the record was quarantined ({@code undecodable}, {@code invalid}, {@code cluster_mismatch}). */
    public static final String DLQ_REASON = "sluice.reason";
    /** Dead-letter topic: the error message, for humans. */
    public static final String DLQ_DETAIL = "sluice.detail";
    public static final String DLQ_SOURCE_TOPIC = "sluice.source.topic";
    public static final String DLQ_SOURCE_PARTITION = "sluice.source.partition";
    public static final String DLQ_SOURCE_OFFSET = "sluice.source.offset";
    /** Dead-letter topic: the node that quarantined it (every node quarantines the same record). */
    public static final String DLQ_NODE = "sluice.node";
    public static final String DLQ_CLUSTER = "sluice.cluster";
    /** Dead-letter topic: the event's seq, when it could be read. */
    public static final String DLQ_SEQ = "sluice.seq";

    private RecordHeaders() {
    }

    public static byte[] utf8(Object value) {
        return String.valueOf(value).getBytes(StandardCharsets.UTF_8);
    }

    /** The last header of that name as text, or null. */
    public static String text(Headers headers, String name) {
        Header h = headers.lastHeader(name);
        return h == null || h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    /** The last header of that name as a decimal long; empty if absent or not a number. */
    public static OptionalLong number(Headers headers, String name) {
        String t = text(headers, name);
        if (t == null) {
            return OptionalLong.empty();
        }
        try {
            return OptionalLong.of(Long.parseLong(t.trim()));
        } catch (NumberFormatException e) {
            return OptionalLong.empty();
        }
    }
}
