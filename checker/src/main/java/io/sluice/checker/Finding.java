package io.sluice.checker;

/** The checker's verdict on one node. */
public record Finding(String node, Status status, String detail) {
    public enum Status {
        /** Holds exactly what the log says, at the log's head. */
        IN_SYNC,
        /** Holds what the log said at an earlier seq: lagging, not wrong. */
        BEHIND,
        /** Holds something the log never said at that seq: tampered with, or a bug. */
        DIVERGED
    }
}
