package io.sluice.store;

import java.nio.file.Path;
import java.util.List;

/**
 * The child JVM of {@link SnapshotStoreIT}'s crash test: commits a {@link CommitPlan} batch by batch
 * and reports each commit on stdout only after {@code commit} returned ({@code open},
 * {@code committed <index>}, {@code done}). The test kills it with SIGKILL somewhere in the loop.
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
        }
    }

    private static void report(String line) {
        System.out.println(line);
        System.out.flush();
    }
}
