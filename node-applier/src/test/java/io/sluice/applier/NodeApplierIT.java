package io.sluice.applier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.Counter;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.sluice.applier.backend.SyncKind;
import io.sluice.applier.consume.RecordHeaders;
import io.sluice.applier.render.NodeContext;
import io.sluice.applier.support.CrashableApplier;
import io.sluice.applier.support.ListingRenderer;
import io.sluice.applier.support.RecordingBackend;
import io.sluice.schema.codec.BadEventException;
import io.sluice.schema.codec.EventCodec;
import io.sluice.schema.model.ChangeEvent;
import io.sluice.schema.model.ObjectKey;
import io.sluice.schema.model.Service;
import io.sluice.schema.model.ServicePort;
import io.sluice.store.Digests;
import io.sluice.store.Snapshot;
import io.sluice.store.SnapshotStore;
import io.sluice.store.image.ClusterImage;
import io.sluice.store.image.ImageDelta;
import io.sluice.testkit.kafka.EmbeddedKafka;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.LongStream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The applier runtime against a real (embedded) Kafka broker and a real RocksDB store, with an
 * in-memory backend and a listing renderer standing in for the kernel. One broker for the class;
 * every test has its own cluster id, topics and state directory.
 */
class NodeApplierIT {
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final AtomicInteger CLUSTERS = new AtomicInteger();

    @TempDir
    static Path brokerDir;
    static EmbeddedKafka kafka;

    @TempDir
    Path work;
    private Vertx vertx;
    private String cluster;
    private String topic;
    private String deadLetters;
    private KafkaProducer<byte[], byte[]> producer;
    private final EventCodec codec = new EventCodec();
    private final HttpClient http = HttpClient.newHttpClient();
    private final List<Node> nodes = new ArrayList<>();

    /** One applier under test with its fakes and registry. */
    record Node(NodeApplier applier, RecordingBackend backend, PrometheusMeterRegistry registry) {
        double counter(String name, String... tags) {
            Counter c = registry.find(name).tags(tags).counter();
            return c == null ? 0 : c.count();
        }

        long firstAppliedSeq() {
            return ListingRenderer.seqOf(backend.applied().get(0));
        }
    }

    @BeforeAll
    static void startBroker() {
        kafka = EmbeddedKafka.start(brokerDir);
    }

    @AfterAll
    static void stopBroker() {
        if (kafka != null) {
            kafka.close();
        }
    }

    @BeforeEach
    void setUp() {
        cluster = "it" + CLUSTERS.incrementAndGet();
        topic = "sluice." + cluster + ".events";
        deadLetters = "sluice." + cluster + ".deadletter";
        kafka.createTopic(topic, 1, Map.of());
        kafka.createTopic(deadLetters, 1, Map.of());
        producer = new KafkaProducer<>(Map.of("bootstrap.servers", kafka.bootstrapServers(), "acks", "all",
                "key.serializer", ByteArraySerializer.class, "value.serializer", ByteArraySerializer.class));
        vertx = Vertx.vertx();
    }

    @AfterEach
    void tearDown() throws Exception {
        for (Node n : nodes) {
            join(n.applier().close());
        }
        join(vertx.close());
        producer.close(Duration.ofSeconds(5));
    }

