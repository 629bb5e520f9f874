package io.sluice.checker;

/** What a node says it holds: the seq it applied and the digest of its state at that seq. */
public record NodeReport(String node, long appliedSeq, String stateDigest) {
}
