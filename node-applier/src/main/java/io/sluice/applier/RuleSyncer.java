package io.sluice.applier;

import io.sluice.applier.backend.ApplyException;
import io.sluice.applier.backend.ApplyReport;
import io.sluice.applier.backend.DriftCheck;
import io.sluice.applier.backend.DriftReport;
import io.sluice.applier.backend.RuleBackend;
import io.sluice.applier.backend.SyncKind;
import io.sluice.applier.consume.PollResult;
import io.sluice.applier.health.HealthState;
import io.sluice.applier.log.ApplierLog;
import io.sluice.applier.metrics.ApplierMetrics;
import io.sluice.applier.render.IptablesChains;
import io.sluice.applier.render.NodeContext;
import io.sluice.applier.render.RuleRenderer;
import io.sluice.applier.render.RuleSet;
import io.sluice.applier.sync.Backoff;
import io.sluice.applier.sync.BoundedFrequencyRunner;
import io.sluice.applier.sync.BoundedFrequencyRunner.Trigger;
import io.sluice.applier.sync.ChangeTracker;
import io.sluice.applier.sync.DriftGuard;
import io.sluice.schema.model.ObjectKey;
import io.sluice.store.image.ClusterImage;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * The sync side of one node applier: from "the image changed" to "the kernel holds its rules", and
 * keeping it so. Owns the {@link BoundedFrequencyRunner}, the {@link ChangeTracker} and the drift
 * checks; see DESIGN.md ("Syncs"). One sync is a chain of named phases:
 * <ol>
 *   <li><b>plan</b> (caller's thread, under the lock): the image to sync, the node context, the
 *       changed Services checked out of the tracker, and the kind: FULL when there is any reason
 *       (first sync, a failure, drift, the maximum interval, a new node context, a Node change, the
 *       node catching up or loading its snapshot), PARTIAL otherwise;</li>
 *   <li><b>render and apply</b> (worker): the pure renderer, then {@link RuleBackend#apply(RuleSet,
 *       SyncKind, Set)};</li>
 *   <li><b>record</b> (under the lock): applied seq, health, metrics, network-programming latency
 *       and lag, listeners; after a failure, the next sync is FULL and the runner backs off.</li>
 * </ol>
 * Drift checks run on the same worker, so never during an apply: a cheap canary every
 * {@code driftCanaryInterval} and after each sync, a full comparison every
 * {@code driftFullCheckInterval} and after each full sync, in a quiet moment (no change for
 * {@link #FULL_CHECK_QUIET}, or at most one interval late); drift found is repaired by a FULL sync
 * and counted, once the repair succeeded, in {@code sluice_applier_drift_repairs_total{kind}}.
 *
 * <p>No Vert.x and no Kafka: time, timers and the worker are injected, so it is tested with a
 * manual clock. Thread-safe.
 */
public final class RuleSyncer {
    /** Runs blocking work off the caller's thread, one task at a time, in submission order. */
    public interface Worker {
        <T> CompletionStage<T> submit(Callable<T> task);
    }

    static final Backoff SYNC_RETRY = new Backoff(Duration.ofMillis(500), Duration.ofSeconds(30));
    private static final int MAX_UNAPPLIED = 100_000;
    private static final Duration BUSY_RETRY = Duration.ofMillis(50);
    /**
     * A full drift check waits until no change has come for this long (it holds the worker for a
     * whole read-back, {@code iptables-save} and a parse of every rule, and a change arriving
     * meanwhile waits for it), but never more than one full-check interval past its time.
     */
    static final Duration FULL_CHECK_QUIET = Duration.ofSeconds(1);

    private final ApplierConfig config;
    private final RuleRenderer renderer;
    private final RuleBackend backend;
    private final Supplier<NodeContext> nodeContext;
    private final Supplier<ClusterImage> target;
    private final ApplierMetrics metrics;
    private final HealthState health;
    private final ApplierLog log;
    private final Clock clock;
    private final LongSupplier nanoTime;
    private final BoundedFrequencyRunner.Scheduler scheduler;
    private final Worker worker;
    private final Consumer<AppliedSync> onApplied;
    private final BoundedFrequencyRunner runner;
    private final ChangeTracker tracker = new ChangeTracker();
    private final DriftGuard guard = new DriftGuard();

    /** Changes in the image not yet applied to the kernel, oldest first. */
    private final ArrayDeque<Unapplied> unapplied = new ArrayDeque<>();
    private final Set<String> fullReasons = new LinkedHashSet<>();
    private final Map<DriftCheck, BoundedFrequencyRunner.Cancellable> checkTimers = new EnumMap<>(DriftCheck.class);
    private final Map<DriftCheck, Duration> checkCost = new EnumMap<>(DriftCheck.class);
    private final Map<DriftCheck, Long> checkEnd = new EnumMap<>(DriftCheck.class);
    private final Set<DriftCheck> checkRunning = EnumSet.noneOf(DriftCheck.class);
    /** Written on the worker: the rule set the kernel holds, null while unknown (nothing applied, an apply running or failed). */
    private volatile RuleSet kernelRules;
    private volatile long appliedSeq = -1;
    private long serviceUpdatesReported;
    private long endpointUpdatesReported;
    private NodeContext lastContext;
    private boolean everSynced;
    private boolean started;
    private boolean stopped;
    private boolean logNextSync = true;
    private boolean readBackUnsupported;
    /** nanoTime of the last live change; a full check waits for a quiet moment after it. */
    private long lastChangeAt;
    private boolean anyChange;
    /** nanoTime since which a due full check has waited for a quiet moment, or null. */
    private Long fullCheckWaitingSince;
    /** The checks whose drift the next FULL sync repairs. */
    private final Set<DriftCheck> repairing = EnumSet.noneOf(DriftCheck.class);

    /** One change in the image, not yet in the kernel. */
    private record Unapplied(long seq, Instant since, Instant observedAt, boolean live) {
    }

    /** What one sync will do, fixed when it starts. */
    private record Plan(ClusterImage image, NodeContext context, SyncKind kind, Set<ObjectKey> services, Set<String> reasons,
            Set<DriftCheck> repairing) {
    }

    /** What one render + apply did, on the worker. */
    private record Outcome(RuleSet rules, ApplyReport report, Duration took, Instant at) {
    }

    /** A failed render or apply, with how long it took. */
    private static final class SyncFailure extends Exception {
        final Duration took;

        SyncFailure(Duration took, Throwable cause) {
            super(cause.getMessage(), cause);
            this.took = took;
        }
    }

    /** One drift check's result, on the worker; report empty when the backend cannot read back. */
    private record CheckOutcome(Optional<DriftReport> report, Duration took) {
    }

    /**
     * @param target    the image syncs program now, or null while nothing may be synced (the node has
     *                  neither a snapshot to serve nor caught up with the log)
     * @param onApplied called after every successful sync, under no lock
     */
    public RuleSyncer(ApplierConfig config, RuleRenderer renderer, RuleBackend backend, Supplier<NodeContext> nodeContext,
            Supplier<ClusterImage> target, ApplierMetrics metrics, HealthState health, ApplierLog log, Clock clock,
            LongSupplier nanoTime, BoundedFrequencyRunner.Scheduler scheduler, Worker worker, Consumer<AppliedSync> onApplied) {
        this.config = Objects.requireNonNull(config, "config");
        this.renderer = Objects.requireNonNull(renderer, "renderer");
        this.backend = Objects.requireNonNull(backend, "backend");
        this.nodeContext = Objects.requireNonNull(nodeContext, "nodeContext");
        this.target = Objects.requireNonNull(target, "target");
        this.metrics = Objects.requireNonNull(metrics, "metrics");
        this.health = Objects.requireNonNull(health, "health");
        this.log = Objects.requireNonNull(log, "log").forClass(RuleSyncer.class);
        this.clock = Objects.requireNonNull(clock, "clock");
        this.nanoTime = Objects.requireNonNull(nanoTime, "nanoTime");
        this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
        this.worker = Objects.requireNonNull(worker, "worker");
        this.onApplied = Objects.requireNonNull(onApplied, "onApplied");
        this.runner = new BoundedFrequencyRunner(new BoundedFrequencyRunner.Settings(config.minSyncInterval(),
                config.maxSyncInterval(), config.syncBurst(), SYNC_RETRY), nanoTime, scheduler, this::sync);
    }

    /**
     * Side effects that follow a successful apply, as in kube-proxy (conntrack cleanup, health-check
     * servers): run on the sync worker with the image the kernel held before and the one it holds now.
     * A hook that throws is logged; it never fails the sync.
     */
    @FunctionalInterface
    public interface AfterApply {
        void applied(long seq, ClusterImage before, ClusterImage after, NodeContext node) throws Exception;
    }

    private volatile AfterApply afterApply = (seq, before, after, node) -> { };
    /** The image the kernel holds (the last one applied), or the empty image before the first apply. */
    private volatile ClusterImage kernelImage = ClusterImage.empty();

    /** Sets the after-apply side effects; call before {@link #start()}. */
    public RuleSyncer afterApply(AfterApply hook) {
        this.afterApply = Objects.requireNonNull(hook, "hook");
        return this;
    }

    // ---- inputs --------------------------------------------------------------------------------

    /** Starts the periodic full sync and the drift checks. */
    public void start() {
        synchronized (this) {
            if (started || stopped) {
                return;
            }
            started = true;
            for (DriftCheck kind : DriftCheck.values()) {
                if (!interval(kind).isZero()) {
                    scheduleCheck(kind, interval(kind));
                }
            }
        }
        runner.start();
    }

    /**
     * The image went from {@code before} to {@code after} through {@code changes} (one committed
     * poll). While {@code live}, the changes are tracked and a sync is requested; before, they only
     * count towards the lag (no sync before the node has caught up).
     */
    public void imageChanged(ClusterImage before, ClusterImage after, List<PollResult.Change> changes, boolean live) {
        if (changes.isEmpty()) {
            return;
        }
        Instant now = clock.instant();
        synchronized (this) {
            if (stopped) {
                return;
            }
            for (PollResult.Change c : changes) {
                unapplied.addLast(new Unapplied(c.seq(), c.since(), c.observedAt(), live));
            }
            while (unapplied.size() > MAX_UNAPPLIED) {
                unapplied.pollFirst();
            }
            metrics.unappliedSince(unapplied.peekFirst().observedAt());
            if (!live) {
                return;
            }
            Set<ObjectKey> keys = new LinkedHashSet<>();
            changes.forEach(c -> keys.add(c.key()));
            for (ObjectKey key : keys) {
                tracker.update(key, before.get(key).orElse(null), after.get(key).orElse(null));
            }
            reportTracker();
            metrics.syncQueued(now);
            health.changeQueued(after.seq(), now);
            lastChangeAt = nanoTime.getAsLong();
            anyChange = true;
        }
        runner.run();
    }

    /** Asks for a FULL sync, for {@code reason} (logged): the snapshot was loaded, the node caught up, … */
    public void requestFull(String reason) {
        synchronized (this) {
            if (stopped) {
                return;
            }
            fullReasons.add(reason);
            tracker.clear(); // a full sync covers every change
            reportTracker();
            metrics.syncQueued(clock.instant());
        }
        runner.run();
    }

    /** Stops syncing and checking; a sync or check in progress finishes. Idempotent. */
    public void stop() {
        synchronized (this) {
            stopped = true;
            checkTimers.values().forEach(BoundedFrequencyRunner.Cancellable::cancel);
            checkTimers.clear();
        }
        runner.stop();
    }

    // ---- view ----------------------------------------------------------------------------------

    /** Seq of the image last applied to the kernel; -1 before the first successful sync. */
    public long appliedSeq() {
        return appliedSeq;
    }

    /** The rule set the kernel holds as far as Sluice knows; null while unknown. */
    public RuleSet kernelRules() {
        return kernelRules;
    }

    /** Consecutive failed syncs. */
    public int failuresInARow() {
        return runner.failuresInARow();
    }

    // ---- sync ----------------------------------------------------------------------------------

    /** The runner's task: plan, then render and apply on the worker, then record. */
    private CompletionStage<Boolean> sync(Trigger trigger) {
        Plan plan = plan(trigger);
        if (plan == null) {
            return CompletableFuture.completedFuture(true);
        }
        return worker.submit(() -> renderAndApply(plan)).handle((outcome, error) -> {
            if (error != null) {
                failed(plan, unwrap(error));
                return false;
            }
            synced(plan, outcome);
            return true;
        });
    }

    /** Phase 1: what this sync does; null when nothing may be synced yet. */
    private synchronized Plan plan(Trigger trigger) {
        if (stopped) {
            return null;
        }
        ClusterImage image = target.get();
        if (image == null) {
            return null;
        }
        NodeContext context = nodeContext.get();
        ChangeTracker.Changes changes = tracker.checkout();
        reportTracker();
        Set<String> reasons = new LinkedHashSet<>();
        if (!everSynced) {
            reasons.add("first sync");
        }
        reasons.addAll(fullReasons);
        fullReasons.clear();
        if (trigger == Trigger.PERIODIC) {
            reasons.add("maximum sync interval " + config.maxSyncInterval());
        }
        if (lastContext != null && !lastContext.equals(context)) {
            reasons.add("the node context changed");
        }
        if (changes.nodesChanged()) {
            reasons.add("a Node changed");
        }
        SyncKind kind = reasons.isEmpty() ? SyncKind.PARTIAL : SyncKind.FULL;
        Set<DriftCheck> repairs = kind == SyncKind.FULL ? Set.copyOf(repairing) : Set.of();
        repairing.removeAll(repairs);
        return new Plan(image, context, kind, kind == SyncKind.PARTIAL ? changes.services() : Set.of(), reasons, repairs);
    }

    /** Phase 2, on the worker: render (pure) and apply; the backend keeps the old rules if it throws. */
    private Outcome renderAndApply(Plan plan) throws SyncFailure {
        long t0 = nanoTime.getAsLong();
        try {
            RuleSet previous = kernelRules;
            // PARTIAL: only the Services the tracker names are rendered again, the rest is shared with
            // what the kernel holds. FULL renders everything (the tracker may have been cleared).
            RuleSet rules = plan.kind() == SyncKind.PARTIAL && previous != null
                    ? renderer.render(plan.image(), plan.context(), config.renderOptions(), previous, plan.services())
                    : renderer.render(plan.image(), plan.context(), config.renderOptions());
            kernelRules = null; // unknown until the apply returns
            ApplyReport report = backend.apply(rules, plan.kind(), plan.services());
            kernelRules = rules;
            Duration took = Duration.ofNanos(nanoTime.getAsLong() - t0);
            Instant at = clock.instant();
            runAfterApply(plan);
            return new Outcome(rules, report, took, at);
        } catch (ApplyException | RuntimeException e) {
            throw new SyncFailure(Duration.ofNanos(nanoTime.getAsLong() - t0), e);
        }
    }

    /** After a successful apply only; a failing side effect is logged, never fails the sync. */
    private void runAfterApply(Plan plan) {
        ClusterImage before = kernelImage;
        kernelImage = plan.image();
        try {
            afterApply.applied(plan.image().seq(), before, plan.image(), plan.context());
        } catch (Exception | LinkageError e) {
            log.warn(plan.image().seq(), "after-apply side effects failed: {}; the rules are applied (stale conntrack entries then time out on their own)",
                    String.valueOf(e));
        }
    }

    /** Phase 3: record a success. */
    private void synced(Plan plan, Outcome o) {
        long seq = plan.image().seq();
        SyncKind done = o.report().kind();
        AppliedSync applied = new AppliedSync(seq, o.at(), o.rules().fingerprint(), o.took(), done);
        synchronized (this) {
            appliedSeq = seq;
            everSynced = true;
            lastContext = plan.context();
            metrics.syncSucceeded(seq, done.wireName(), o.took(), o.at());
            if (isIptables(o.rules())) {
                RuleSet rules = o.rules();
                metrics.iptablesRules(rules.structure(IptablesChains.class).map(c -> c.tables().keySet())
                        .orElseGet(() -> rules.rulesPerTable().keySet()), rules::rulesPerTable);
                metrics.iptablesRulesWritten(o.report().rulesWritten());
            }
            health.synced(seq, o.at());
            programmed(seq, o.at());
            boolean wasRepair = !plan.repairing().isEmpty() && done == SyncKind.FULL;
            String how = done.wireName() + (plan.reasons().isEmpty() ? "" : " (" + String.join(", ", plan.reasons()) + ")");
            if (logNextSync || done == SyncKind.FULL) {
                log.info(seq, "synced in {} ms, {}: {}, rule digest {}", o.took().toMillis(), how, o.report().describe(),
                        applied.ruleDigest().substring(0, Math.min(19, applied.ruleDigest().length())));
            } else {
                log.debug(seq, "synced in {} ms, {}: {}", o.took().toMillis(), how, o.report().describe());
            }
            logNextSync = false;
            if (wasRepair) {
                guard.repaired();
                for (DriftCheck kind : plan.repairing()) {
                    metrics.driftRepaired(kind.wireName());
                    health.driftRepaired(o.at());
                    log.info(seq, "repaired the drift the {} check found; checking again now", kind.wireName());
                    scheduleCheck(kind, Duration.ZERO);
                }
            } else {
                afterApplyCheck(done == SyncKind.FULL ? DriftCheck.FULL : DriftCheck.CANARY);
            }
        }
        try {
            onApplied.accept(applied);
        } catch (RuntimeException e) {
            log.warn(seq, "onApplied listener threw {}; ignored", e.toString());
        }
    }

    /** Phase 3: record a failure; the runner retries with backoff, and the retry is FULL. */
    private synchronized void failed(Plan plan, Throwable error) {
        Throwable cause = error instanceof SyncFailure f && f.getCause() != null ? f.getCause() : error;
        Duration took = error instanceof SyncFailure f ? f.took : Duration.ZERO;
        fullReasons.add("the last sync failed");
        repairing.addAll(plan.repairing());
        boolean refused = cause instanceof ApplyException;
        metrics.syncFailed(plan.kind().wireName(), took, refused);
        long retry = runner.nextRetryDelay().toMillis();
        if (refused) {
            log.error(plan.image().seq(), "{} refused the rules of a {} sync: {}; the kernel keeps the rules of seq {}; "
                    + "retrying with a full sync in {} ms", backend.describe(), plan.kind().wireName(), cause.getMessage(),
                    appliedSeq, retry);
        } else {
            log.error(plan.image().seq(), "sync failed (a bug in rendering or the backend): {}; the kernel keeps the rules of "
                    + "seq {}; retrying with a full sync in {} ms", String.valueOf(cause), appliedSeq, retry);
        }
        logNextSync = true;
    }

    /** Network-programming latency for live changes now in the kernel, and the lag left. */
    private void programmed(long seq, Instant at) {
        while (!unapplied.isEmpty() && unapplied.peekFirst().seq() <= seq) {
            Unapplied u = unapplied.pollFirst();
            if (u.live()) {
                metrics.networkProgrammed(Duration.between(u.since(), at));
            }
        }
        metrics.unappliedSince(unapplied.isEmpty() ? null : unapplied.peekFirst().observedAt());
    }

    private void reportTracker() {
        long services = tracker.serviceUpdates();
        long endpoints = tracker.endpointSliceUpdates();
        metrics.changesReceived(services - serviceUpdatesReported, endpoints - endpointUpdatesReported);
        serviceUpdatesReported = services;
        endpointUpdatesReported = endpoints;
        metrics.changesPending(tracker.servicesPending(), tracker.endpointsPending());
    }

    // ---- drift -------------------------------------------------------------------------------

    /** After an apply, the check of {@code kind} comes as soon as its cost allows (if it is on). */
    private void afterApplyCheck(DriftCheck kind) {
        if (interval(kind).isZero() || readBackUnsupported) {
            return;
        }
        Duration cost = checkCost.get(kind);
        Long end = checkEnd.get(kind);
        long wait = 0;
        if (cost != null && end != null) {
            wait = Math.max(0, end + cost.multipliedBy(DriftGuard.DUTY_FACTOR).toNanos() - nanoTime.getAsLong());
        }
        scheduleCheck(kind, Duration.ofNanos(wait));
    }

    private void scheduleCheck(DriftCheck kind, Duration delay) {
        if (stopped || readBackUnsupported) {
            return;
        }
        BoundedFrequencyRunner.Cancellable old = checkTimers.remove(kind);
        if (old != null) {
            old.cancel();
        }
        checkTimers.put(kind, scheduler.schedule(delay, () -> check(kind)));
    }

    /** Runs one drift check on the worker, unless a sync is due or running (then a little later). */
    private void check(DriftCheck kind) {
        synchronized (this) {
            checkTimers.remove(kind);
            if (stopped || readBackUnsupported || checkRunning.contains(kind)) {
                return;
            }
            if (kernelRules == null) {
                rescheduleCheck(kind, interval(kind)); // nothing (known to be) applied yet: look again later
                return;
            }
            if (runner.running() || runner.pending()) {
                scheduleCheck(kind, BUSY_RETRY);
                return;
            }
            if (kind == DriftCheck.FULL && !quietForFullCheck()) {
                scheduleCheck(kind, FULL_CHECK_QUIET);
                return;
            }
            checkRunning.add(kind);
        }
        worker.submit(() -> {
            RuleSet applied = kernelRules;
            if (applied == null) {
                return null;
            }
            long t0 = nanoTime.getAsLong();
            Optional<DriftReport> report = backend.checkDrift(applied, kind);
            return new CheckOutcome(report, Duration.ofNanos(nanoTime.getAsLong() - t0));
        }).whenComplete((o, e) -> checked(kind, o, unwrap(e)));
    }

    /**
     * Whether a due full check may run now: no change for {@link #FULL_CHECK_QUIET}, or it has
     * already waited one full-check interval (changes that never stop do not starve it).
     */
    private boolean quietForFullCheck() {
        long now = nanoTime.getAsLong();
        if (!anyChange || now - lastChangeAt >= FULL_CHECK_QUIET.toNanos()) {
            fullCheckWaitingSince = null;
            return true;
        }
        if (fullCheckWaitingSince == null) {
            fullCheckWaitingSince = now;
            log.debug(appliedSeq, "full drift check waits for a quiet moment: changes are coming in");
        }
        if (now - fullCheckWaitingSince >= config.driftFullCheckInterval().toNanos()) {
            fullCheckWaitingSince = null;
            return true;
        }
        return false;
    }

    private synchronized void checked(DriftCheck kind, CheckOutcome o, Throwable error) {
        checkRunning.remove(kind);
        checkEnd.put(kind, nanoTime.getAsLong());
        Duration interval = interval(kind);
        if (error != null) {
            log.warn(appliedSeq, "{} drift check failed: {}; trying again in {} ms", kind.wireName(), error.getMessage(),
                    nextCheckDelay(kind, interval).toMillis());
            rescheduleCheck(kind, interval);
            return;
        }
        if (o == null) {
            rescheduleCheck(kind, interval);
            return;
        }
        if (o.report().isEmpty()) {
            readBackUnsupported = true;
            log.info(appliedSeq, "{} cannot read its rules back: no drift checks", backend.describe());
            return;
        }
        checkCost.put(kind, o.took());
        DriftReport report = o.report().get();
        metrics.driftChecked(kind.wireName(), o.took(), report.drifted());
        if (!report.drifted()) {
            guard.inSync(kind.wireName());
            log.debug(appliedSeq, "{} in {} ms", report.describe(), o.took().toMillis());
        } else {
            switch (guard.drifted(kind.wireName(), report.differences())) {
                case REPAIR -> {
                    log.warn(appliedSeq, "drift: the kernel no longer holds the applied rules ({}); repairing with a full sync",
                            report.describe());
                    fullReasons.add("drift found by the " + kind.wireName() + " check");
                    repairing.add(kind);
                    runner.run();
                }
                case PERSISTENT -> log.error(appliedSeq, "drift survived its repair ({}): the kernel shows these rules "
                        + "differently from how they were written, or something rewrites them at once; leaving them "
                        + "alone until the difference changes", report.describe());
                case IGNORE -> { }
                default -> throw new IllegalStateException("unknown drift decision");
            }
        }
        rescheduleCheck(kind, interval);
    }

    private void rescheduleCheck(DriftCheck kind, Duration interval) {
        if (!interval.isZero()) {
            scheduleCheck(kind, nextCheckDelay(kind, interval));
        }
    }

    private Duration nextCheckDelay(DriftCheck kind, Duration interval) {
        return DriftGuard.nextDelay(interval, checkCost.get(kind));
    }

    private Duration interval(DriftCheck kind) {
        return kind == DriftCheck.CANARY ? config.driftCanaryInterval() : config.driftFullCheckInterval();
    }

    // ---- helpers -------------------------------------------------------------------------------

    private static boolean isIptables(RuleSet rules) {
        return "iptables".equals(rules.mode());
    }

    private static Throwable unwrap(Throwable e) {
        Throwable t = e;
        while (t instanceof java.util.concurrent.CompletionException && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }
}
