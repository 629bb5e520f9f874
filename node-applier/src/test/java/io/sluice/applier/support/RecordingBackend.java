package io.sluice.applier.support;

import io.sluice.applier.backend.ApplyException;
import io.sluice.applier.backend.ApplyReport;
import io.sluice.applier.backend.RuleBackend;
import io.sluice.applier.backend.SyncKind;
import io.sluice.applier.render.RuleSet;
import io.sluice.schema.model.ObjectKey;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;

/**
 * An honest in-memory backend: "the kernel" is the text of the last rule set applied. A refused
 * apply keeps the previous one, as the contract demands. Can be told to refuse the next n applies,
 * to read its rules back (then the default drift checks of {@link RuleBackend} compare them), and
 * to have its "kernel" tampered with.
 */
public final class RecordingBackend implements RuleBackend {
    /** One call of the sync API. */
    public record Sync(RuleSet rules, SyncKind kind, Set<ObjectKey> changedServices) {
    }

    private final List<RuleSet> applied = new CopyOnWriteArrayList<>();
    private final List<Sync> syncs = new CopyOnWriteArrayList<>();
    private final AtomicInteger refuseNext = new AtomicInteger();
    private final AtomicInteger refused = new AtomicInteger();
    private final AtomicInteger checks = new AtomicInteger();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final AtomicBoolean readBack = new AtomicBoolean();
    private volatile RuleSet kernel;
    private volatile String kernelText;
    private volatile UnaryOperator<String> printing = UnaryOperator.identity();

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
        kernelText = rules.text();
    }

    @Override
    public ApplyReport apply(RuleSet rules, SyncKind kind, Set<ObjectKey> changedServices) throws ApplyException {
        syncs.add(new Sync(rules, kind, Set.copyOf(changedServices)));
        apply(rules);
        return ApplyReport.whole(kind, rules);
    }

    @Override
    public Optional<String> readBack() {
        checks.incrementAndGet();
        String text = kernelText;
        return readBack.get() && text != null ? Optional.of(printing.apply(text)) : Optional.empty();
    }

    @Override
    public void cleanup() {
        kernel = null;
        kernelText = null;
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

    /** Lets drift checks read "the kernel" back (off by default, like a backend that cannot). */
    public RecordingBackend readingBack(boolean on) {
        readBack.set(on);
        return this;
    }

    /** "The kernel" prints its rules through {@code printing}: a form the comparison may not know. */
    public RecordingBackend printing(UnaryOperator<String> printing) {
        this.printing = printing;
        return this;
    }

    /** Someone else changes "the kernel". */
    public void tamper(String text) {
        kernelText = text;
    }

    /** What "the kernel" holds as text (tampering included), or null. */
    public String kernelText() {
        return kernelText;
    }

    /** Read-backs asked for (drift checks). */
    public int checks() {
        return checks.get();
    }

    /** Every rule set accepted, in order. */
    public List<RuleSet> applied() {
        return List.copyOf(applied);
    }

    /** Every sync asked for through the sync API, accepted or not, in order. */
    public List<Sync> syncs() {
        return List.copyOf(syncs);
    }

    /** What "the kernel" holds now, or null. */
    public RuleSet kernel() {
        return kernel;
    }

    public boolean closed() {
        return closed.get();
    }
}
