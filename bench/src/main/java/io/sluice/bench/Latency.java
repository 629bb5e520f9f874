package io.sluice.bench;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.MockWebServer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.sluice.applier.AppliedSync;
import io.sluice.applier.ApplierConfig;
import io.sluice.applier.NodeApplier;
import io.sluice.applier.backend.DryRunBackend;
import io.sluice.applier.backend.Exec;
import io.sluice.applier.backend.IptablesRestoreBackend;
import io.sluice.applier.backend.RuleBackend;
import io.sluice.applier.render.IptablesRenderer;
import io.sluice.applier.render.NodeContext;
import io.sluice.applier.render.RenderOptions;
import io.sluice.schema.codec.EventCodec;
import io.sluice.schema.model.ChangeEvent;
import io.sluice.schema.model.Endpoint;
import io.sluice.schema.model.EndpointSlice;
import io.sluice.schema.model.ObjectKey;
import io.sluice.store.image.ClusterImage;
import io.sluice.store.image.ImageDelta;
import io.sluice.watcher.ClusterWatcher;
import io.sluice.watcher.WatcherConfig;
import io.vertx.core.Vertx;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Benchmark 3: network-programming latency end to end. fabric8's mock API server (CRUD) → the
 * real watcher (informers) → embedded Kafka → real node-appliers, R of them with the iptables
 * backend each in its own network namespace, plus D dry-run appliers, all in this JVM. Each change
 * replaces one endpoint of one EndpointSlice by a fresh pod IP; its latency is from just before
 * the API call to the applier's report that the backend accepted a rule set covering the event
 * (the seq is found by reading the events topic for that IP). Phases: steady churn (rate/s for
 * T seconds), then a burst of B changes at once.
 */
public final class Latency {
    private static final String NODE_CIDR = SyntheticCluster.CLUSTER_CIDR;

    private final int services;
    private final int real;
    private final int dry;
    private final int rate;
    private final int churnSeconds;
    private final int burst;
    private final String mode;
    /** Applier settings to compare against the defaults; null: ApplierConfig's default. */
    private final Duration minSync;
    private final Integer syncBurst;
    private final Duration canary;
    private final SyntheticCluster cluster;
    private final List<List<String>> ips = new ArrayList<>();
    private final Map<String, Change> byIp = new ConcurrentHashMap<>();
    private final List<Change> changes = java.util.Collections.synchronizedList(new ArrayList<>());
    private final List<Node> nodes = new ArrayList<>();
    private final AtomicInteger spare = new AtomicInteger();
    private final AtomicInteger apiFailures = new AtomicInteger();
    private KubernetesClient client;

    /** One change made through the API; seq filled in when the watcher's event is read back. */
    static final class Change {
        final String phase;
        final Instant at;
        volatile long seq = -1;
        /** When the API call returned, and when the tracker read the watcher's event (null until then). */
        volatile Instant apiDone;
        volatile Instant logged;

        Change(String phase, Instant at) {
            this.phase = phase;
            this.at = at;
        }
    }

    /** One applier and every sync it reported, in order. */
    static final class Node {
        final String name;
        final boolean kernel;
        final List<AppliedSync> syncs = new ArrayList<>();
        NodeApplier applier;

        Node(String name, boolean kernel) {
            this.name = name;
            this.kernel = kernel;
        }

        synchronized void add(AppliedSync s) {
            syncs.add(s);
        }

        synchronized long appliedSeq() {
            return syncs.isEmpty() ? -1 : syncs.get(syncs.size() - 1).seq();
        }

        /** When the first sync covering {@code seq} returned, or null. */
        synchronized Instant appliedAt(long seq) {
            int lo = 0;
            int hi = syncs.size() - 1;
            Instant found = null;
            while (lo <= hi) {
                int mid = (lo + hi) >>> 1;
                if (syncs.get(mid).seq() >= seq) {
                    found = syncs.get(mid).appliedAt();
                    hi = mid - 1;
                } else {
                    lo = mid + 1;
                }
            }
            return found;
        }
    }

