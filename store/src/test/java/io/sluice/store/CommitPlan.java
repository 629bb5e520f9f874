package io.sluice.store;

import io.sluice.schema.model.ChangeEvent;
import io.sluice.store.image.ClusterImage;
import io.sluice.store.image.ImageDelta;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * A deterministic sequence of commits, as an applier would make them: each batch consumes 0-5 log
 * records, some of which are quarantined (their seq is consumed, no event applied), and the offset
 * sometimes skips a record that carries no event (a transaction marker). The same seed gives the
 * same plan in the test JVM and in the child JVM it kills.
 */
public final class CommitPlan {
    /** One commit: the events applied, and the position after them. */
    public record Batch(List<ChangeEvent> applied, long appliedSeq, long nextOffset) {
    }

    private CommitPlan() {
    }

    public static List<Batch> plan(long seed, int batches) {
        Random r = new Random(seed);
        List<Batch> out = new ArrayList<>(batches);
        long seq = 0;
        long offset = 0;
        for (int i = 0; i < batches; i++) {
            int consumed = r.nextInt(6);
            List<ChangeEvent> applied = new ArrayList<>();
            for (int k = 0; k < consumed; k++) {
                seq++;
                boolean quarantined = r.nextInt(8) == 0;
                Fixtures.Step step = Fixtures.randomStep(r);
                if (!quarantined) {
                    applied.add(step.toEvent(seq));
                }
            }
            offset += Math.max(1, consumed + (r.nextInt(4) == 0 ? 1 : 0));
            out.add(new Batch(List.copyOf(applied), seq, offset));
        }
        return out;
    }

    /** The image an applier holds after committing {@code plan[0..last]}: the replay of those events. */
    public static ClusterImage imageAfter(List<Batch> plan, int last) {
        ImageDelta delta = ClusterImage.empty().delta();
        for (int i = 0; i <= last; i++) {
            plan.get(i).applied().forEach(delta::replay);
        }
        delta.advanceTo(last < 0 ? 0 : plan.get(last).appliedSeq());
        return delta.apply();
    }
}
