package io.sluice.applier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.sluice.applier.backend.DriftCheck;
import io.sluice.applier.backend.Exec;
import io.sluice.applier.backend.IptablesRestoreBackend;
import io.sluice.applier.backend.Netns;
import io.sluice.applier.backend.RecordingExec;
import io.sluice.applier.backend.SyncKind;
import io.sluice.applier.consume.PollResult;
import io.sluice.applier.health.HealthState;
import io.sluice.applier.log.ApplierLog;
import io.sluice.applier.metrics.ApplierMetrics;
import io.sluice.applier.render.IptablesRenderer;
import io.sluice.applier.render.NodeContext;
import io.sluice.applier.render.RuleSet;
import io.sluice.applier.sync.BoundedFrequencyRunner;
import io.sluice.schema.model.AddressType;
import io.sluice.schema.model.ChangeEvent;
import io.sluice.schema.model.Endpoint;
import io.sluice.schema.model.EndpointPort;
import io.sluice.schema.model.EndpointSlice;
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
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The sync layer with the real renderer and the real IptablesRestoreBackend in a network namespace
 * this test creates, on real time: drift made by hand inside the namespace is found and repaired,
 * and a one-Service change reaches the kernel as that Service's chains only. Skips when not root.
 */
class RuleSyncerIT {
    private static final Duration CANARY = Duration.ofMillis(500);
    private static final Duration FULL_CHECK = Duration.ofSeconds(3);
    private static final Duration WAIT = Duration.ofSeconds(30);

    private Netns ns;
    private Netns fresh;
    private ScheduledExecutorService timers;
    private ExecutorService worker;
    private RuleSyncer syncer;
    private final RecordingExec exec = new RecordingExec(Exec.system());
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final AtomicReference<ClusterImage> image = new AtomicReference<>(ClusterImage.empty());
    private final List<Resource> objects = new ArrayList<>();
    private final HealthState health = new HealthState("node1", "it", Duration.ofSeconds(60));
    private IptablesRestoreBackend backend;
    private IptablesRestoreBackend observer;
    private long seq;

    @BeforeEach
    void setUp() throws Exception {
        ns = Netns.create("syncer", "iptables-restore", "iptables-save", "iptables");
    }