    @Test
    void appliesTheLogQuarantinesBadRecordsAndReportsHealthAndMetrics() throws Exception {
        produce(svc(1, "s1"), svc(2, "s2"), svc(3, "s3"));
        byte[] garbage = "not an avro single object".getBytes(StandardCharsets.UTF_8);
        produceRaw("Service/default/garbage", garbage);
        produce(service("bad").toBuilder().clusterIP("not-an-ip").build(), 4);
        produce(ChangeEvent.upsert("another-cluster", 5, service("s5"), Instant.now(), "rv5"));
        produce(svc(6, "s6"), svc(7, "s7"), svc(8, "s8"));

        // max.poll.records=2: catching up takes several polls, and none of them may sync.
        Node n = start("node-1", work.resolve("state"), Map.of("max.poll.records", "2"));
        await().atMost(WAIT).until(() -> n.applier().appliedSeq() == 8);

        assertThat(n.backend().applied()).as("no sync before the node caught up with the log end seen at start")
                .allSatisfy(r -> assertThat(ListingRenderer.seqOf(r)).isEqualTo(8));
        assertThat(ListingRenderer.servicesOf(n.backend().kernel())).containsExactly(
                "Service/default/s1", "Service/default/s2", "Service/default/s3",
                "Service/default/s6", "Service/default/s7", "Service/default/s8");
        assertThat(n.applier().image()).isEqualTo(freshReplay(Long.MAX_VALUE));

        List<ConsumerRecord<byte[], byte[]>> dead = readAll(deadLetters, 3);
        assertThat(dead).extracting(r -> header(r, RecordHeaders.DLQ_REASON))
                .containsExactly("undecodable", "invalid", "cluster_mismatch");
        assertThat(dead).extracting(r -> header(r, RecordHeaders.DLQ_SOURCE_OFFSET)).containsExactly("3", "4", "5");
        assertThat(dead).extracting(r -> header(r, RecordHeaders.DLQ_SOURCE_TOPIC)).containsOnly(topic);
        assertThat(dead).extracting(r -> header(r, RecordHeaders.DLQ_NODE)).containsOnly("node-1");
        assertThat(dead).extracting(r -> header(r, RecordHeaders.DLQ_SEQ)).containsExactly(null, "4", "5");
        assertThat(dead.get(0).value()).isEqualTo(garbage);
        for (String reason : List.of("undecodable", "invalid", "cluster_mismatch")) {
            assertThat(n.counter("sluice.applier.quarantined.events", "reason", reason)).as(reason).isEqualTo(1.0);
        }

        HttpResponse<String> healthz = get(n.applier().healthPort(), "/healthz");
        assertThat(healthz.statusCode()).isEqualTo(200);
        assertThat(healthz.body()).contains("\"node\":\"node-1\"", "\"cluster\":\"" + cluster + "\"", "\"appliedSeq\":8",
                "\"mode\":\"live\"", "\"lastSyncTime\":\"");
        assertThat(get(n.applier().healthPort(), "/readyz").statusCode()).isEqualTo(200);

        produce(svc(9, "s9"));
        await().atMost(WAIT).until(() -> n.applier().appliedSeq() == 9);
        String metrics = get(n.applier().metricsPort(), "/metrics").body();
        assertThat(metrics).contains(
                "kubeproxy_sync_proxy_rules_duration_seconds_bucket",
                "kubeproxy_sync_proxy_rules_last_timestamp_seconds",
                "kubeproxy_sync_proxy_rules_iptables_restore_failures_total",
                "kubeproxy_network_programming_duration_seconds_count 1",
                "sluice_applier_applied_seq 9",
                "sluice_applier_lag_events 0",
                "sluice_applier_quarantined_events_total{reason=\"invalid\"} 1");
    }

    @Test
    void aRestartedApplierResumesAtItsStoredOffsetAndReappliesNothing() throws Exception {
        Path state = work.resolve("state");
        produce(LongStream.rangeClosed(1, 5).mapToObj(i -> svc(i, "s" + i)).toArray(ChangeEvent[]::new));
        Node first = start("node-1", state, Map.of());
        await().atMost(WAIT).until(() -> first.applier().appliedSeq() == 5);
        Future<Void> closing = first.applier().close();
        join(closing);
        assertThat(first.applier().close()).as("close is idempotent").isSameAs(closing);
        assertThat(first.backend().closed()).isTrue();

        produce(LongStream.rangeClosed(6, 10).mapToObj(i -> svc(i, "s" + i)).toArray(ChangeEvent[]::new));
        produce(svc(4, "resent-with-an-old-seq"));
        Node second = start("node-1", state, Map.of());
        await().atMost(WAIT).until(() -> second.applier().appliedSeq() == 10);

        assertThat(second.firstAppliedSeq()).as("the snapshot is enforced before catching up").isEqualTo(5);
        assertThat(second.counter("sluice.applier.replayed.events", "outcome", "applied"))
                .as("only the events after the stored offset were read").isEqualTo(5.0);
        assertThat(second.counter("sluice.applier.replayed.events", "outcome", "already_applied"))
                .as("the re-sent old seq was skipped").isEqualTo(1.0);
        assertThat(second.applier().image()).isEqualTo(freshReplay(Long.MAX_VALUE));
        assertThat(second.applier().image().service("default", "resent-with-an-old-seq")).isEmpty();
    }

