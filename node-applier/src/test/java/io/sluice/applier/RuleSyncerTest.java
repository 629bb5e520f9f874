package io.sluice.applier;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.sluice.applier.backend.SyncKind;
import io.sluice.applier.consume.PollResult;
import io.sluice.applier.health.HealthState;
import io.sluice.applier.log.ApplierLog;
import io.sluice.applier.metrics.ApplierMetrics;
import io.sluice.applier.render.NodeContext;
import io.sluice.applier.render.RenderOptions;
import io.sluice.applier.render.RuleRenderer;
import io.sluice.applier.render.RuleSet;
import io.sluice.applier.support.RecordingBackend;
import io.sluice.applier.sync.FakeTime;
import io.sluice.schema.model.ChangeEvent;
import io.sluice.schema.model.Endpoint;
import io.sluice.schema.model.EndpointPort;
import io.sluice.schema.model.EndpointSlice;
import io.sluice.schema.model.AddressType;
import io.sluice.schema.model.ObjectKey;
import io.sluice.schema.model.Protocol;
import io.sluice.schema.model.Resource;
import io.sluice.schema.model.Service;
import io.sluice.schema.model.ServicePort;
import io.sluice.store.image.ClusterImage;
import io.sluice.store.image.ImageDelta;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * The sync side on a manual clock with an in-memory backend: which kind of sync runs when, what it
 * is told, drift found and repaired, and the metrics. Nothing real: RuleSyncerIT does it on a kernel.
 */
class RuleSyncerTest {
    private static final Duration MIN = Duration.ofMillis(100);
    private static final ObjectKey WEB = ObjectKey.service("ns1", "web");
    private static final ObjectKey API = ObjectKey.service("ns1", "api");

    /** Lines per Service and endpoint: depends on the content only, not on the seq. */
    static final class ContentRenderer implements RuleRenderer {
        @Override
        public RuleSet render(ClusterImage image, NodeContext node, RenderOptions options) {
            StringBuilder sb = new StringBuilder("# node " + node.nodeName() + " " + node.nodeIPs() + "\n");
            image.services().forEach(s -> {
                sb.append(s.key()).append(' ').append(s.clusterIPs()).append('\n');
                image.slicesFor(s.key()).forEach(sl -> sl.endpoints().forEach(e ->
                        sb.append("  ep ").append(e.addresses()).append('\n')));
            });
            return new RuleSet("listing", sb.toString(), Set.of(), image.services().size(), 0);
        }
    }

    /** Runs tasks when told to (or at once when {@code immediate}). */
    static final class ManualWorker implements RuleSyncer.Worker {
        private final ArrayDeque<Runnable> queue = new ArrayDeque<>();
        boolean immediate = true;

        @Override
        public <T> CompletionStage<T> submit(Callable<T> task) {
            CompletableFuture<T> f = new CompletableFuture<>();
            Runnable r = () -> {
                try {
                    f.complete(task.call());
                } catch (Exception e) {
                    f.completeExceptionally(e);
                }
            };
            if (immediate) {
                r.run();
            } else {
                queue.add(r);
            }
            return f;
        }

        int queued() {
            return queue.size();
        }

        void runOne() {
            queue.poll().run();
        }
    }

    /** A wall clock that follows the fake nanosecond clock. */
    static Clock clockOf(FakeTime time) {
        return new Clock() {
            @Override
            public ZoneId getZone() {
                return ZoneOffset.UTC;
            }

            @Override
            public Clock withZone(ZoneId zone) {
                return this;
            }

            @Override
            public Instant instant() {
                return Instant.ofEpochSecond(1_800_000_000L).plusNanos(time.getAsLong());
            }
        };
    }

