package io.sluice.bench;

import io.sluice.applier.backend.ApplyException;
import io.sluice.schema.model.ObjectKey;
import io.sluice.store.image.ClusterImage;
import java.util.Set;

/**
 * What the applier does with a new image once it has committed it: its sync path, as the
 * benchmarks drive it. One implementation per stage of the applier's code (full apply; incremental).
 */
public interface SluiceSync extends AutoCloseable {
    /**
     * Syncs the kernel to {@code image}; returns how long rendering and the kernel apply took.
     *
     * @param changedServices Services changed since the previous sync; null for the first (full) sync
     */
    Breakdown sync(ClusterImage image, Set<ObjectKey> changedServices) throws ApplyException;

    /** e.g. "full apply: render everything, iptables-restore --noflush of every chain". */
    String describe();

    @Override
    default void close() {
    }

    /** @param report what the backend says it did (e.g. its ApplyReport), for the log */
    record Breakdown(long renderNanos, long applyNanos, String report) {
    }
}
