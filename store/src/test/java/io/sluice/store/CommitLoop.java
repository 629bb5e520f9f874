package io.sluice.store;

import java.nio.file.Path;
import java.util.List;

/**
 * The child JVM of {@link SnapshotStoreIT}'s crash test: commits a {@link CommitPlan} batch by batch
 * and reports each commit on stdout only after {@code commit} returned ({@code open},
 * {@code committed <index>}, {@code done}). The test kills it with SIGKILL somewhere in the loop; a
 * loop that finished holds the store open until then.
 */
public final class CommitLoop {
    private CommitLoop() {
    }

    public static void main(String[] args) {
        Path dir = Path.of(args[0]);
        List<CommitPlan.Batch> plan = CommitPlan.plan(Long.parseLong(args[1]), Integer.parseInt(args[2]));
        try (SnapshotStore store = SnapshotStore.open(dir)) {
            report("open");
            for (int i = 0; i < plan.size(); i++) {
                CommitPlan.Batch b = plan.get(i);
                store.commit(b.applied(), b.appliedSeq(), b.nextOffset());
                report("committed " + i);
            }
            report("done");
            // Keep the store (and its lock) until the test kills us: on a loaded machine the loop can
            // finish before the test has checked that the lock is held.
            awaitKill();
        }
    }

    private static void awaitKill() {
        try {
            while (System.in.read() >= 0) {
                // the test writes nothing; EOF means it went away
            }
        } catch (java.io.IOException e) {
            // stdin closed: the test is gone
        }
    }

    private static void report(String line) {
        System.out.println(line);
        System.out.flush();
    }
}
