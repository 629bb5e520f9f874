package io.sluice.store.image;

import io.sluice.schema.model.ChangeEvent;
import io.sluice.schema.model.EndpointSlice;
import io.sluice.schema.model.ObjectKey;
import io.sluice.schema.model.Op;
import io.sluice.schema.model.Resource;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Accumulates events on top of a base image, then {@link #apply()} gives the new image. Never copies
 * the base: each event replaces O(log n) nodes of the image's persistent maps and shares the rest, so
 * replaying a batch costs O(batch · log image), whatever the image's size, and the base stays as it was.
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
    private PersistentSortedMap<ObjectKey, Resource> objects;
    private PersistentSortedMap<ObjectKey, PersistentSortedMap<String, ObjectKey>> slices;
    private long seq;
    /** Keys in the order replayed, repeats included: cheaper per event than a set; {@link #changedKeys} dedups. */
    private final List<ObjectKey> changed = new ArrayList<>();
    private ClusterImage applied;

    ImageDelta(ClusterImage base) {
        this.base = base;
        this.seq = base.seq();
        this.objects = base.objectMap();
        this.slices = base.sliceIndex();
    }

    /** Folds one event in. Returns false (and changes nothing) when the event was already applied. */
    public boolean replay(ChangeEvent event) {
        requireOpen();
        if (event.seq() <= seq) {
            return false;
        }
        seq = event.seq();
        ObjectKey key = event.key();
        PersistentSortedMap.Updated<ObjectKey, Resource> updated =
                event.op() == Op.UPSERT ? objects.update(key, event.object()) : objects.delete(key);
        objects = updated.map();
        reindex(updated.previous() instanceof EndpointSlice old ? old : null,
                event.object() instanceof EndpointSlice now ? now : null);
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
            applied = seq == base.seq() ? base : new ClusterImage(seq, objects, slices);
        }
        return applied;
    }

    private void requireOpen() {
        if (applied != null) {
            throw new IllegalStateException("delta from seq " + base.seq() + " was already applied at seq " + seq
                    + "; replay further events into applied.delta()");
        }
    }

    /** Moves a slice in the index from {@code old} (null: it was not there) to {@code now} (null: it is gone). */
    private void reindex(EndpointSlice old, EndpointSlice now) {
        if (old != null && now != null && old.serviceName().equals(now.serviceName())) {
            return; // updated in place (same key, so same namespace; same Service): the index holds keys, nothing moves
        }
        if (old != null) {
            unindex(old);
        }
        if (now != null) {
            index(now);
        }
    }

    private void index(EndpointSlice now) {
        PersistentSortedMap<String, ObjectKey> bySlice = slices.get(now.serviceKey());
        if (bySlice == null) {
            bySlice = PersistentSortedMap.empty();
        }
        slices = slices.with(now.serviceKey(), bySlice.with(now.name(), now.key()));
    }

    private void unindex(EndpointSlice old) {
        PersistentSortedMap<String, ObjectKey> bySlice = slices.get(old.serviceKey());
        if (bySlice != null) {
            PersistentSortedMap<String, ObjectKey> rest = bySlice.without(old.name());
            slices = rest.isEmpty() ? slices.without(old.serviceKey()) : slices.with(old.serviceKey(), rest);
        }
    }
}
