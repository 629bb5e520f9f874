package io.sluice.applier.backend;

import io.sluice.applier.render.RuleSet;
import io.sluice.schema.model.ObjectKey;
import java.util.Optional;
import java.util.Set;

/**
 * Writes a rendered rule set into the kernel (or, dry-run, to files). Narrow on purpose: the only
 * I/O boundary between the sync loop and the node's packet filter. Implementations are called from
 * one worker thread at a time and may block; {@link #checkDrift} runs on that same thread, between
 * applies, never during one.
 */
public interface RuleBackend extends AutoCloseable {
    /** Atomically replaces what Sluice holds in the kernel with {@code rules}; on failure the old rules stay. */
    void apply(RuleSet rules) throws ApplyException;

    /**
     * One sync of the runtime: makes the kernel hold {@code rules}, doing as little as {@code kind}
     * allows (see {@link SyncKind}). The runtime asks for FULL at start, after any failure, after
     * drift and at the maximum sync interval, PARTIAL otherwise. On failure the old rules stay (per
     * table at least) and the runtime's next call is FULL.
     *
     * <p>The default rewrites everything through {@link #apply(RuleSet)}, which is correct for
     * either kind; backends override it to send only what changed.
     *
     * @param changedServices for PARTIAL, the Services whose rules may have changed since the last
     *                        successful apply (a changed EndpointSlice is reported as its Service);
     *                        empty for FULL
     */
    default ApplyReport apply(RuleSet rules, SyncKind kind, Set<ObjectKey> changedServices) throws ApplyException {
        apply(rules);
        return ApplyReport.whole(kind, rules);
    }

    /**
     * What the kernel holds now of the rules Sluice owns, in the form {@link #canonical(RuleSet)}
     * writes (normalised where the kernel prints rules differently from how they were written).
     * Empty when this backend cannot read back (the default).
     */
    default Optional<String> readBack() throws ApplyException {
        return Optional.empty();
    }

    /** {@code rules} in the form {@link #readBack()} returns; the default is the text as rendered. */
    default String canonical(RuleSet rules) {
        return rules.text();
    }

    /**
     * Compares what the kernel holds with {@code applied}, the rule set of the last successful
     * apply. The default compares the whole {@link #readBack()} with {@link #canonical(RuleSet)} line
     * by line for either depth; backends with a cheaper look at their entry points override it for
     * {@link DriftCheck#CANARY}. A backend that keeps a model of the kernel must stop trusting it when
     * it reports drift: the runtime follows drift with a FULL sync that repairs it.
     *
     * @return empty when this backend cannot read back
     */
    default Optional<DriftReport> checkDrift(RuleSet applied, DriftCheck depth) throws ApplyException {
        Optional<String> live = readBack();
        return live.map(l -> DriftReport.compareLines(depth, canonical(applied), l));
    }

    /** Removes everything Sluice installed (chains, jumps from built-in chains). */
    void cleanup() throws ApplyException;

    /** A short description for logs: mode and where it writes, e.g. "iptables in netns lab-node1". */
    String describe();

    @Override
    default void close() {
    }
}
