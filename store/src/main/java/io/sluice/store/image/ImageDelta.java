package io.sluice.store.image;

import io.sluice.schema.model.ChangeEvent;
import io.sluice.schema.model.EndpointSlice;
import io.sluice.schema.model.ObjectKey;
import io.sluice.schema.model.Op;
import io.sluice.schema.model.Resource;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.NavigableMap;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Accumulates events on top of a base image, then {@link #apply()} gives the new image. Copies the
 * base once per delta, not once per event, so replaying a batch costs O(batch + image).
 *
 * <p>Replay is idempotent: an event whose seq is not above the last one applied is skipped
 * ({@link #replay} returns false), so re-reading the log after a crash changes nothing. Seq gaps
 * are allowed: compaction removes superseded events from the log.
 *
 * <p>A delta is used once: {@link #apply()} hands its maps to the new image, so after it the delta
 * refuses further {@link #replay}/{@link #advanceTo} (start the next delta from the new image).
 * Not thread-safe.
 */
public final class ImageDelta {
    private final ClusterImage base;
    private NavigableMap<ObjectKey, Resource> objects;
    private SortedMap<ObjectKey, SortedMap<String, EndpointSlice>> slices;
    private long seq;
    private final Set<ObjectKey> changed = new LinkedHashSet<>();
    private ClusterImage applied;

    ImageDelta(ClusterImage base) {
        this.base = base;
        this.seq = base.seq();
    }

    /** Folds one event in. Returns false (and changes nothing) when the event was already applied. */
    public boolean replay(ChangeEvent event) {
        requireOpen();
        if (event.seq() <= seq) {
            return false;
        }
        copyOnFirstWrite();
        seq = event.seq();
        ObjectKey key = event.key();
        Resource previous = event.op() == Op.UPSERT ? objects.put(key, event.object()) : objects.remove(key);
        if (previous instanceof EndpointSlice old) {
            unindex(old);
        }
        if (event.object() instanceof EndpointSlice now) {
            slices.computeIfAbsent(now.serviceKey(), k -> new TreeMap<>()).put(now.name(), now);
        }
        changed.add(key);
        return true;
    }

    /**
     * Moves the seq forward without changing any object: for events that were consumed but change
     * nothing here (quarantined, or superseded and compacted away), and for loading a snapshot whose
     * last events were deletes. Returns false (and changes nothing) when {@code newSeq} is not above
     * the current seq, like {@link #replay}.
     */
    public boolean advanceTo(long newSeq) {
        requireOpen();
        if (newSeq <= seq) {
            return false;
        }
        seq = newSeq;
        return true;
    }

    /** The seq the new image will carry. */
    public long seq() {
        return seq;
    }

    /** Keys touched since the base image, in the order first touched. */
    public Set<ObjectKey> changedKeys() {
        return Collections.unmodifiableSet(new LinkedHashSet<>(changed));
    }

    /** The new image. Idempotent; after it this delta accepts no more events. */
    public ClusterImage apply() {
        if (applied == null) {
            if (objects == null) {
                // No object changed: share the base's (unmodifiable) maps, only the seq moves.
                applied = seq == base.seq() ? base : new ClusterImage(seq, base.objectMap(), base.sliceIndex());
            } else {
                applied = new ClusterImage(seq, objects, slices);
            }
        }
        return applied;
    }

    private void requireOpen() {
        if (applied != null) {
            throw new IllegalStateException("delta from seq " + base.seq() + " was already applied at seq " + seq
                    + "; replay further events into applied.delta()");
        }
    }

    private void unindex(EndpointSlice old) {
        SortedMap<String, EndpointSlice> bySlice = slices.get(old.serviceKey());
        if (bySlice != null) {
            bySlice.remove(old.name());
            if (bySlice.isEmpty()) {
                slices.remove(old.serviceKey());
            }
        }
    }

    private void copyOnFirstWrite() {
        if (objects == null) {
            objects = new TreeMap<>(base.objectMap());
            slices = new TreeMap<>();
            base.sliceIndex().forEach((k, v) -> slices.put(k, new TreeMap<>(v)));
        }
    }
}
