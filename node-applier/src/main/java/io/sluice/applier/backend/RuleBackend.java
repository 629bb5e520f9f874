package io.sluice.applier.backend;

import io.sluice.applier.render.RuleSet;

/**
 * Writes a rendered rule set into the kernel (or, dry-run, to files). Narrow on purpose: the only
 * I/O boundary between the sync loop and the node's packet filter. Implementations are called from
 * one worker thread at a time and may block.
 */
public interface RuleBackend extends AutoCloseable {
    /** Atomically replaces what Sluice holds in the kernel with {@code rules}; on failure the old rules stay. */
    void apply(RuleSet rules) throws ApplyException;

    /** Removes everything Sluice installed (chains, jumps from built-in chains). */
    void cleanup() throws ApplyException;

    /** A short description for logs: mode and where it writes, e.g. "iptables in netns lab-node1". */
    String describe();

    @Override
    default void close() {
    }
}
