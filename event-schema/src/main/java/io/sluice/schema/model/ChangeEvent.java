package io.sluice.schema.model;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * A past-tense fact: in cluster {@code clusterId}, at position {@code seq}, the object {@code key}
 * was upserted to {@code object} or deleted ({@code object} is null).
 *
 * @param triggerTime the change trigger time Kubernetes gave (endpoints.kubernetes.io/last-change-trigger-time), or null
 */
public record ChangeEvent(
        String clusterId,
        long seq,
        ObjectKey key,
        Op op,
        Instant observedAt,
        String resourceVersion,
        Instant triggerTime,
        Resource object) {

    public ChangeEvent {
        Objects.requireNonNull(clusterId, "clusterId");
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(op, "op");
        Objects.requireNonNull(observedAt, "observedAt");
        resourceVersion = resourceVersion == null ? "" : resourceVersion;
        if (op == Op.UPSERT && object == null) {
            throw new IllegalArgumentException(key + ": an UPSERT event must carry the object");
        }
        if (op == Op.DELETE && object != null) {
            throw new IllegalArgumentException(key + ": a DELETE event carries no object");
        }
        if (object != null && !object.key().equals(key)) {
            throw new IllegalArgumentException("event key " + key + " does not match its object " + object.key());
        }
    }

    public static ChangeEvent upsert(String clusterId, long seq, Resource object, Instant observedAt, String resourceVersion) {
        return new ChangeEvent(clusterId, seq, object.key(), Op.UPSERT, observedAt, resourceVersion, null, object);
    }

    public static ChangeEvent delete(String clusterId, long seq, ObjectKey key, Instant observedAt, String resourceVersion) {
        return new ChangeEvent(clusterId, seq, key, Op.DELETE, observedAt, resourceVersion, null, null);
    }

    public ChangeEvent withSeq(long newSeq) {
        return new ChangeEvent(clusterId, newSeq, key, op, observedAt, resourceVersion, triggerTime, object);
    }

    public ChangeEvent withTriggerTime(Instant t) {
        return new ChangeEvent(clusterId, seq, key, op, observedAt, resourceVersion, t, object);
    }

    public Optional<Resource> objectIfPresent() {
        return Optional.ofNullable(object);
    }

    /** Short form for log lines: {@code seq=12 UPSERT Service/default/web}. */
    public String describe() {
        return "seq=" + seq + " " + op + " " + key;
    }
}
