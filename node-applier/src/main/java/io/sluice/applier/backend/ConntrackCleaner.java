package io.sluice.applier.backend;

import io.sluice.applier.render.ConntrackDeletion;
import java.util.List;

/**
 * Deletes conntrack entries on the node: the I/O side of stale-UDP cleanup. The applier calls it
 * after a successful apply with {@code StaleConntrack.between(previousImage, newImage, node,
 * options)}; a failure is logged and does not fail the sync (the entries time out on their own).
 */
public interface ConntrackCleaner {

    /** Deletes every entry each filter matches; tries all of them, then reports the ones that failed. */
    void delete(List<ConntrackDeletion> deletions) throws ApplyException;

    /** The real cleaner: the {@code conntrack} tool (conntrack-tools) behind {@code commandPrefix}. */
    static ConntrackCleaner system(List<String> commandPrefix) {
        return new SystemConntrackCleaner(Exec.system(), commandPrefix, IptablesRestoreBackend.DEFAULT_TIMEOUT);
    }
}
