package io.sluice.applier.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * The applier's meters; every one is described in node-applier/METRICS.md. Names follow
 * kube-proxy's where kube-proxy has the same measurement ({@code kubeproxy_sync_proxy_rules_*},
 * {@code kubeproxy_sync_full_proxy_rules_duration_seconds}, {@code
 * kubeproxy_network_programming_duration_seconds}, …), so existing dashboards and alerts work;
 * Sluice's own are {@code sluice_applier_*}.
 *
 * <p>{@link #close()} removes every meter this instance registered, so a new applier in the same
 * registry (a restart in tests) starts clean. Thread-safe.
 */
public final class ApplierMetrics implements AutoCloseable {
    /** kube-proxy's buckets for sync durations: exponential from 1 ms, factor 2, 15 buckets. */
    private static final Duration[] SYNC_BUCKETS = exponential(Duration.ofMillis(1), 15);
    /** kube-proxy's network-programming buckets, seconds. */
    private static final double[] PROGRAMMING_BUCKET_SECONDS = {0.25, 0.5, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
            16, 17, 18, 19, 20, 25, 30, 45, 60, 120, 180, 240, 300, 360, 420, 480, 540, 600, 900, 1200, 1800, 2700, 3600};
    private static final long NONE = Long.MIN_VALUE;

    private final MeterRegistry registry;
    private final Clock clock;
    private final List<Meter> registered = new CopyOnWriteArrayList<>();
    private final Map<String, Counter> counters = new ConcurrentHashMap<>();
    private final Map<String, Timer> timers = new ConcurrentHashMap<>();
    private final Map<String, AtomicLong> tableGauges = new ConcurrentHashMap<>();
    private final Set<String> iptablesTables = ConcurrentHashMap.newKeySet();
    private volatile Supplier<Map<String, Integer>> iptablesRuleCounts = Map::of;
    private final Timer syncDuration;
    private final Timer fullSyncDuration;
    private final Timer partialSyncDuration;
    private final Timer networkProgramming;
    private final Counter restoreFailures;
    private final Counter partialRestoreFailures;
    private final Counter replayedApplied;
    private final Counter replayedSkipped;
    private final Counter serviceChanges;
    private final Counter endpointChanges;
    private final AtomicLong lastSyncMillis = new AtomicLong();
    private final AtomicLong lastQueuedMillis = new AtomicLong();
    private final AtomicLong appliedSeq = new AtomicLong();
    private final AtomicLong lag = new AtomicLong();
    private final AtomicLong servicesPending = new AtomicLong();
    private final AtomicLong endpointsPending = new AtomicLong();
    private final AtomicLong unappliedSinceMillis = new AtomicLong(NONE);

    public ApplierMetrics(MeterRegistry registry) {
        this(registry, Clock.systemUTC());
    }

    public ApplierMetrics(MeterRegistry registry, Clock clock) {
        this.registry = registry;
        this.clock = clock;
        syncDuration = syncTimer("kubeproxy.sync.proxy.rules.duration", "Time of one sync, full or partial: render and apply");
        fullSyncDuration = syncTimer("kubeproxy.sync.full.proxy.rules.duration",
                "Time of one full sync: render everything, send the kernel what differs, check the jumps");
        partialSyncDuration = syncTimer("kubeproxy.sync.partial.proxy.rules.duration",
                "Time of one partial sync: render, send the kernel the rules of the changed Services");
        networkProgramming = keep(Timer.builder("kubeproxy.network.programming.duration")
                .description("From an event's trigger time (or the watcher's observedAt) to the apply that programmed it")
                .serviceLevelObjectives(seconds(PROGRAMMING_BUCKET_SECONDS))
                .register(registry));
        restoreFailures = keep(Counter.builder("kubeproxy.sync.proxy.rules.iptables.restore.failures")
                .description("Syncs whose apply the backend refused; the old rules stayed").register(registry));
        partialRestoreFailures = keep(Counter.builder("kubeproxy.sync.proxy.rules.iptables.partial.restore.failures")
                .description("Partial syncs whose apply the backend refused; the next sync is full").register(registry));
        serviceChanges = keep(Counter.builder("kubeproxy.sync.proxy.rules.service.changes")
                .description("Service updates received, no-ops included").register(registry));
        endpointChanges = keep(Counter.builder("kubeproxy.sync.proxy.rules.endpoint.changes")
                .description("EndpointSlice updates received, no-ops included").register(registry));
        replayedApplied = replayed("applied");
        replayedSkipped = replayed("already_applied");
        gauge("kubeproxy.sync.proxy.rules.last.timestamp.seconds", lastSyncMillis, v -> v.get() / 1000.0,
                "Unix time of the last successful sync");
        gauge("kubeproxy.sync.proxy.rules.last.queued.timestamp.seconds", lastQueuedMillis, v -> v.get() / 1000.0,
                "Unix time a change last asked for a sync");
        gauge("kubeproxy.sync.proxy.rules.service.changes.pending", servicesPending, AtomicLong::get,
                "Services with a net change of the Service object not yet synced");
        gauge("kubeproxy.sync.proxy.rules.endpoint.changes.pending", endpointsPending, AtomicLong::get,
                "Services with a net change of their EndpointSlices not yet synced");
        gauge("sluice.applier.applied.seq", appliedSeq, AtomicLong::get, "Seq of the image last applied to the kernel");
        gauge("sluice.applier.lag.events", lag, AtomicLong::get,
                "Records between this node's position and the end of the events topic");
        gauge("sluice.applier.lag.seconds", unappliedSinceMillis, this::lagSeconds,
                "Now minus the observedAt of the oldest event in the image not yet applied to the kernel; 0 when none");
    }

    // ---- syncs -------------------------------------------------------------------------------

    /** A successful sync of {@code kind} ("full" or "partial") that applied the image at {@code seq}. */
    public void syncSucceeded(long seq, String kind, Duration took, Instant at) {
        syncDuration.record(took);
        ("full".equals(kind) ? fullSyncDuration : partialSyncDuration).record(took);
        lastSyncMillis.set(at.toEpochMilli());
        appliedSeq.set(seq);
    }

    /** A failed sync; {@code refused}: the backend (kernel tool) refused the rules, not a bug elsewhere. */
    public void syncFailed(String kind, Duration took, boolean refused) {
        syncDuration.record(took);
        ("full".equals(kind) ? fullSyncDuration : partialSyncDuration).record(took);
        if (refused) {
            restoreFailures.increment();
            if ("partial".equals(kind)) {
                partialRestoreFailures.increment();
            }
        }
    }

    /** A change asked for a sync at {@code at}. */
    public void syncQueued(Instant at) {
        lastQueuedMillis.set(at.toEpochMilli());
    }

    /**
     * Rules Sluice owns in each iptables table after the last sync: kube-proxy's gauge
     * {@code kubeproxy_sync_proxy_rules_iptables_total{table}}. The Prometheus client reserves the
     * {@code _total} suffix for counters (it strips it from gauge names), so this is registered as a
     * function counter to keep kube-proxy's name; its value goes down when rules go, as kube-proxy's.
     * Counted from {@code counts} only when the metric is read, and then once per call of this
     * method: counting walks every chain (tens of thousands at 10,000 Services), too much to do
     * after each of many syncs a second when nobody scrapes that often.
     *
     * @param tables the tables to report (a table reported once stays, at 0 when {@code counts} lacks it)
     * @param counts rules per table of the rule set the kernel holds now
     */
    public void iptablesRules(Set<String> tables, Supplier<Map<String, Integer>> counts) {
        iptablesRuleCounts = new Memo(counts);
        for (String table : tables) {
            if (iptablesTables.add(table)) {
                keep(FunctionCounter.builder("kubeproxy.sync.proxy.rules.iptables", this,
                                m -> m.iptablesRuleCounts.get().getOrDefault(table, 0))
                        .description("Rules Sluice owns in this iptables table (a gauge in meaning; see METRICS.md)")
                        .tag("table", table).register(registry));
            }
        }
    }

    /** Rules per table of what the kernel holds, computed at most once. */
    private static final class Memo implements Supplier<Map<String, Integer>> {
        private final Supplier<Map<String, Integer>> source;
        private volatile Map<String, Integer> value;

        Memo(Supplier<Map<String, Integer>> source) {
            this.source = source;
        }

        @Override
        public Map<String, Integer> get() {
            Map<String, Integer> v = value;
            if (v == null) {
                v = Map.copyOf(source.get());
                value = v;
            }
            return v;
        }
    }

    /** Rules written to each iptables table by the last sync (kubeproxy_sync_proxy_rules_iptables_last). */
    public void iptablesRulesWritten(Map<String, Integer> byTable) {
        tableGauges.forEach((key, v) -> {
            if (key.startsWith("kubeproxy.sync.proxy.rules.iptables.last|")) {
                v.set(0);
            }
        });
        byTable.forEach((table, n) -> tableGauge("kubeproxy.sync.proxy.rules.iptables.last", table,
                "Rules written to this iptables table by the last sync").set(n));
    }

    public void networkProgrammed(Duration latency) {
        networkProgramming.record(latency.isNegative() ? Duration.ZERO : latency);
    }

    // ---- change tracking ---------------------------------------------------------------------

    /** Updates received since the last call: Service and EndpointSlice updates, no-ops included. */
    public void changesReceived(long serviceUpdates, long endpointSliceUpdates) {
        serviceChanges.increment(serviceUpdates);
        endpointChanges.increment(endpointSliceUpdates);
    }

    /** Services with pending (net, not yet synced) changes of the Service object and of its EndpointSlices. */
    public void changesPending(int services, int endpoints) {
        servicesPending.set(services);
        endpointsPending.set(endpoints);
    }

    /** The observedAt of the oldest event not yet applied to the kernel; null when every event is applied. */
    public void unappliedSince(Instant observedAt) {
        unappliedSinceMillis.set(observedAt == null ? NONE : observedAt.toEpochMilli());
    }

    // ---- drift -------------------------------------------------------------------------------

    /** One drift check of {@code kind} ("canary" or "full") finished. */
    public void driftChecked(String kind, Duration took, boolean drifted) {
        timers.computeIfAbsent("drift|" + kind, k -> keep(Timer.builder("sluice.applier.drift.check.duration")
                .description("Time of one drift check: read the kernel's rules back and compare").tag("kind", kind)
                .serviceLevelObjectives(SYNC_BUCKETS).register(registry))).record(took);
        counter("sluice.applier.drift.checks", "Drift checks by kind and result", "kind", kind, "result",
                drifted ? "drift" : "in_sync").increment();
    }

    /** Drift found by a check of {@code kind} was repaired by a full sync. */
    public void driftRepaired(String kind) {
        counter("sluice.applier.drift.repairs", "Differences between the kernel and the applied rules, repaired",
                "kind", kind).increment();
    }

    // ---- log side ------------------------------------------------------------------------------

    public void replayed(int applied, int alreadyApplied) {
        replayedApplied.increment(applied);
        replayedSkipped.increment(alreadyApplied);
    }

    public void quarantined(String reason) {
        counter("sluice.applier.quarantined.events", "Records quarantined to the dead-letter topic, by reason",
                "reason", reason).increment();
    }

    public void lag(long records) {
        lag.set(Math.max(0, records));
    }

    public MeterRegistry registry() {
        return registry;
    }

    @Override
    public void close() {
        registered.forEach(registry::remove);
        registered.clear();
    }

    // ---- helpers -------------------------------------------------------------------------------

    private double lagSeconds(AtomicLong since) {
        long s = since.get();
        return s == NONE ? 0 : Math.max(0, clock.millis() - s) / 1000.0;
    }

    private Timer syncTimer(String name, String description) {
        return keep(Timer.builder(name).description(description).serviceLevelObjectives(SYNC_BUCKETS).register(registry));
    }

    private Counter replayed(String outcome) {
        return counter("sluice.applier.replayed.events",
                "Events replayed into the image; already_applied ones were at or below its seq and changed nothing",
                "outcome", outcome);
    }

    private Counter counter(String name, String description, String... tags) {
        return counters.computeIfAbsent(name + "|" + String.join("|", tags), k -> keep(Counter.builder(name)
                .description(description).tags(tags).register(registry)));
    }

    private AtomicLong tableGauge(String name, String table, String description) {
        return tableGauges.computeIfAbsent(name + "|" + table, k -> {
            AtomicLong v = new AtomicLong();
            keep(Gauge.builder(name, v, AtomicLong::get).description(description).tag("table", table)
                    .strongReference(true).register(registry));
            return v;
        });
    }

    private <T> void gauge(String name, T state, java.util.function.ToDoubleFunction<T> f, String description) {
        keep(Gauge.builder(name, state, f).description(description).strongReference(true).register(registry));
    }

    private <M extends Meter> M keep(M meter) {
        registered.add(meter);
        return meter;
    }

    private static Duration[] exponential(Duration start, int count) {
        Duration[] out = new Duration[count];
        for (int i = 0; i < count; i++) {
            out[i] = start.multipliedBy(1L << i);
        }
        return out;
    }

    private static Duration[] seconds(double[] values) {
        Duration[] out = new Duration[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = Duration.ofMillis(Math.round(values[i] * 1000));
        }
        return out;
    }
}