    /** One syncer under test with its fakes. */
    final class Harness {
        final FakeTime time = new FakeTime();
        final Clock clock = clockOf(time);
        final SimpleMeterRegistry registry = new SimpleMeterRegistry();
        final RecordingBackend backend = new RecordingBackend();
        final ManualWorker worker = new ManualWorker();
        final AtomicReference<ClusterImage> image = new AtomicReference<>(ClusterImage.empty());
        final AtomicReference<NodeContext> context = new AtomicReference<>(NodeContext.of("node1"));
        final List<AppliedSync> applied = new ArrayList<>();
        final HealthState health = new HealthState("node1", "c1", Duration.ofSeconds(60));
        final RuleSyncer syncer;
        long seq;

        Harness(ApplierConfig.Builder config) {
            ApplierConfig c = config.build();
            syncer = new RuleSyncer(c, new ContentRenderer(), backend, context::get, image::get,
                    new ApplierMetrics(registry, clock), health, new ApplierLog(RuleSyncerTest.class, "node1", "c1"), clock,
                    time, time, worker, applied::add);
        }

        Harness() {
            this(config());
        }

        /** Replays upserts (or deletes, for keys) into the image and tells the syncer, live. */
        void change(boolean live, Object... objects) {
            ClusterImage before = image.get();
            ImageDelta delta = before.delta();
            List<PollResult.Change> changes = new ArrayList<>();
            Instant now = clock.instant();
            for (Object o : objects) {
                ChangeEvent e = o instanceof Resource r ? ChangeEvent.upsert("c1", ++seq, r, now, "1")
                        : ChangeEvent.delete("c1", ++seq, (ObjectKey) o, now, "1");
                delta.replay(e);
                changes.add(new PollResult.Change(e.seq(), now, now, e.key()));
            }
            image.set(delta.apply());
            syncer.imageChanged(before, image.get(), changes, live);
        }

        List<SyncKind> kinds() {
            return backend.syncs().stream().map(RecordingBackend.Sync::kind).toList();
        }

        double counter(String name, String... tags) {
            Counter c = registry.find(name).tags(tags).counter();
            return c == null ? 0 : c.count();
        }

        double gauge(String name, String... tags) {
            Gauge g = registry.find(name).tags(tags).gauge();
            return g == null ? Double.NaN : g.value();
        }

        long timerCount(String name) {
            Timer t = registry.find(name).timer();
            return t == null ? 0 : t.count();
        }
    }

    static ApplierConfig.Builder config() {
        return ApplierConfig.builder("node1", "c1", "k:9092", Path.of("/nonexistent")).minSyncInterval(MIN)
                .maxSyncInterval(Duration.ofMinutes(10)).driftCanaryInterval(Duration.ofSeconds(1))
                .driftFullCheckInterval(Duration.ofSeconds(60));
    }

    static Service svc(String name, String ip) {
        return Service.builder("ns1", name).clusterIP(ip).ports(new ServicePort("http", Protocol.TCP, 80, "8080", 0, null))
                .build();
    }

    static EndpointSlice slice(String name, String service, String... ips) {
        return new EndpointSlice("ns1", name, service, AddressType.IPV4, List.of(new EndpointPort("http", Protocol.TCP, 8080, null)),
                java.util.Arrays.stream(ips).map(ip -> Endpoint.ready(ip, "node1")).toList());
    }

    // ---- kinds of sync ------------------------------------------------------------------------

    @Test
    void theFirstSyncIsFullAndLaterChangesArePartialNamingTheirServices() {
        Harness h = new Harness();
        h.syncer.start();
        h.change(false, svc("web", "10.96.0.10"));
        h.time.advanceMillis(1000);
        assertThat(h.backend.syncs()).as("no sync before the node is live or has a snapshot").isEmpty();

        h.syncer.requestFull("caught up with the log");
        assertThat(h.kinds()).containsExactly(SyncKind.FULL);
        assertThat(h.backend.syncs().get(0).changedServices()).isEmpty();

        h.time.advanceMillis(500);
        h.change(true, slice("web-1", "web", "10.244.1.2"));
        h.change(true, svc("api", "10.96.0.11"));
        assertThat(h.kinds()).as("two burst tokens refilled: both at once").containsExactly(SyncKind.FULL, SyncKind.PARTIAL,
                SyncKind.PARTIAL);
        assertThat(h.backend.syncs().get(1).changedServices()).containsExactly(WEB);
        assertThat(h.backend.syncs().get(2).changedServices()).containsExactly(API);
        assertThat(h.syncer.appliedSeq()).isEqualTo(3);
        assertThat(h.applied).extracting(AppliedSync::kind).containsExactly(SyncKind.FULL, SyncKind.PARTIAL, SyncKind.PARTIAL);
    }

