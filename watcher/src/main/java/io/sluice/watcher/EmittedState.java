package io.sluice.watcher;

import io.sluice.schema.model.ChangeEvent;
import io.sluice.schema.model.ObjectKey;
import io.sluice.schema.model.Resource;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * What the log says so far: the last seq and the last emitted state of every live key. Rebuilt by
 * replaying the topic at start, then advanced by {@link #upsert}/{@link #delete}, which assign the
 * next seq only when the log would change. Not thread-safe: owned by the watcher's executor.
 */
final class EmittedState {
    private final String clusterId;
    private final Map<ObjectKey, Resource> byKey = new HashMap<>();
    private long lastSeq;

    EmittedState(String clusterId) {
        this.clusterId = clusterId;
    }

    long lastSeq() {
        return lastSeq;
    }

    Optional<Resource> get(ObjectKey key) {
        return Optional.ofNullable(byKey.get(key));
    }

    /** Live keys, sorted. */
    Set<ObjectKey> keys() {
        return new TreeSet<>(byKey.keySet());
    }

    int size() {
        return byKey.size();
    }

    /** Replays one event read back from the log. Seq must increase; compaction may leave gaps. */
    void replay(ChangeEvent e) {
        if (!e.clusterId().equals(clusterId)) {
            throw new IllegalStateException("the log holds an event of cluster '" + e.clusterId() + "' (" + e.describe()
                    + ") but this watcher is for cluster '" + clusterId + "'; refusing to write into another cluster's topic");
        }
        advanceTo(e.seq(), e.key());
        if (e.object() == null) {
            byKey.remove(e.key());
        } else {
            byKey.put(e.key(), e.object());
        }
    }

    /** Replays a tombstone (null value) whose seq came from its header. */
    void replayTombstone(ObjectKey key, long seq) {
        advanceTo(seq, key);
        byKey.remove(key);
    }

    private void advanceTo(long seq, ObjectKey key) {
        if (seq <= lastSeq) {
            throw new IllegalStateException("the log is out of order: seq=" + seq + " for " + key + " follows seq=" + lastSeq);
        }
        lastSeq = seq;
    }

    /** The UPSERT event with the next seq, or empty when the object equals what was last emitted (a no-op). */
    Optional<ChangeEvent> upsert(Resource object, Instant observedAt, String resourceVersion, Instant triggerTime) {
        if (object.equals(byKey.get(object.key()))) {
            return Optional.empty();
        }
        byKey.put(object.key(), object);
        return Optional.of(ChangeEvent.upsert(clusterId, ++lastSeq, object, observedAt, resourceVersion).withTriggerTime(triggerTime));
    }

    /** The DELETE event with the next seq, or empty when nothing was emitted for the key (or it is already deleted). */
    Optional<ChangeEvent> delete(ObjectKey key, Instant observedAt, String resourceVersion) {
        if (byKey.remove(key) == null) {
            return Optional.empty();
        }
        return Optional.of(ChangeEvent.delete(clusterId, ++lastSeq, key, observedAt, resourceVersion));
    }
}