    Latency(Args a) {
        boolean quick = a.flag("quick");
        services = a.integer("services", 1000);
        real = a.integer("appliers", services >= 5000 ? 2 : 10);
        dry = a.integer("dry-run", quick ? 10 : 100);
        rate = a.integer("rate", 20);
        churnSeconds = a.integer("churn-seconds", quick ? 10 : 30);
        burst = a.integer("burst", quick ? 200 : 1000);
        mode = a.string("backend", "iptables");
        minSync = a.integer("min-sync-ms", -1) < 0 ? null : Duration.ofMillis(a.integer("min-sync-ms", -1));
        syncBurst = a.integer("sync-burst", -1) < 0 ? null : a.integer("sync-burst", -1);
        canary = a.integer("canary-ms", -1) < 0 ? null : Duration.ofMillis(a.integer("canary-ms", -1));
        cluster = new SyntheticCluster(services, 5, Math.max(1, real));
        for (int i = 0; i < services; i++) {
            List<String> l = new ArrayList<>();
            cluster.slice(i).endpoints().forEach(e -> l.add(e.addresses().get(0)));
            ips.add(l);
        }
    }

    public static String run(Args a) throws Exception {
        return new Latency(a).run();
    }

    String run() throws Exception {
        System.out.printf("latency: %d Services x 5 endpoints; %d appliers with %s in their own netns, %d dry-run "
                + "appliers; churn %d/s for %d s, then a burst of %d; applier settings: min sync %s, burst %s, canary %s "
                + "(null: default)%n", services, real, mode, dry, rate, churnSeconds, burst, minSync, syncBurst, canary);
        Path state = Files.createTempDirectory("sluice-bench-latency");
        List<AutoCloseable> closeables = new ArrayList<>();
        Vertx vertx = Vertx.vertx();
        try (BenchKafka kafka = new BenchKafka()) {
            KubernetesMockServer api = new KubernetesMockServer(new io.fabric8.mockwebserver.Context(), new MockWebServer(),
                    new HashMap<>(), new KubernetesCrudDispatcher(), false);
            api.init(InetAddress.getLoopbackAddress(), 0);
            closeables.add(api::destroy);
            client = api.createClient();
            closeables.add(client);
            long t0 = System.nanoTime();
            seed();
            System.out.printf("seeded the mock API with %d Services and slices in %.1f s%n", services, secondsSince(t0));
            ClusterWatcher watcher = new ClusterWatcher(client, WatcherConfig.of(SyntheticCluster.CLUSTER, kafka.bootstrap())
                    .withTopic(kafka.topic), new SimpleMeterRegistry());
            closeables.add(watcher);
            t0 = System.nanoTime();
            watcher.start().get(10, TimeUnit.MINUTES);
            long initialSeq = watcher.lastSeq();
            System.out.printf("watcher synced, %d events on the log, in %.1f s%n", initialSeq, secondsSince(t0));
            t0 = System.nanoTime();
            startAppliers(vertx, kafka, state);
            awaitAll(initialSeq, Duration.ofMinutes(10), "initial load");
            System.out.printf("every applier programmed the initial %d events in %.1f s%n", initialSeq, secondsSince(t0));
            double oneChangeMs = services >= 5000 ? kernelOneChange() : Double.NaN;
            Tracker tracker = new Tracker(kafka);
            closeables.add(tracker);
            Instant measured = Instant.now();
            churn();
            awaitChanges("steady");
            burst();
            awaitChanges("burst");
            tracker.close();
            printSyncs(measured);
            return report(oneChangeMs);
        } finally {
            for (Node n : nodes) {
                if (n.applier != null) {
                    try {
                        n.applier.close().await(60, TimeUnit.SECONDS);
                    } catch (Exception e) {
                        System.err.println("bench: closing applier " + n.name + ": " + e);
                    }
                }
            }
            vertx.close().await(60, TimeUnit.SECONDS);
            for (int i = closeables.size() - 1; i >= 0; i--) {
                try {
                    closeables.get(i).close();
                } catch (Exception e) {
                    System.err.println("bench: closing " + closeables.get(i) + ": " + e);
                }
            }
            for (int k = 1; k <= real; k++) {
                Netns.delete(Netns.PREFIX + "lat-" + k);
            }
            OneChange.deleteTree(state);
        }
    }

