package io.sluice.store;

import static io.sluice.store.Fixtures.CLUSTER;
import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.schema.model.ChangeEvent;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * RocksDB's native memory stays within the store's bounds (SnapshotStore.boundedOptions) for a
 * snapshot several times larger than one write buffer, on a real RocksDB on disk.
 */
class SnapshotStoreMemoryIT {
    private static final Instant T = Instant.parse("2025-01-01T00:00:00Z");
    /** Some 12 MB of encoded events: three times both write buffers together. */
    private static final int OBJECTS = 40_000;
    private static final int BATCH = 1_000;
    /** A memtable may overshoot its size by the batch that filled it and one arena block. */
    private static final long MEMTABLE_SLACK = 1L << 20;

    @TempDir
    Path tmp;

    @Test
    void memtablesStayWithinTheirTwoWriteBuffersWhileASnapshotLargerThanThemIsCommitted() {
        try (SnapshotStore store = SnapshotStore.open(tmp)) {
            long bound = SnapshotStore.WRITE_BUFFERS * SnapshotStore.WRITE_BUFFER_BYTES + MEMTABLE_SLACK;
            long seq = 0;
            for (int b = 0; b < OBJECTS / BATCH; b++) {
                List<ChangeEvent> batch = new ArrayList<>(BATCH);
                for (int i = 0; i < BATCH; i++) {
                    int n = b * BATCH + i;
                    batch.add(ChangeEvent.upsert(CLUSTER, ++seq, Fixtures.slice("ns-" + n % 100, "slice-" + n, "svc-" + n, n % 250),
                            T, Long.toString(seq)));
                }
                store.commit(batch, seq, seq);
                assertThat(store.rocksMemory().memtables()).as("memtables after batch %d", b).isLessThanOrEqualTo(bound);
            }
        }
    }

    @Test
    void loadingASnapshotDoesNotFillTheBlockCache() {
        List<ChangeEvent> events = new ArrayList<>(OBJECTS);
        for (int n = 0; n < OBJECTS; n++) {
            events.add(ChangeEvent.upsert(CLUSTER, n + 1, Fixtures.slice("ns-" + n % 100, "slice-" + n, "svc-" + n, n % 250),
                    T, Integer.toString(n + 1)));
        }
        try (SnapshotStore store = SnapshotStore.open(tmp)) {
            for (int from = 0; from < OBJECTS; from += BATCH) {
                store.commit(events.subList(from, from + BATCH), from + BATCH, from + BATCH);
            }
        }
        try (SnapshotStore store = SnapshotStore.open(tmp)) {
            assertThat(store.load().image().size()).isEqualTo(OBJECTS);
            SnapshotStore.RocksMemory memory = store.rocksMemory();
            // Index and filter blocks only: the scan's data blocks were read without filling the cache.
            assertThat(memory.blockCache()).isLessThan(1L << 20).isLessThanOrEqualTo(SnapshotStore.BLOCK_CACHE_BYTES);
            assertThat(memory.tableReaders()).isLessThan(1L << 20);
        }
    }
}