    @Test
    void changesWithinTheMinimumIntervalFoldIntoOnePartialSyncAndUndoneChangesAreNotNamed() {
        Harness h = new Harness(config().syncBurst(1));
        h.syncer.start();
        h.image.set(ClusterImage.empty());
        h.syncer.requestFull("loaded the snapshot");
        h.change(true, svc("web", "10.96.0.10"));
        h.change(true, svc("api", "10.96.0.11"));
        h.change(true, svc("web", "10.96.0.12"));
        h.change(true, API); // api added and deleted again before the sync: a no-op
        assertThat(h.kinds()).hasSize(1);
        h.time.advanceMillis(100);
        assertThat(h.kinds()).containsExactly(SyncKind.FULL, SyncKind.PARTIAL);
        assertThat(h.backend.syncs().get(1).changedServices()).containsExactly(WEB);
        assertThat(h.counter("kubeproxy.sync.proxy.rules.service.changes")).isEqualTo(4);
    }

    @Test
    void aFailedSyncIsRetriedWithBackoffAsAFullSync() {
        Harness h = new Harness();
        h.syncer.start();
        h.syncer.requestFull("caught up with the log");
        h.time.advanceMillis(1000);
        h.backend.refuseNext(1);
        h.change(true, svc("web", "10.96.0.10"));
        assertThat(h.kinds()).containsExactly(SyncKind.FULL, SyncKind.PARTIAL);
        assertThat(h.syncer.appliedSeq()).isZero();
        h.time.advanceMillis(499);
        assertThat(h.kinds()).hasSize(2);
        h.time.advanceMillis(1);
        assertThat(h.kinds()).containsExactly(SyncKind.FULL, SyncKind.PARTIAL, SyncKind.FULL);
        assertThat(h.syncer.appliedSeq()).isEqualTo(1);
        assertThat(h.counter("kubeproxy.sync.proxy.rules.iptables.restore.failures")).isEqualTo(1);
        assertThat(h.counter("kubeproxy.sync.proxy.rules.iptables.partial.restore.failures")).isEqualTo(1);
    }

    @Test
    void theMaximumIntervalRunsAFullSyncAndSoDoesANewNodeContextOrANodeChange() {
        Harness h = new Harness();
        h.syncer.start();
        h.syncer.requestFull("caught up with the log");
        h.time.advance(Duration.ofMinutes(10));
        assertThat(h.kinds()).containsExactly(SyncKind.FULL, SyncKind.FULL);

        h.context.set(new NodeContext("node1", List.of("192.168.0.1"), null));
        h.change(true, svc("web", "10.96.0.10"));
        assertThat(h.kinds()).last().isEqualTo(SyncKind.FULL);
        h.time.advanceMillis(1000);
        h.change(true, new io.sluice.schema.model.Node("node2", List.of(), "zone-a", List.of()));
        assertThat(h.kinds()).last().isEqualTo(SyncKind.FULL);
        h.time.advanceMillis(1000);
        h.change(true, svc("api", "10.96.0.11"));
        assertThat(h.kinds()).last().isEqualTo(SyncKind.PARTIAL);
        assertThat(h.timerCount("kubeproxy.sync.full.proxy.rules.duration")).isEqualTo(4);
        assertThat(h.timerCount("kubeproxy.sync.partial.proxy.rules.duration")).isEqualTo(1);
        assertThat(h.timerCount("kubeproxy.sync.proxy.rules.duration")).isEqualTo(5);
    }

    // ---- drift ----------------------------------------------------------------------------------

