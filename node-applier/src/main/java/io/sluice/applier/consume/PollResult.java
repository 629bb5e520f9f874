package io.sluice.applier.consume;

import io.sluice.schema.model.ObjectKey;
import io.sluice.store.image.ClusterImage;
import java.time.Instant;
import java.util.List;

/**
 * What one poll of the events topic did, after its batch was committed to the snapshot store.
 *
 * @param image          the image as committed (unchanged if nothing was applied)
 * @param applied        events that changed the image
 * @param alreadyApplied events at or below the image's seq, skipped (replay after a crash)
 * @param quarantined    records set aside
 * @param position       the consumer's position after the batch (the next offset it will read)
 * @param lag            records between the position and the end of the log, or -1 when unknown
 * @param changes        each applied event, in order: for change tracking, latency and lag
 */
public record PollResult(ClusterImage image, int applied, int alreadyApplied, int quarantined, long position, long lag,
        List<Change> changes) {
    public PollResult {
        changes = List.copyOf(changes);
    }

    public int records() {
        return applied + alreadyApplied + quarantined;
    }

    /**
     * One applied event.
     *
     * @param seq        its seq
     * @param since      when its change began: the trigger time, else the watcher's observedAt (for the
     *                   network-programming latency)
     * @param observedAt when the watcher saw it (for the lag in seconds)
     * @param key        the object it changed
     */
    public record Change(long seq, Instant since, Instant observedAt, ObjectKey key) {
    }
}
