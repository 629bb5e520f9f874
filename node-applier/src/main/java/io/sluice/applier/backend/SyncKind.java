package io.sluice.applier.backend;

/**
 * What one sync asks of a backend (kube-proxy's full and partial syncs).
 * <ul>
 *   <li>{@link #FULL}: make the kernel hold exactly the rule set, whatever it holds now. Still
 *       "send only the difference": a backend with a trusted model of the kernel diffs against it,
 *       one without (after start, a failure or drift) reads the kernel back first. Also re-checks
 *       what partial syncs take for granted (e.g. jumps from built-in chains).</li>
 *   <li>{@link #PARTIAL}: only the named Services changed since the last successful apply; the
 *       backend may restrict its work to their rules and the shared rules they touch. A backend
 *       that cannot trust its model does a FULL sync instead and says so in its {@link ApplyReport}.</li>
 * </ul>
 */
public enum SyncKind {
    FULL("full"),
    PARTIAL("partial");

    private final String wireName;

    SyncKind(String wireName) {
        this.wireName = wireName;
    }

    /** Lower case, for logs and metric tags. */
    public String wireName() {
        return wireName;
    }
}
