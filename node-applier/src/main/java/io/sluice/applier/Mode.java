package io.sluice.applier;

/** What the node's kernel rules currently come from; reported by /healthz and /readyz. */
public enum Mode {
    /** Nothing applied yet: no snapshot, and the node has not caught up with the log. */
    STARTING("starting"),
    /** Serving the rules of the local snapshot: Kafka unreachable, or the node is still catching up. */
    SNAPSHOT("snapshot"),
    /** Caught up with the log end seen at start; every new event is synced. */
    LIVE("live");

    private final String wireName;

    Mode(String wireName) {
        this.wireName = wireName;
    }

    public String wireName() {
        return wireName;
    }
}