    /** Starts the syncer with these drift-check intervals, loads 10 Services and waits for the first sync. */
    private void start(Duration canary, Duration fullCheck) throws Exception {
        timers = Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, "it-timers"));
        worker = Executors.newSingleThreadExecutor(r -> new Thread(r, "it-sync-worker"));
        backend = new IptablesRestoreBackend(exec, ns.prefix(), "iptables-restore", Duration.ofSeconds(60));
        observer = new IptablesRestoreBackend(Exec.system(), ns.prefix(), "iptables-restore", Duration.ofSeconds(60));
        ApplierConfig config = ApplierConfig.builder("node1", "it", "k:9092", Path.of("/nonexistent"))
                .clusterCidr("10.244.0.0/16").minSyncInterval(Duration.ofMillis(10))
                .driftCanaryInterval(canary).driftFullCheckInterval(fullCheck).build();
        BoundedFrequencyRunner.Scheduler scheduler = (delay, task) -> {
            ScheduledFuture<?> f = timers.schedule(task, Math.max(0, delay.toNanos()), TimeUnit.NANOSECONDS);
            return () -> f.cancel(false);
        };
        RuleSyncer.Worker w = new RuleSyncer.Worker() {
            @Override
            public <T> CompletionStage<T> submit(Callable<T> task) {
                return CompletableFuture.supplyAsync(() -> {
                    try {
                        return task.call();
                    } catch (Exception e) {
                        throw new CompletionException(e);
                    }
                }, worker);
            }
        };
        syncer = new RuleSyncer(config, new IptablesRenderer(), backend, () -> NodeContext.of("node1"), image::get,
                new ApplierMetrics(registry), health, new ApplierLog(RuleSyncerIT.class, "node1", "it"), Clock.systemUTC(),
                System::nanoTime, scheduler, w, a -> { });
        for (int i = 0; i < 10; i++) {
            objects.add(service(i));
            objects.add(slice(i, "10.244." + i + ".1", "10.244." + i + ".2"));
        }
        publish(objects.toArray(Resource[]::new), false);
        syncer.start();
        syncer.requestFull("caught up with the log");
        await().atMost(WAIT).until(() -> syncer.appliedSeq() == seq);
    }

    @AfterEach
    void tearDown() throws Exception {
        if (syncer != null) {
            syncer.stop();
        }
        if (timers != null) {
            timers.shutdownNow();
            worker.shutdown();
            worker.awaitTermination(30, TimeUnit.SECONDS);
        }
        for (Netns n : new Netns[] {ns, fresh}) {
            if (n != null) {
                n.close();
            }
        }
    }

    @Test
    void aFlushedDispatchChainIsRepairedWithinTheCanaryIntervalAndCounted() throws Exception {
        start(CANARY, Duration.ZERO);
        RuleSet applied = syncer.kernelRules();
        assertThat(drift(applied)).isEmpty();

        long t0 = System.nanoTime();
        ns.run("iptables", "-w", "-t", "nat", "-F", "SLUICE-SERVICES");
        await().atMost(WAIT).pollInterval(Duration.ofMillis(20))
                .until(() -> counter("sluice_applier_drift_repairs_total{kind=\"canary\"}") == 1);
        long repairedMs = (System.nanoTime() - t0) / 1_000_000;

        assertThat(repairedMs).as("flush to repaired, in ms (canary every %s)", CANARY)
                .isLessThan(CANARY.toMillis() + 1_500);
        await().atMost(WAIT).until(() -> drift(syncer.kernelRules()).isEmpty());
        assertThat(syncer.kernelRules().text()).isEqualTo(applied.text());
        assertThat(health.healthz(Instant.now()).body()).contains("\"driftRepairs\":1");
        System.out.println("RuleSyncerIT: flushed SLUICE-SERVICES repaired " + repairedMs + " ms after the flush");
    }

    @Test
    void aDeletedEndpointChainIsFoundByTheFullCheckAndRepaired() throws Exception {
        start(CANARY, FULL_CHECK);
        RuleSet applied = syncer.kernelRules();
        String sep = applied.chains().stream().filter(c -> c.startsWith("nat/SLUICE-SEP-")).sorted().findFirst()
                .orElseThrow().substring("nat/".length());
        String svc = applied.lines().stream().filter(l -> l.startsWith("-A SLUICE-SVC-") && l.endsWith("-j " + sep))
                .map(l -> l.split(" ")[1]).findFirst().orElseThrow();

        // in one transaction, so the syncer cannot repair the Service chain between the flush and the delete
        ns.runWithInput("*nat\n-F " + svc + "\n-F " + sep + "\n-X " + sep + "\nCOMMIT\n", "iptables-restore", "--noflush", "-w");
        await().atMost(WAIT).until(() -> counter("sluice_applier_drift_repairs_total{kind=\"full\"}") == 1);

        await().atMost(WAIT).until(() -> drift(syncer.kernelRules()).isEmpty());
        assertThat(ns.run("iptables-save", "-t", "nat")).contains(":" + sep + " ");
    }

    @Test
    void aOneServiceChangeSendsOnlyThatServicesChainsAndTheKernelEqualsAFullLoad() throws Exception {
        start(Duration.ZERO, Duration.ZERO);
        exec.clear();
        publish(new Resource[] {slice(4, "10.244.4.1", "10.244.4.77")}, true);
        await().atMost(WAIT).until(() -> syncer.appliedSeq() == seq);

        List<String> inputs = exec.restoreInputs();
        assertThat(inputs).hasSize(1);
        String input = inputs.get(0);
        assertThat(input).doesNotContain("SLUICE-SERVICES").doesNotContain("*filter");
        assertThat(input.lines().filter(l -> l.startsWith("-A "))).isNotEmpty().allMatch(l -> l.contains("\"ns1/svc-4:http"));
        assertThat(exec.calls().stream().filter(c -> c.line().contains("iptables-save"))).as("a partial sync reads nothing back")
                .isEmpty();
        assertThat(counter("kubeproxy_sync_partial_proxy_rules_duration_seconds_count")).isEqualTo(1);
        assertThat(counter("kubeproxy_sync_proxy_rules_iptables_last{table=\"nat\"}")).isPositive();
        assertThat(counter("kubeproxy_sync_proxy_rules_iptables_total{table=\"nat\"}"))
                .isEqualTo(syncer.kernelRules().lines().stream().filter(l -> l.startsWith("-A ")).count()
                        - counter("kubeproxy_sync_proxy_rules_iptables_total{table=\"filter\"}"));

        fresh = Netns.create("syncer-fresh", "iptables-restore");
        IptablesRestoreBackend loader = new IptablesRestoreBackend(Exec.system(), fresh.prefix(), "iptables-restore",
                Duration.ofSeconds(60));
        loader.apply(syncer.kernelRules(), SyncKind.FULL, Set.of());
        assertThat(observer.readBack()).isEqualTo(loader.readBack());
    }

    // ---- helpers ----------------------------------------------------------------------------------

    /** Replays objects into the image and tells the syncer, as a committed poll would. */
    private void publish(Resource[] resources, boolean live) {
        ClusterImage before = image.get();
        ImageDelta delta = before.delta();
        List<PollResult.Change> changes = new ArrayList<>();
        Instant now = Instant.now();
        for (Resource r : resources) {
            ChangeEvent e = ChangeEvent.upsert("it", ++seq, r, now, Long.toString(seq));
            delta.replay(e);
            changes.add(new PollResult.Change(e.seq(), now, now, e.key()));
        }
        image.set(delta.apply());
        syncer.imageChanged(before, image.get(), changes, live);
    }

    private double counter(String series) {
        for (String line : registry.scrape().lines().toList()) {
            if (line.startsWith(series + " ")) {
                return Double.parseDouble(line.substring(series.length() + 1).strip());
            }
        }
        return 0;
    }

    private static Service service(int i) {
        return Service.builder("ns1", "svc-" + i).clusterIP("172.30.0." + (i + 1))
                .ports(new ServicePort("http", Protocol.TCP, 80, "8080", 0, null)).build();
    }

    private static EndpointSlice slice(int i, String... ips) {
        return new EndpointSlice("ns1", "svc-" + i + "-1", "svc-" + i, AddressType.IPV4,
                List.of(new EndpointPort("http", Protocol.TCP, 8080, null)),
                Arrays.stream(ips).map(ip -> Endpoint.ready(ip, "node1")).toList());
    }

    /** What the kernel differs in from {@code rules}, seen by a second backend (the syncer's is not shared across threads). */
    private List<String> drift(RuleSet rules) throws Exception {
        return observer.checkDrift(rules, DriftCheck.FULL).orElseThrow().differences();
    }
}