    // ---- setup -------------------------------------------------------------------------------

    private void seed() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int i = 0; i < services; i++) {
                int svc = i;
                done.add(pool.submit(() -> {
                    client.resource(k8sService(svc)).create();
                    client.resource(k8sSlice(svc, ips.get(svc))).create();
                }));
            }
            for (Future<?> f : done) {
                f.get(5, TimeUnit.MINUTES);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    private void startAppliers(Vertx vertx, BenchKafka kafka, Path state) throws Exception {
        for (int k = 1; k <= real + dry; k++) {
            boolean kernel = k <= real;
            String name = kernel ? "node-" + k : "dry-" + (k - real);
            Path dir = state.resolve(name);
            RuleBackend backend;
            if (kernel) {
                String ns = Netns.create("lat-" + k);
                backend = mode.equals("nftables")
                        ? new io.sluice.applier.backend.NftablesBackend(Exec.system(), List.of("ip", "netns", "exec", ns), "nft",
                                Duration.ofMinutes(5))
                        : new IptablesRestoreBackend(Exec.system(), List.of("ip", "netns", "exec", ns), "iptables-restore",
                                Duration.ofMinutes(5));
            } else {
                backend = new DryRunBackend(dir.resolve("rules"));
            }
            ApplierConfig.Builder b = ApplierConfig.builder(kernel ? SyntheticCluster.nodeName(k - 1) : name,
                    SyntheticCluster.CLUSTER, kafka.bootstrap(), dir.resolve("state"))
                    .clusterCidr(NODE_CIDR).metricsPort(0).healthPort(0).minSyncInterval(minSync)
                    .driftCanaryInterval(canary);
            if (syncBurst != null) {
                b.syncBurst(syncBurst);
            }
            ApplierConfig config = b.build();
            Node node = new Node(name, kernel);
            NodeApplier applier = new NodeApplier(config, kernel && mode.equals("nftables")
                    ? new io.sluice.applier.render.NftablesRenderer() : new IptablesRenderer(), backend,
                    NodeContext.of(config.nodeName()), new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
            applier.onApplied(node::add);
            node.applier = applier;
            vertx.deployVerticle(applier).await(2, TimeUnit.MINUTES);
            nodes.add(node);
        }
    }

    private void awaitAll(long seq, Duration timeout, String what) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        for (Node n : nodes) {
            while (n.appliedSeq() < seq) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException(what + ": applier " + n.name + " reached seq " + n.appliedSeq() + " of "
                            + seq + " within " + timeout);
                }
                Thread.sleep(20);
            }
        }
    }

    /** The kernel tool's own one-change time at this size, measured now: the changed part alone into a loaded netns. */
    private double kernelOneChange() {
        OneChange.Flavour f = OneChange.Flavour.of(mode.equals("nftables") ? "nftables" : "iptables-nft");
        NodeContext node = NodeContext.of("node-1");
        RenderOptions opts = RenderOptions.defaults(NODE_CIDR);
        ClusterImage image = cluster.image();
        String ns = Netns.create("lat-ref");
        String[] tool = f.tool().toArray(String[]::new);
        try {
            String text = f.renderer().render(image, node, opts).text();
            // Loaded through the real backend, so the jumps from the built-in chains exist as on a
            // node: without them nf_tables has no base chain to validate from, and a change costs
            // several times less than on a real node.
            try (io.sluice.applier.backend.RuleBackend loader = f.backend(ns, Duration.ofMinutes(5))) {
                loader.apply(f.renderer().render(image, node, opts));
            } catch (io.sluice.applier.backend.ApplyException e) {
                throw new IllegalStateException(e.getMessage(), e);
            }
            Stats s = new Stats("kernel-only one change (" + String.join(" ", tool) + ", reference)");
            for (int i = 0; i < 6; i++) {
                int svc = (i * 7919) % services;
                EndpointSlice cur = (EndpointSlice) image.get(ObjectKey.endpointSlice(SyntheticCluster.namespace(svc),
                        SyntheticCluster.sliceName(svc))).orElseThrow();
                ImageDelta d = image.delta();
                d.replay(ChangeEvent.upsert(SyntheticCluster.CLUSTER, image.seq() + 1, cluster.rolled(cur), Instant.now(), "x"));
                image = d.apply();
                String after = f.renderer().render(image, node, opts).text();
                long took = Timed.run(Netns.in(ns, tool), f.input(text, after, false), Duration.ofMinutes(2));
                if (i > 0) {
                    s.add(took);
                }
                text = after;
            }
            System.out.println(s.summary());
            return s.medianMs();
        } finally {
            Netns.delete(ns);
        }
    }

    // ---- changes -----------------------------------------------------------------------------

    private void change(String phase, int svc) {
        String ip;
        List<String> next;
        synchronized (ips) {
            next = new ArrayList<>(ips.get(svc));
            next.remove(0);
            int n = spare.getAndIncrement();
            ip = "10.80." + ((n >> 8) & 255) + "." + (n & 255);
            next.add(ip);
            ips.set(svc, next);
        }
        Change c = new Change(phase, Instant.now());
        byIp.put(ip, c);
        changes.add(c);
        try {
            client.resource(k8sSlice(svc, next)).update();
            c.apiDone = Instant.now();
        } catch (RuntimeException e) {
            apiFailures.incrementAndGet();
            if (apiFailures.get() <= 3) {
                System.out.println("API update of " + SyntheticCluster.sliceName(svc) + " failed: " + e.getMessage());
            }
        }
    }

    private void churn() throws Exception {
        ScheduledExecutorService timer = Executors.newScheduledThreadPool(1);
        ExecutorService senders = Executors.newFixedThreadPool(4);
        AtomicInteger made = new AtomicInteger();
        int total = rate * churnSeconds;
        long periodMicros = 1_000_000L / rate;
        long t0 = System.nanoTime();
        // The timer only hands changes out, so a slow API call never lowers the offered rate.
        ScheduledFuture<?> f = timer.scheduleAtFixedRate(() -> {
            int i = made.getAndIncrement();
            if (i < total) {
                senders.submit(() -> change("steady", pick(i)));
            }
        }, 0, periodMicros, TimeUnit.MICROSECONDS);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(churnSeconds + 30);
        while (made.get() < total && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        f.cancel(false);
        timer.shutdown();
        senders.shutdown();
        senders.awaitTermination(60, TimeUnit.SECONDS);
        System.out.printf("steady churn: %d changes sent in %.1f s (%d/s offered)%n", Math.min(made.get(), total),
                secondsSince(t0), rate);
    }

    private void burst() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(4);
        long t0 = System.nanoTime();
        List<Future<?>> done = new ArrayList<>();
        for (int i = 0; i < burst; i++) {
            int k = 100_000 + i;
            done.add(pool.submit(() -> change("burst", pick(k))));
        }
        long deadline = t0 + TimeUnit.MINUTES.toNanos(3);
        int sent = 0;
        for (Future<?> f : done) {
            try {
                f.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                sent++;
            } catch (java.util.concurrent.TimeoutException e) {
                break; // bounded: changes not sent within 3 minutes are dropped below
            }
        }
        pool.shutdownNow();
        pool.awaitTermination(30, TimeUnit.SECONDS);
        System.out.printf("burst: %d of %d changes sent in %.2f s (bounded at 3 min)%n", sent, burst, secondsSince(t0));
    }

    private int pick(int i) {
        return (int) ((i * 2_654_435_761L) % services);
    }

    private void awaitChanges(String phase) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
        List<Change> mine;
        synchronized (changes) {
            mine = changes.stream().filter(c -> c.phase.equals(phase)).toList();
        }
        for (Change c : mine) {
            while (c.seq < 0 && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
        }
        long maxSeq = mine.stream().mapToLong(c -> c.seq).max().orElse(0);
        try {
            awaitAll(maxSeq, Duration.ofNanos(Math.max(1, deadline - System.nanoTime())), phase);
        } catch (IllegalStateException e) {
            System.out.println("not every applier caught up (bounded wait, 5 min): " + e.getMessage());
        }
    }

    // ---- results -----------------------------------------------------------------------------

    private String report(double oneChangeMs) {
        StringBuilder lastLine = new StringBuilder();
        double worstRealP99 = 0;
        for (String phase : List.of("steady", "burst")) {
            Stats realStats = new Stats(phase + ": " + real + " " + mode + " appliers");
            Stats dryStats = new Stats(phase + ": " + dry + " dry-run appliers");
            int lost = 0;
            for (Change c : changes) {
                if (!c.phase.equals(phase)) {
                    continue;
                }
                if (c.seq < 0) {
                    lost++;
                    continue;
                }
                for (Node n : nodes) {
                    Instant at = n.appliedAt(c.seq);
                    if (at == null) {
                        lost++;
                        continue;
                    }
                    (n.kernel ? realStats : dryStats).add(Math.max(0, Duration.between(c.at, at).toNanos()));
                }
            }
            System.out.println(realStats.summary());
            System.out.println(dryStats.summary());
            printPhases(phase);
            if (lost > 0) {
                System.out.println(phase + ": " + lost + " change/node pairs never observed applied (API failures "
                        + apiFailures.get() + ")");
            }
            worstRealP99 = Math.max(worstRealP99, realStats.percentileMs(99));
            lastLine.append(String.format(Locale.ROOT, "%s p50 %.0f ms p99 %.0f ms; ", phase, realStats.percentileMs(50),
                    realStats.percentileMs(99)));
        }
        String target;
        if (Double.isNaN(oneChangeMs)) {
            target = "p99 <= 150 ms";
        } else {
            target = String.format(Locale.ROOT, "p99 <= 2.5x the kernel tool's one change %.0f ms = %.0f ms", oneChangeMs,
                    2.5 * oneChangeMs);
            lastLine.append(String.format(Locale.ROOT, "worst p99 = %.1fx one change; ", worstRealP99 / oneChangeMs));
        }
        return String.format(Locale.ROOT, "latency: %s%d Services, %d %s + %d dry-run appliers (target %s)",
                lastLine, services, real, mode, dry, target);
    }

    /** How many syncs the appliers did while changes came, of which kind, and how long each took (render + apply). */
    private void printSyncs(Instant since) {
        for (boolean kernel : List.of(true, false)) {
            Stats took = new Stats((kernel ? mode : "dry-run") + " syncs (render + apply)");
            Map<io.sluice.applier.backend.SyncKind, Integer> kinds = new java.util.EnumMap<>(io.sluice.applier.backend.SyncKind.class);
            for (Node n : nodes) {
                if (n.kernel != kernel) {
                    continue;
                }
                synchronized (n) {
                    for (AppliedSync s : n.syncs) {
                        if (s.appliedAt().isAfter(since)) {
                            took.add(s.duration().toNanos());
                            kinds.merge(s.kind(), 1, Integer::sum);
                        }
                    }
                }
            }
            if (took.count() > 0) {
                System.out.println(took.summary() + " " + kinds);
            }
        }
    }

    /**
     * Where the time of a change went: the API call itself, then until the watcher's event was read
     * back from the log (tracker, a consumer like the appliers'), then from there to each applier's
     * report (consume, replay, wait for the sync, render, apply).
     */
    private void printPhases(String phase) {
        Stats api = new Stats(phase + ": API update call");
        Stats onLog = new Stats(phase + ": API call to event read from log");
        Stats realAfter = new Stats(phase + ": read from log to " + mode + " applied");
        Stats dryAfter = new Stats(phase + ": read from log to dry-run applied");
        for (Change c : changes) {
            if (!c.phase.equals(phase) || c.apiDone == null || c.logged == null || c.seq < 0) {
                continue;
            }
            api.add(Math.max(0, Duration.between(c.at, c.apiDone).toNanos()));
            onLog.add(Math.max(0, Duration.between(c.at, c.logged).toNanos()));
            for (Node n : nodes) {
                Instant at = n.appliedAt(c.seq);
                if (at != null) {
                    (n.kernel ? realAfter : dryAfter).add(Math.max(0, Duration.between(c.logged, at).toNanos()));
                }
            }
        }
        for (Stats s : List.of(api, onLog, realAfter, dryAfter)) {
            if (s.count() > 0) {
                System.out.println("  " + s.summary());
            }
        }
    }

    private static double secondsSince(long t0) {
        return (System.nanoTime() - t0) / 1e9;
    }

    // ---- Kubernetes objects ------------------------------------------------------------------

    private io.fabric8.kubernetes.api.model.Service k8sService(int i) {
        return new ServiceBuilder().withNewMetadata().withNamespace(SyntheticCluster.namespace(i))
                .withName(SyntheticCluster.serviceName(i)).endMetadata()
                .withNewSpec().withType("ClusterIP").withClusterIP(SyntheticCluster.vip(i))
                .withClusterIPs(SyntheticCluster.vip(i)).withIpFamilies("IPv4")
                .addNewPort().withName("http").withProtocol("TCP").withPort(SyntheticCluster.PORT)
                .withTargetPort(new IntOrString(SyntheticCluster.TARGET_PORT)).endPort()
                .endSpec().build();
    }

    private io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice k8sSlice(int i, List<String> addresses) {
        EndpointSliceBuilder b = new EndpointSliceBuilder().withNewMetadata().withNamespace(SyntheticCluster.namespace(i))
                .withName(SyntheticCluster.sliceName(i))
                .addToLabels("kubernetes.io/service-name", SyntheticCluster.serviceName(i)).endMetadata()
                .withAddressType("IPv4")
                .addNewPort().withName("http").withProtocol("TCP").withPort(SyntheticCluster.TARGET_PORT).endPort();
        for (int j = 0; j < addresses.size(); j++) {
            b.addToEndpoints(new EndpointBuilder().withAddresses(addresses.get(j))
                    .withNewConditions().withReady(true).withServing(true).withTerminating(false).endConditions()
                    .withNodeName(SyntheticCluster.nodeName((i + j) % Math.max(1, real))).build());
        }
        return b.build();
    }

    /** Reads the events topic from its end and matches each slice event to the change that made it. */
    private final class Tracker implements AutoCloseable {
        private final KafkaConsumer<byte[], byte[]> consumer;
        private final Thread thread;
        private volatile boolean running = true;

        Tracker(BenchKafka kafka) {
            Map<String, Object> p = new HashMap<>();
            p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrap());
            p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
            p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
            p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
            consumer = new KafkaConsumer<>(p);
            TopicPartition tp = new TopicPartition(kafka.topic, 0);
            consumer.assign(List.of(tp));
            consumer.seekToEnd(List.of(tp));
            consumer.position(tp);
            EventCodec codec = new EventCodec();
            thread = new Thread(() -> {
                while (running) {
                    for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(100))) {
                        if (r.value() == null) {
                            continue;
                        }
                        try {
                            ChangeEvent e = codec.decode(r.value());
                            if (e.object() instanceof EndpointSlice s) {
                                for (Endpoint ep : s.endpoints()) {
                                    Change c = byIp.remove(ep.addresses().get(0));
                                    if (c != null) {
                                        c.logged = Instant.now();
                                        c.seq = e.seq();
                                    }
                                }
                            }
                        } catch (Exception ex) {
                            System.err.println("bench: tracker cannot decode offset " + r.offset() + ": " + ex);
                        }
                    }
                }
            }, "latency-tracker");
            thread.setDaemon(true);
            thread.start();
        }

        @Override
        public void close() throws InterruptedException {
            running = false;
            thread.join(5000);
            consumer.close(Duration.ofSeconds(5));
        }
    }
}
