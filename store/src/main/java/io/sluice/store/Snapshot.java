package io.sluice.store;

import io.sluice.store.image.ClusterImage;
import java.util.Objects;

/**
 * What a node's snapshot store holds: the image replayed up to {@code appliedSeq}, and the Kafka
 * offset to read next. Both were committed in the same batch, so they always agree.
 *
 * @param image      the cluster image; its {@link ClusterImage#seq()} equals {@code appliedSeq}
 * @param appliedSeq seq of the last event consumed (applied or quarantined); 0 for an empty store
 * @param nextOffset the next offset of the events topic to read; 0 for an empty store
 * @param clusterId  the cluster the stored events came from; empty until the first event is committed
 */
public record Snapshot(ClusterImage image, long appliedSeq, long nextOffset, String clusterId) {
    public Snapshot {
        Objects.requireNonNull(image, "image");
        Objects.requireNonNull(clusterId, "clusterId");
        if (image.seq() != appliedSeq) {
            throw new IllegalArgumentException("image is at seq " + image.seq() + " but appliedSeq is " + appliedSeq);
        }
    }

    public static Snapshot empty() {
        return new Snapshot(ClusterImage.empty(), 0, 0, "");
    }

    public boolean isEmpty() {
        return appliedSeq == 0 && nextOffset == 0 && image.size() == 0;
    }
}
