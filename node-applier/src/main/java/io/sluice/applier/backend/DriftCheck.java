package io.sluice.applier.backend;

/** How hard a backend looks for drift (kernel rules that differ from what it applied). */
public enum DriftCheck {
    /**
     * Cheap and frequent: the entry points only (iptables: the jumps from built-in chains and the
     * chains they jump to, e.g. SLUICE-SERVICES). Catches a flushed table or dispatch chain.
     */
    CANARY("canary"),
    /** Everything Sluice owns, read back and compared rule by rule. */
    FULL("full");

    private final String wireName;

    DriftCheck(String wireName) {
        this.wireName = wireName;
    }

    /** Lower case, for logs and metric tags. */
    public String wireName() {
        return wireName;
    }
}
