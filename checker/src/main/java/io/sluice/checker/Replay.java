package io.sluice.checker;

import io.sluice.store.image.ClusterImage;

/**
 * The cluster state the log says a node should hold at {@code seq}.
 *
 * @param quarantined events skipped on the way because they could not be decoded or were invalid
 *                    (exactly what every applier skips too)
 */
public record Replay(ClusterImage image, long seq, String stateDigest, int quarantined) {
}
