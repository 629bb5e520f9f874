package io.sluice.bench;

import io.sluice.applier.backend.ApplyException;
import io.sluice.store.image.ClusterImage;

/**
 * What the applier does with a new image once it has committed it: its sync path, as the
 * benchmarks drive it. One implementation per stage of the applier's code (full apply; incremental).
 */
public interface SluiceSync extends AutoCloseable {
    /** Syncs the kernel to {@code image}; returns how long rendering and the kernel apply took. */
    Breakdown sync(ClusterImage image) throws ApplyException;

    /** e.g. "full apply: render everything, iptables-restore --noflush of every chain". */
    String describe();

    @Override
    default void close() {
    }

    record Breakdown(long renderNanos, long applyNanos) {
    }
}
