package io.sluice.compose;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.MockWebServer;
import io.sluice.applier.AppliedSync;
import io.sluice.applier.ApplierConfig;
import io.sluice.applier.NodeApplier;
import io.sluice.applier.backend.ConntrackCleaner;
import io.sluice.applier.backend.DryRunBackend;
import io.sluice.applier.backend.IptablesRestoreBackend;
import io.sluice.applier.backend.RuleBackend;
import io.sluice.applier.render.IptablesRenderer;
import io.sluice.applier.render.NodeContext;
import io.sluice.testkit.kafka.EmbeddedKafka;
import io.sluice.testkit.netns.Lab;
import io.sluice.testkit.netns.Netns;
import io.sluice.testkit.netns.Pod;
import io.sluice.watcher.ClusterWatcher;
import io.sluice.watcher.WatcherConfig;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Everything {@code sluice up} runs in one process: an in-process KRaft broker, fabric8's mock
 * Kubernetes API in CRUD mode seeded from YAML, the watcher, and one node-applier per node. As
 * root, a lab of network namespaces (two nodes, server and client pods) with real iptables rules;
 * otherwise dry-run backends that write rule files.
 */
public final class EmbeddedStack implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedStack.class);
    static final String CLUSTER_CIDR = "10.244.0.0/16";
    static final int SERVER_PORT = 8080;
    /** Lab pods in creation order, so their addresses match examples/lab.yaml. */
    static final List<String[]> LAB_PODS = List.of(
            new String[] {"1", "server-a"}, new String[] {"1", "client-1"},
            new String[] {"2", "server-b"}, new String[] {"2", "client-2"});

    private final StackOptions options;
    private final List<AutoCloseable> closeables = new ArrayList<>();
    private final Map<String, NodeHandle> nodes = new LinkedHashMap<>();
    private final Map<String, Pod> pods = new HashMap<>();
    private EmbeddedKafka kafka;
    private KubernetesMockServer api;
    private KubernetesClient client;
    private ClusterWatcher watcher;
    private Vertx vertx;
    private Lab lab;
    private Instant seededAt;
    private boolean closed;

    /** One node's applier and every sync it reported. */
    public static final class NodeHandle {
        private final String name;
        private final List<AppliedSync> syncs = new CopyOnWriteArrayList<>();
        private volatile NodeApplier applier;
        private volatile String deploymentId;

        NodeHandle(String name) {
            this.name = name;
        }

        public String name() {
            return name;
        }

        public Optional<NodeApplier> applier() {
            return Optional.ofNullable(applier);
        }

        public boolean running() {
            return deploymentId != null;
        }

        /** When the first sync that covered {@code seq} reached the kernel. */
        public Optional<Instant> appliedAt(long seq) {
            return syncs.stream().filter(s -> s.seq() >= seq).map(AppliedSync::appliedAt).findFirst();
        }
    }

    private EmbeddedStack(StackOptions options) {
        this.options = options;
    }

    /** Starts everything and returns once every applier has programmed the seeded state. */
    public static EmbeddedStack start(StackOptions options) throws Exception {
        EmbeddedStack stack = new EmbeddedStack(options);
        try {
            stack.startAll();
            return stack;
        } catch (Exception | Error e) {
            stack.close();
            throw e;
        }
    }

    private void startAll() throws Exception {
        Files.createDirectories(options.stateDir());
        if (options.lab()) {
            Optional<String> why = Netns.unavailableReason();
            if (why.isPresent()) {
                throw new IllegalStateException("cannot build the lab: " + why.get());
            }
            buildLab();
        }
        kafka = EmbeddedKafka.start(options.stateDir().resolve("kafka"));
        closeables.add(kafka);
        kafka.createTopic(options.eventsTopic(), 1, Map.of("cleanup.policy", "compact"));
        kafka.createTopic("sluice.deadletter", 1, Map.of());
        LOG.info("cluster={} kafka up at {}", options.clusterId(), kafka.bootstrapServers());

        api = new KubernetesMockServer(new io.fabric8.mockwebserver.Context(), new MockWebServer(), new HashMap<>(),
                new KubernetesCrudDispatcher(), false);
        api.init(InetAddress.getLoopbackAddress(), 0);
        closeables.add(api::destroy);
        client = api.createClient();
        closeables.add(client);
        seed();

        watcher = new ClusterWatcher(client, WatcherConfig.of(options.clusterId(), kafka.bootstrapServers()).withTopic(options.eventsTopic()),
                new io.micrometer.core.instrument.simple.SimpleMeterRegistry());
        closeables.add(watcher);
        watcher.start();
        watcher.started().get(60, TimeUnit.SECONDS);
        LOG.info("cluster={} seq={} watcher synced", options.clusterId(), watcher.lastSeq());

        vertx = Vertx.vertx();
        closeables.add(() -> vertx.close().await(30, TimeUnit.SECONDS));
        for (String node : options.nodes()) {
            nodes.put(node, new NodeHandle(node));
            startApplier(node);
        }
        long target = watcher.lastSeq();
        for (NodeHandle n : nodes.values()) {
            awaitApplied(n.name(), target, Duration.ofSeconds(60));
        }
    }

    private void buildLab() throws IOException {
        lab = Lab.build("sluice-lab");
        closeables.add(lab);
        for (String[] p : LAB_PODS) {
            Pod pod = lab.addPod(Integer.parseInt(p[0]), p[1]);
            pods.put(p[1], pod);
            if (p[1].startsWith("server")) {
                lab.startServer(pod, SERVER_PORT);
            }
        }
        LOG.info("lab up: nodes {} pods {}", lab.nodeNamespaces(), pods.values());
    }

    private void seed() throws IOException {
        try (InputStream in = options.seedYaml() == null
                ? EmbeddedStack.class.getResourceAsStream("/examples/lab.yaml")
                : Files.newInputStream(options.seedYaml())) {
            if (in == null) {
                throw new IOException("the bundled examples/lab.yaml is missing from the classpath");
            }
            List<HasMetadata> items = client.load(in).items();
            for (HasMetadata item : items) {
                client.resource(item).create();
            }
            seededAt = Instant.now();
            LOG.info("cluster={} seeded the mock API with {} objects from {}", options.clusterId(), items.size(),
                    options.seedYaml() == null ? "examples/lab.yaml" : options.seedYaml());
        }
    }

    /** Starts (or restarts, on its existing snapshot) one node's applier. */
    public void startApplier(String node) throws Exception {
        NodeHandle h = handle(node);
        if (h.running()) {
            return;
        }
        int index = options.nodes().indexOf(node) + 1;
        Path stateDir = options.stateDir().resolve("nodes").resolve(node);
        ApplierConfig config = ApplierConfig.builder(node, options.clusterId(), kafka.bootstrapServers(), stateDir)
                .clusterCidr(CLUSTER_CIDR).metricsPort(0).healthPort(0)
                // Every applier of the stack shares one Vert.x, which would share a port bound twice on
                // 0.0.0.0: each node's healthCheckNodePort servers get their own loopback address.
                .healthCheckBindAddresses(List.of("127.0.1." + index)).build();
        List<String> prefix = options.lab() ? List.of("ip", "netns", "exec", lab.nodeNamespace(index)) : List.of();
        RuleBackend backend = options.lab()
                ? new IptablesRestoreBackend(prefix, "iptables-restore")
                : new DryRunBackend(stateDir.resolve("rules"));
        NodeContext ctx = new NodeContext(node, options.lab() ? List.of(lab.nodeIp(index)) : List.of(), null);
        NodeApplier applier = new NodeApplier(config, new IptablesRenderer(), backend, ctx,
                new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
        applier.onApplied(h.syncs::add);
        if (options.lab()) {
            applier.withConntrackCleaner(ConntrackCleaner.system(prefix));
        }
        h.deploymentId = vertx.deployVerticle(applier).await(60, TimeUnit.SECONDS);
        h.applier = applier;
        LOG.info("node={} cluster={} applier up ({}): health http://127.0.0.1:{}/healthz metrics http://127.0.0.1:{}/metrics",
                node, options.clusterId(), backend.describe(), applier.healthPort(), applier.metricsPort());
    }

    /** Stops one node's applier; its rules stay in the kernel, its snapshot on disk. */
    public void stopApplier(String node) throws Exception {
        NodeHandle h = handle(node);
        if (!h.running()) {
            return;
        }
        vertx.undeploy(h.deploymentId).await(60, TimeUnit.SECONDS);
        h.deploymentId = null;
        LOG.info("node={} cluster={} applier stopped at seq={}", node, options.clusterId(), h.applier.appliedSeq());
    }

    /** Waits until the node has applied {@code seq} to its kernel; returns when that happened. */
    public Instant awaitApplied(String node, long seq, Duration timeout) throws InterruptedException {
        NodeHandle h = handle(node);
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            Optional<Instant> at = h.appliedAt(seq);
            if (at.isPresent()) {
                return at.get();
            }
            TimeUnit.MILLISECONDS.sleep(5);
        }
        throw new IllegalStateException("node " + node + " did not apply seq " + seq + " within " + timeout
                + " (applied " + h.applier().map(NodeApplier::appliedSeq).orElse(-1L) + ")");
    }

    /** Waits until the watcher has emitted at least {@code seq}. */
    public long awaitEmitted(long seq, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (watcher.lastSeq() < seq) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the watcher did not emit seq " + seq + " within " + timeout + " (at " + watcher.lastSeq() + ")");
            }
            TimeUnit.MILLISECONDS.sleep(2);
        }
        return watcher.lastSeq();
    }

    public StackOptions options() {
        return options;
    }

    public KubernetesClient kubernetes() {
        return client;
    }

    public String apiUrl() {
        return client.getConfiguration().getMasterUrl();
    }

    public String bootstrapServers() {
        return kafka.bootstrapServers();
    }

    public ClusterWatcher watcher() {
        return watcher;
    }

    public NodeHandle node(String name) {
        return handle(name);
    }

    public List<NodeHandle> nodes() {
        return List.copyOf(nodes.values());
    }

    public Optional<Lab> lab() {
        return Optional.ofNullable(lab);
    }

    public Pod pod(String name) {
        Pod p = pods.get(name);
        if (p == null) {
            throw new IllegalArgumentException("no lab pod named '" + name + "' (have " + pods.keySet() + ")");
        }
        return p;
    }

    public Instant seededAt() {
        return seededAt;
    }

    /** Where the dry-run backend of a node writes its rules. */
    public Path dryRunRules(String node) {
        return options.stateDir().resolve("nodes").resolve(node).resolve("rules").resolve("rules.iptables");
    }

    private NodeHandle handle(String node) {
        NodeHandle h = nodes.get(node);
        if (h == null) {
            throw new IllegalArgumentException("no node named '" + node + "' (have " + nodes.keySet() + ")");
        }
        return h;
    }

    /** Stops everything in reverse order of start; the lab's namespaces and processes go last. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (NodeHandle h : nodes.values()) {
            try {
                if (h.running()) {
                    stopApplier(h.name());
                }
            } catch (Exception e) {
                LOG.warn("node={} stopping the applier failed: {}", h.name(), e.toString());
            }
        }
        for (int i = closeables.size() - 1; i >= 0; i--) {
            try {
                closeables.get(i).close();
            } catch (Exception e) {
                LOG.warn("closing {} failed: {}", closeables.get(i), e.toString());
            }
        }
        closeables.clear();
    }
}
