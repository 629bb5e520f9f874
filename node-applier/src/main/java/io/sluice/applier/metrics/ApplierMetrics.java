package io.sluice.applier.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The applier's meters. Names follow kube-proxy's where kube-proxy has the same measurement
 * ({@code kubeproxy_sync_proxy_rules_*}, {@code kubeproxy_network_programming_duration_seconds}),
 * so existing dashboards and alerts work; Sluice's own are {@code sluice_applier_*}. As Prometheus
 * text (micrometer's naming): {@code kubeproxy_sync_proxy_rules_duration_seconds} (histogram),
 * {@code kubeproxy_sync_proxy_rules_last_timestamp_seconds}, {@code
 * kubeproxy_sync_proxy_rules_iptables_restore_failures_total}, {@code
 * kubeproxy_network_programming_duration_seconds} (histogram), {@code sluice_applier_applied_seq},
 * {@code sluice_applier_lag_events}, {@code sluice_applier_quarantined_events_total{reason}},
 * {@code sluice_applier_replayed_events_total{outcome="applied"|"already_applied"}}.
 *
 * <p>{@link #close()} removes every meter this instance registered, so a new applier in the same
 * registry (a restart in tests) starts clean.
 */
public final class ApplierMetrics implements AutoCloseable {
    /** kube-proxy's buckets for sync duration: exponential from 1 ms, factor 2, 15 buckets. */
    private static final Duration[] SYNC_BUCKETS = exponential(Duration.ofMillis(1), 15);
    /** kube-proxy's network-programming buckets, seconds. */
    private static final double[] PROGRAMMING_BUCKET_SECONDS = {0.25, 0.5, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
            16, 17, 18, 19, 20, 25, 30, 45, 60, 120, 180, 240, 300, 360, 420, 480, 540, 600, 900, 1200, 1800, 2700, 3600};

    private final MeterRegistry registry;
    private final List<Meter> registered = new CopyOnWriteArrayList<>();
    private final Map<String, Counter> quarantined = new ConcurrentHashMap<>();
    private final Timer syncDuration;
    private final Timer networkProgramming;
    private final Counter restoreFailures;
    private final Counter replayedApplied;
    private final Counter replayedSkipped;
    private final AtomicLong lastSyncMillis = new AtomicLong();
    private final AtomicLong appliedSeq = new AtomicLong();
    private final AtomicLong lag = new AtomicLong();

    public ApplierMetrics(MeterRegistry registry) {
        this.registry = registry;
        syncDuration = keep(Timer.builder("kubeproxy.sync.proxy.rules.duration")
                .description("Time of one sync: render the image and apply it through the backend")
                .serviceLevelObjectives(SYNC_BUCKETS)
                .register(registry));
        networkProgramming = keep(Timer.builder("kubeproxy.network.programming.duration")
                .description("From an event's trigger time (or the watcher's observedAt) to the apply that programmed it")
                .serviceLevelObjectives(seconds(PROGRAMMING_BUCKET_SECONDS))
                .register(registry));
        restoreFailures = keep(Counter.builder("kubeproxy.sync.proxy.rules.iptables.restore.failures")
                .description("Syncs whose apply the backend refused; the old rules stayed")
                .register(registry));
        replayedApplied = replayed("applied");
        replayedSkipped = replayed("already_applied");
        keep(Gauge.builder("kubeproxy.sync.proxy.rules.last.timestamp.seconds", lastSyncMillis, v -> v.get() / 1000.0)
                .description("Unix time of the last successful sync").strongReference(true).register(registry));
        keep(Gauge.builder("sluice.applier.applied.seq", appliedSeq, AtomicLong::get)
                .description("Seq of the image last applied to the kernel").strongReference(true).register(registry));
        keep(Gauge.builder("sluice.applier.lag.events", lag, AtomicLong::get)
                .description("Records between this node's position and the end of the events topic").strongReference(true)
                .register(registry));
    }

    public void syncSucceeded(long seq, Duration took, Instant at) {
        syncDuration.record(took);
        lastSyncMillis.set(at.toEpochMilli());
        appliedSeq.set(seq);
    }

    public void syncFailed(Duration took) {
        syncDuration.record(took);
        restoreFailures.increment();
    }

    public void networkProgrammed(Duration latency) {
        networkProgramming.record(latency.isNegative() ? Duration.ZERO : latency);
    }

    public void replayed(int applied, int alreadyApplied) {
        replayedApplied.increment(applied);
        replayedSkipped.increment(alreadyApplied);
    }

    public void quarantined(String reason) {
        quarantined.computeIfAbsent(reason, r -> keep(Counter.builder("sluice.applier.quarantined.events")
                .description("Records quarantined to the dead-letter topic, by reason")
                .tag("reason", r)
                .register(registry))).increment();
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

    private Counter replayed(String outcome) {
        return keep(Counter.builder("sluice.applier.replayed.events")
                .description("Events replayed into the image; already_applied ones were at or below its seq and changed nothing")
                .tag("outcome", outcome)
                .register(registry));
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
