package io.sluice.applier;

import io.sluice.applier.backend.SyncKind;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * One successful sync: the image at {@code seq} was rendered and the backend applied it.
 *
 * @param seq        seq of the image that was applied
 * @param appliedAt  when the backend returned
 * @param ruleDigest {@link io.sluice.applier.render.RuleSet#fingerprint()} of the rules applied: for iptables
 *                   the per-chain sum {@code chains-fnv64:…}, for nftables {@code nft-fnv64:…} (chains, sets and
 *                   elements), else {@code sha256:} of the rule text
 * @param duration   render plus apply
 * @param kind       full or partial, as the backend did it
 */
public record AppliedSync(long seq, Instant appliedAt, String ruleDigest, Duration duration, SyncKind kind) {
    public AppliedSync {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(appliedAt, "appliedAt");
        Objects.requireNonNull(ruleDigest, "ruleDigest");
        Objects.requireNonNull(duration, "duration");
    }
}