    @Test
    void driftFoundByTheCanaryIsRepairedByAFullSyncAndCounted() {
        Harness h = new Harness();
        h.backend.readingBack(true);
        h.syncer.start();
        h.change(false, svc("web", "10.96.0.10"));
        h.syncer.requestFull("caught up with the log");
        h.time.advanceMillis(2000);
        assertThat(h.kinds()).containsExactly(SyncKind.FULL);
        assertThat(h.counter("sluice.applier.drift.checks", "kind", "canary", "result", "in_sync")).isGreaterThanOrEqualTo(2);

        h.backend.tamper("# someone flushed the chain\n");
        h.time.advanceMillis(1000);

        assertThat(h.kinds()).containsExactly(SyncKind.FULL, SyncKind.FULL);
        assertThat(h.backend.kernelText()).isEqualTo(h.backend.kernel().text());
        assertThat(h.counter("sluice.applier.drift.repairs", "kind", "canary")).isEqualTo(1);
        assertThat(h.counter("sluice.applier.drift.checks", "kind", "canary", "result", "drift")).isEqualTo(1);
        assertThat(h.health.healthz(h.clock.instant()).body()).contains("\"driftRepairs\":1");
        h.time.advanceMillis(5000);
        assertThat(h.kinds()).as("repaired: no more syncs").hasSize(2);
    }

    @Test
    void driftThatSurvivesItsRepairIsLeftAloneInsteadOfRepairedInALoop() {
        Harness h = new Harness();
        // "the kernel" prints one line in a form the comparison does not know, whatever is written
        h.backend.readingBack(true).printing(text -> text + "printed differently\n");
        h.syncer.start();
        h.syncer.requestFull("caught up with the log");
        h.time.advanceMillis(5_000);
        int syncs = h.kinds().size();
        h.time.advanceMillis(300_000);

        assertThat(h.kinds()).as("after one repair per kind of check, left alone").hasSize(syncs);
        assertThat(syncs).isLessThanOrEqualTo(3);
        assertThat(h.counter("sluice.applier.drift.repairs", "kind", "canary")).isEqualTo(1);
        assertThat(h.counter("sluice.applier.drift.repairs", "kind", "full")).isLessThanOrEqualTo(1);
        assertThat(h.backend.checks()).as("the checks go on").isGreaterThan(200);
    }

    @Test
    void aBackendThatCannotReadBackIsAskedOnce() {
        Harness h = new Harness();
        h.syncer.start();
        h.syncer.requestFull("caught up with the log");
        h.time.advanceMillis(120_000);
        assertThat(h.backend.checks()).isEqualTo(1);
    }

    @Test
    void checksWaitWhileASyncRunsAndNeverRunBeforeTheFirstApply() {
        Harness h = new Harness();
        h.backend.readingBack(true);
        h.worker.immediate = false;
        h.syncer.start();
        h.time.advanceMillis(3000);
        assertThat(h.worker.queued()).as("nothing applied: nothing to check").isZero();
        h.syncer.requestFull("caught up with the log");
        assertThat(h.worker.queued()).isEqualTo(1);
        h.time.advanceMillis(3000);
        assertThat(h.worker.queued()).as("no check queued behind a running sync").isEqualTo(1);
        h.worker.runOne();
        h.time.advanceMillis(0);
        assertThat(h.worker.queued()).as("after the apply: the check").isEqualTo(1);
        h.worker.runOne();
        assertThat(h.backend.checks()).isEqualTo(1);
    }

    @Test
    void aFullCheckWaitsForAQuietMomentButNoLongerThanOneIntervalWhileChangesKeepComing() {
        Harness h = new Harness(config().driftCanaryInterval(Duration.ZERO));
        h.backend.readingBack(true);
        h.syncer.start();
        h.syncer.requestFull("caught up with the log");
        h.time.advanceMillis(0);
        assertThat(h.backend.checks()).as("the full check after the full sync").isEqualTo(1);
        h.time.advanceMillis(50_000);

        churn(h, 69_000); // 50 s .. 119 s: due at 60 s, waits
        assertThat(h.backend.checks()).as("due at 60 s, changes every 200 ms").isEqualTo(1);
        churn(h, 2_000);  // .. 121 s: it has waited one interval and runs anyway
        assertThat(h.backend.checks()).isEqualTo(2);
        churn(h, 79_000); // .. 200 s: the next one, due at 180 s, waits
        assertThat(h.backend.checks()).isEqualTo(2);
        h.time.advance(RuleSyncer.FULL_CHECK_QUIET.plusMillis(100));
        assertThat(h.backend.checks()).as("runs once the changes stopped for a moment").isEqualTo(3);
    }