    @Test
    void afterKillMinus9TheStoreHoldsAConsistentPrefixAndTheRestartEqualsAFreshReplay() throws Exception {
        Path state = work.resolve("state");
        produce(LongStream.rangeClosed(1, 100).mapToObj(this::churn).toArray(ChangeEvent[]::new));
        AtomicLong childSeq = new AtomicLong(-1);
        Process child = startChild(state, childSeq, 150);
        try {
            await().atMost(WAIT).until(() -> childSeq.get() >= 100);
            produce(LongStream.rangeClosed(101, 400).mapToObj(this::churn).toArray(ChangeEvent[]::new));
            assertThat(child.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS)).as("child killed at seq >= 150").isTrue();
        } finally {
            child.destroyForcibly().waitFor();
        }
        assertThat(child.exitValue()).as("SIGKILL").isEqualTo(137);

        long stored;
        try (SnapshotStore store = SnapshotStore.open(state)) {
            Snapshot s = store.load();
            stored = s.appliedSeq();
            assertThat(stored).isBetween(150L, 400L);
            assertThat(s.image()).as("the snapshot is exactly the log's prefix up to its seq").isEqualTo(freshReplay(stored));
        }

        Node restarted = start("node-1", state, Map.of("max.poll.records", "7"));
        await().atMost(WAIT).until(() -> restarted.applier().appliedSeq() == 400);
        ClusterImage expected = freshReplay(Long.MAX_VALUE);
        assertThat(restarted.applier().image()).isEqualTo(expected);
        assertThat(Digests.stateDigest(restarted.applier().image())).isEqualTo(Digests.stateDigest(expected));
        assertThat(restarted.counter("sluice.applier.replayed.events", "outcome", "applied"))
                .as("nothing lost: every event after the stored seq was applied").isEqualTo(400.0 - stored);
        assertThat(restarted.counter("sluice.applier.replayed.events", "outcome", "already_applied"))
                .as("state and offset were committed together: nothing was read twice").isZero();
    }

    @Test
    void withKafkaDownItEnforcesItsSnapshotAndCatchesUpWhenTheBrokerReturns() throws Exception {
        Path state = work.resolve("state");
        produce(svc(1, "s1"), svc(2, "s2"), svc(3, "s3"));
        Node first = start("node-1", state, Map.of());
        await().atMost(WAIT).until(() -> first.applier().appliedSeq() == 3);
        join(first.applier().close());

        kafka.stop();
        try {
            Node second = start("node-1", state, Map.of("default.api.timeout.ms", "2000"));
            await().atMost(WAIT).until(() -> second.applier().appliedSeq() == 3);
            assertThat(second.applier().mode()).isEqualTo(Mode.SNAPSHOT);
            assertThat(ListingRenderer.servicesOf(second.backend().kernel())).hasSize(3);
            await().atMost(WAIT).untilAsserted(() -> {
                HttpResponse<String> ready = get(second.applier().healthPort(), "/readyz");
                assertThat(ready.statusCode()).isEqualTo(200);
                assertThat(ready.body()).contains("serving snapshot at seq 3");
            });
            HttpResponse<String> healthz = get(second.applier().healthPort(), "/healthz");
            assertThat(healthz.statusCode()).isEqualTo(200);
            assertThat(healthz.body()).contains("\"mode\":\"snapshot\"", "\"appliedSeq\":3");

            kafka.restart();
            produce(svc(4, "s4"), svc(5, "s5"));
            await().atMost(WAIT).until(() -> second.applier().appliedSeq() == 5);
            assertThat(second.applier().mode()).isEqualTo(Mode.LIVE);
            assertThat(get(second.applier().healthPort(), "/readyz").body()).contains("caught up");
            assertThat(second.applier().image()).isEqualTo(freshReplay(Long.MAX_VALUE));
        } finally {
            if (!kafka.isRunning()) {
                kafka.restart();
            }
        }
    }

    @Test
    void aPositionBelowTheLogStartRebuildsFromTheLogWhileTheSnapshotStaysEnforced() throws Exception {
        Path state = work.resolve("state");
        produce(svc(1, "s1"), svc(2, "s2"), svc(3, "s3"));
        Node first = start("node-1", state, Map.of());
        await().atMost(WAIT).until(() -> first.applier().appliedSeq() == 3);
        join(first.applier().close());

        produce(svc(4, "s4"), svc(5, "s5"), svc(6, "s6"));
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
            admin.deleteRecords(Map.of(new TopicPartition(topic, 0), RecordsToDelete.beforeOffset(4))).all()
                    .get(30, TimeUnit.SECONDS);
        }
        Node second = start("node-1", state, Map.of());
        await().atMost(WAIT).until(() -> second.applier().appliedSeq() == 6);

        assertThat(second.firstAppliedSeq()).isEqualTo(3);
        assertThat(second.applier().image().services()).extracting(Service::name).containsExactly("s5", "s6");
        assertThat(second.applier().image()).isEqualTo(freshReplay(Long.MAX_VALUE));
    }

    @Test
    void aRefusedApplyKeepsTheOldRulesIsCountedAndRetried() throws Exception {
        produce(svc(1, "s1"), svc(2, "s2"));
        Node n = start("node-1", work.resolve("state"), Map.of());
        await().atMost(WAIT).until(() -> n.applier().appliedSeq() == 2);

        n.backend().refuseNext(2);
        produce(svc(3, "s3"));
        await().atMost(WAIT).until(() -> n.backend().refused() >= 1);
        assertThat(n.applier().appliedSeq()).isEqualTo(2);
        assertThat(ListingRenderer.seqOf(n.backend().kernel())).as("old rules kept").isEqualTo(2);

        await().atMost(WAIT).until(() -> n.applier().appliedSeq() == 3);
        assertThat(n.backend().refused()).isEqualTo(2);
        assertThat(n.counter("kubeproxy.sync.proxy.rules.iptables.restore.failures")).isEqualTo(2.0);
        assertThat(n.backend().applied()).extracting(ListingRenderer::seqOf).containsExactly(2L, 3L);
    }

    @Test
    void aTombstoneDeletesItsKeyAndOneWithoutSeqIsQuarantined() throws Exception {
        produce(svc(1, "s1"), svc(2, "s2"));
        producer.send(tombstone("Service/default/s1", "3")).get(30, TimeUnit.SECONDS);
        producer.send(tombstone("Service/default/s2", null)).get(30, TimeUnit.SECONDS);
        produce(svc(4, "s4"));
        Node n = start("node-1", work.resolve("state"), Map.of());
        await().atMost(WAIT).until(() -> n.applier().appliedSeq() == 4);

        assertThat(n.applier().image().services()).extracting(Service::name).containsExactly("s2", "s4");
        assertThat(n.counter("sluice.applier.quarantined.events", "reason", "undecodable")).isEqualTo(1.0);
    }

    @Test
    void aSecondApplierOnTheSameStateDirOrOneOfAnotherClusterRefusesToStart() throws Exception {
        Path state = work.resolve("state");
        produce(svc(1, "s1"));
        Node first = start("node-1", state, Map.of());
        await().atMost(WAIT).until(() -> first.applier().appliedSeq() == 1);

        assertThatThrownBy(() -> start("node-2", state, Map.of())).hasMessageContaining("locked");
        join(first.applier().close());

        String ours = cluster;
        cluster = "another-cluster";
        try {
            assertThatThrownBy(() -> start("node-1", state, Map.of()))
                    .hasMessageContaining("holds cluster '" + ours + "' but this node follows cluster 'another-cluster'");
        } finally {
            cluster = ours;
        }
    }

    @Test
    void changesSyncPartiallyDriftIsRepairedThroughTheVerticleAndEveryMetricIsScraped() throws Exception {
        produce(svc(1, "s1"), svc(2, "s2"));
        RecordingBackend backend = new RecordingBackend().readingBack(true);
        Node n = start("node-1", work.resolve("state"), Map.of(),
                b -> b.driftCanaryInterval(Duration.ofMillis(100)).driftFullCheckInterval(Duration.ofSeconds(2)), backend);
        await().atMost(WAIT).until(() -> n.applier().appliedSeq() == 2);
        assertThat(backend.syncs()).extracting(RecordingBackend.Sync::kind).containsOnly(SyncKind.FULL);

        produce(svc(3, "s3"));
        await().atMost(WAIT).until(() -> n.applier().appliedSeq() == 3);
        RecordingBackend.Sync last = backend.syncs().get(backend.syncs().size() - 1);
        assertThat(last.kind()).isEqualTo(SyncKind.PARTIAL);
        assertThat(last.changedServices()).containsExactly(ObjectKey.service("default", "s3"));

        long before = System.nanoTime();
        backend.tamper("# seq=3 node=node-1\nsomeone flushed the rest\n");
        await().atMost(WAIT).until(() -> n.counter("sluice.applier.drift.repairs", "kind", "canary") == 1.0);
        long repairedMs = (System.nanoTime() - before) / 1_000_000;
        assertThat(backend.kernelText()).isEqualTo(backend.kernel().text());
        assertThat(backend.syncs().get(backend.syncs().size() - 1).kind()).isEqualTo(SyncKind.FULL);
        assertThat(repairedMs).as("found by a 100 ms canary and repaired, in ms").isLessThan(5_000);

        String metrics = get(n.applier().metricsPort(), "/metrics").body();
        assertThat(metrics).contains(
                "kubeproxy_sync_full_proxy_rules_duration_seconds_count",
                "kubeproxy_sync_partial_proxy_rules_duration_seconds_count 1",
                "kubeproxy_sync_proxy_rules_last_queued_timestamp_seconds",
                "kubeproxy_sync_proxy_rules_service_changes_pending 0",
                "kubeproxy_sync_proxy_rules_endpoint_changes_pending 0",
                "kubeproxy_sync_proxy_rules_service_changes_total 1",
                "kubeproxy_sync_proxy_rules_endpoint_changes_total 0",
                "kubeproxy_sync_proxy_rules_iptables_partial_restore_failures_total 0",
                "sluice_applier_lag_seconds 0",
                "sluice_applier_drift_repairs_total{kind=\"canary\"} 1",
                "sluice_applier_drift_checks_total{kind=\"canary\",result=\"in_sync\"}",
                "sluice_applier_drift_check_duration_seconds_count{kind=\"canary\"}");
        assertThat(get(n.applier().healthPort(), "/healthz").body()).contains("\"driftRepairs\":1");
    }

    // ---- helpers -----------------------------------------------------------------------------

    private Node start(String name, Path stateDir, Map<String, String> kafkaProperties) throws Exception {
        return start(name, stateDir, kafkaProperties, b -> b, new RecordingBackend());
    }

    private Node start(String name, Path stateDir, Map<String, String> kafkaProperties,
            java.util.function.UnaryOperator<ApplierConfig.Builder> tune, RecordingBackend backend) throws Exception {
        Map<String, String> props = new HashMap<>(Map.of("default.api.timeout.ms", "5000"));
        props.putAll(kafkaProperties);
        ApplierConfig config = tune.apply(ApplierConfig.builder(name, cluster, kafka.bootstrapServers(), stateDir)
                .deadLetterTopic(deadLetters).metricsPort(0).healthPort(0).minSyncInterval(Duration.ofMillis(20))
                .kafkaProperties(props)).build();
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        NodeApplier applier = new NodeApplier(config, new ListingRenderer(), backend, NodeContext.of(name), registry);
        Node node = new Node(applier, backend, registry);
        nodes.add(node);
        join(vertx.deployVerticle(applier));
        return node;
    }

    private Process startChild(Path state, AtomicLong lastSeq, long killAt) throws IOException {
        String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m",
                "-cp", classpath, CrashableApplier.class.getName(),
                kafka.bootstrapServers(), cluster, state.toString(), "node-1")
                .redirectErrorStream(true).start();
        Thread reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line = in.readLine(); line != null; line = in.readLine()) {
                    if (line.startsWith("APPLIED ")) {
                        long seq = Long.parseLong(line.substring(8).trim());
                        lastSeq.set(seq);
                        if (seq >= killAt) {
                            p.destroyForcibly();
                        }
                    } else {
                        System.out.println("[child] " + line);
                    }
                }
            } catch (IOException e) {
                // the child died; its output ends here
            }
        }, "child-applier-output");
        reader.setDaemon(true);
        reader.start();
        return p;
    }

    /** Seq i upserts or (every 7th) deletes one of 30 Services, so the log holds updates and deletes. */
    private ChangeEvent churn(long seq) {
        String name = "s" + (seq % 30);
        return seq % 7 == 0
                ? ChangeEvent.delete(cluster, seq, ObjectKey.service("default", name), Instant.now(), "rv" + seq)
                : svc(seq, name);
    }

    private ChangeEvent svc(long seq, String name) {
        return ChangeEvent.upsert(cluster, seq, service(name).toBuilder()
                .clusterIP("10.96." + (seq / 250) + "." + (seq % 250 + 1)).build(), Instant.now(), "rv" + seq);
    }

    private static Service service(String name) {
        return Service.builder("default", name).clusterIP("10.96.0.1").ports(ServicePort.tcp("http", 80, 8080)).build();
    }

    private void produce(ChangeEvent... events) throws Exception {
        for (ChangeEvent e : events) {
            produceRaw(e.key().toString(), codec.encode(e));
        }
    }

    private void produce(Service service, long seq) throws Exception {
        produce(ChangeEvent.upsert(cluster, seq, service, Instant.now(), "rv" + seq));
    }

    private void produceRaw(String key, byte[] value) throws Exception {
        producer.send(new ProducerRecord<>(topic, key.getBytes(StandardCharsets.UTF_8), value)).get(30, TimeUnit.SECONDS);
    }

    private ProducerRecord<byte[], byte[]> tombstone(String key, String seqHeader) {
        ProducerRecord<byte[], byte[]> r = new ProducerRecord<>(topic, key.getBytes(StandardCharsets.UTF_8), null);
        if (seqHeader != null) {
            r.headers().add(RecordHeaders.SEQ, seqHeader.getBytes(StandardCharsets.UTF_8));
        }
        return r;
    }

    private KafkaConsumer<byte[], byte[]> consumer() {
        return new KafkaConsumer<>(Map.of("bootstrap.servers", kafka.bootstrapServers(),
                "key.deserializer", ByteArrayDeserializer.class, "value.deserializer", ByteArrayDeserializer.class));
    }

    /** The image an independent reader gets from the whole topic, up to {@code maxSeq}. */
    private ClusterImage freshReplay(long maxSeq) {
        ImageDelta delta = ClusterImage.empty().delta();
        for (ConsumerRecord<byte[], byte[]> r : readToEnd(topic)) {
            try {
                ChangeEvent e = codec.decode(r.value());
                if (e.clusterId().equals(cluster) && e.seq() <= maxSeq) {
                    delta.replay(e);
                }
            } catch (BadEventException ignored) {
                // quarantined by the applier too
            }
        }
        return delta.apply();
    }

    private List<ConsumerRecord<byte[], byte[]>> readToEnd(String t) {
        TopicPartition tp = new TopicPartition(t, 0);
        List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> c = consumer()) {
            c.assign(List.of(tp));
            c.seekToBeginning(List.of(tp));
            long end = c.endOffsets(List.of(tp)).get(tp);
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (c.position(tp) < end && System.nanoTime() < deadline) {
                c.poll(Duration.ofMillis(200)).forEach(out::add);
            }
        }
        return out;
    }

    private List<ConsumerRecord<byte[], byte[]>> readAll(String t, int expected) {
        List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
        await().atMost(WAIT).until(() -> {
            out.clear();
            out.addAll(readToEnd(t));
            return out.size() >= expected;
        });
        return out;
    }

    private static String header(ConsumerRecord<byte[], byte[]> r, String name) {
        return RecordHeaders.text(r.headers(), name);
    }

    private HttpResponse<String> get(int port, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(10))
                .build(), HttpResponse.BodyHandlers.ofString());
    }

    private static <T> T join(Future<T> f) throws Exception {
        return f.toCompletionStage().toCompletableFuture().get(WAIT.toSeconds(), TimeUnit.SECONDS);
    }


}
