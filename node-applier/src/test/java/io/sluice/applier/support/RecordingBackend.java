package io.sluice.applier.support;

import io.sluice.applier.backend.ApplyException;
import io.sluice.applier.backend.RuleBackend;
import io.sluice.applier.render.RuleSet;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An honest in-memory backend: "the kernel" is the last rule set applied. A refused apply keeps
 * the previous one, as the contract demands. Can be told to refuse the next n applies.
 */
public final class RecordingBackend implements RuleBackend {
    private final List<RuleSet> applied = new CopyOnWriteArrayList<>();
    private final AtomicInteger refuseNext = new AtomicInteger();
    private final AtomicInteger refused = new AtomicInteger();
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile RuleSet kernel;

    @Override
    public void apply(RuleSet rules) throws ApplyException {
        if (closed.get()) {
            throw new IllegalStateException("apply after close");
        }
        if (refuseNext.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
            refused.incrementAndGet();
            throw new ApplyException("test backend refused the rules (exit status 1)");
        }
        applied.add(rules);
        kernel = rules;
    }

    @Override
    public void cleanup() {
        kernel = null;
    }

    @Override
    public String describe() {
        return "in-memory test backend";
    }

    @Override
    public void close() {
        closed.set(true);
    }

    public void refuseNext(int n) {
        refuseNext.set(n);
    }

    public int refused() {
        return refused.get();
    }

    /** Every rule set accepted, in order. */
    public List<RuleSet> applied() {
        return List.copyOf(applied);
    }

    /** What "the kernel" holds now, or null. */
    public RuleSet kernel() {
        return kernel;
    }

    public boolean closed() {
        return closed.get();
    }
}