    /** A change of one Service's cluster IP every 200 ms for {@code millis}. */
    private static void churn(Harness h, long millis) {
        for (long t = 0; t < millis; t += 200) {
            h.change(true, svc("churned", "172.30.0." + (1 + (t / 200) % 200)));
            h.time.advanceMillis(200);
        }
    }

    // ---- metrics ----------------------------------------------------------------------------------

    @Test
    void lagPendingChangesAndTimestampsFollowTheSyncs() {
        Harness h = new Harness(config().syncBurst(1));
        h.syncer.start();
        h.syncer.requestFull("caught up with the log");
        Instant queuedAt = h.clock.instant();
        h.change(true, svc("web", "10.96.0.10"), slice("web-1", "web", "10.244.1.2"));
        assertThat(h.gauge("kubeproxy.sync.proxy.rules.service.changes.pending")).isEqualTo(1);
        assertThat(h.gauge("kubeproxy.sync.proxy.rules.endpoint.changes.pending")).isEqualTo(1);
        assertThat(h.gauge("kubeproxy.sync.proxy.rules.last.queued.timestamp.seconds"))
                .isEqualTo(queuedAt.toEpochMilli() / 1000.0);
        h.time.advanceMillis(60);
        assertThat(h.gauge("sluice.applier.lag.seconds")).isEqualTo(0.06);

        h.time.advanceMillis(40);
        assertThat(h.gauge("sluice.applier.lag.seconds")).isZero();
        assertThat(h.gauge("kubeproxy.sync.proxy.rules.service.changes.pending")).isZero();
        assertThat(h.gauge("kubeproxy.sync.proxy.rules.endpoint.changes.pending")).isZero();
        assertThat(h.gauge("sluice.applier.applied.seq")).isEqualTo(2);
        assertThat(h.counter("kubeproxy.sync.proxy.rules.endpoint.changes")).isEqualTo(1);
        assertThat(h.gauge("kubeproxy.sync.proxy.rules.last.timestamp.seconds"))
                .isEqualTo(h.clock.instant().toEpochMilli() / 1000.0);
        Timer programming = h.registry.find("kubeproxy.network.programming.duration").timer();
        assertThat(programming.count()).isEqualTo(2);
        assertThat(programming.max(java.util.concurrent.TimeUnit.MILLISECONDS)).isEqualTo(100);
    }

    @Test
    void changesReplayedBeforeTheNodeIsLiveCountAsLagButNotAsProgrammingLatency() {
        Harness h = new Harness();
        h.syncer.start();
        h.change(false, svc("web", "10.96.0.10"));
        h.time.advanceMillis(2000);
        assertThat(h.gauge("sluice.applier.lag.seconds")).isEqualTo(2.0);
        h.syncer.requestFull("caught up with the log");
        assertThat(h.gauge("sluice.applier.lag.seconds")).isZero();
        assertThat(h.registry.find("kubeproxy.network.programming.duration").timer().count()).isZero();
    }

    @Test
    void iptablesRuleCountsPerTable() {
        RuleSet rules = new RuleSet("iptables", "*filter\n:SLUICE-SERVICES - [0:0]\n-A SLUICE-SERVICES -j RETURN\nCOMMIT\n"
                + "*nat\n:A - [0:0]\n-A A -j RETURN\n-A A -j RETURN\nCOMMIT\n", Set.of(), 0, 0);
        assertThat(rules.rulesPerTable()).containsEntry("filter", 1).containsEntry("nat", 2);
    }
}
