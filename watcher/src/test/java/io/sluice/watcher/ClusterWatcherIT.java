package io.sluice.watcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.sluice.schema.codec.EventCodec;
import io.sluice.schema.model.ChangeEvent;
import io.sluice.schema.model.Op;
import io.sluice.testkit.kafka.EmbeddedKafka;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A real informer stack (fabric8 mock API server in CRUD mode) feeding a real in-process Kafka broker. */
class ClusterWatcherIT {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final AtomicInteger CLUSTERS = new AtomicInteger();
    private static EmbeddedKafka kafka;

    private final EventCodec codec = new EventCodec();
    private final List<AutoCloseable> toClose = new ArrayList<>();
    private KubernetesMockServer server;
    private KubernetesClient client;
    private SimpleMeterRegistry registry;
    private WatcherConfig config;

    @BeforeAll
    static void startKafka() throws Exception {
        Path dir = Files.createTempDirectory("watcher-it-kafka");
        kafka = EmbeddedKafka.start(dir, true, Map.of());
    }

    @AfterAll
    static void stopKafka() {
        if (kafka != null) {
            kafka.close();
        }
    }

    @BeforeEach
    void startApiServer() {
        // CRUD mode: the mock keeps objects and serves list + watch, so real informers run against it.
        server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(), new KubernetesCrudDispatcher(), false);
        server.init();
        client = server.createClient();
        registry = new SimpleMeterRegistry();
        // One cluster (so one topic) per test: tests share the broker but not state.
        config = WatcherConfig.of("it-" + CLUSTERS.incrementAndGet(), kafka.bootstrapServers())
                .withKafkaTimeout(Duration.ofSeconds(20));
    }

    @AfterEach
    void stopAll() throws Exception {
        for (int i = toClose.size() - 1; i >= 0; i--) {
            toClose.get(i).close();
        }
        client.close();
        server.destroy();
    }

    private ClusterWatcher startWatcher() throws Exception {
        ClusterWatcher w = new ClusterWatcher(client, config, registry);
        toClose.add(w);
        w.start().get(WAIT.toSeconds(), TimeUnit.SECONDS);
        return w;
    }

    // ------------------------------------------------------------------ tests

    @Test
    void createUpdateDeleteOfEveryKindBecomeContiguousEventsAndNoOpsAreDropped() throws Exception {
        createService("default", "web", "10.96.0.10", 80);
        ClusterWatcher watcher = startWatcher();
        TopicReader log = reader();
        assertThat(log.awaitCount(1)).extracting(ChangeEvent::describe).containsExactly("seq=1 UPSERT Service/default/web");

        client.discovery().v1().endpointSlices().inNamespace("default").resource(slice("default", "web-1", "web", "10.0.0.1")).create();
        client.nodes().resource(node("node-a", "192.168.1.10")).create();
        client.services().inNamespace("default").withName("web")
                .edit(s -> new ServiceBuilder(s).editSpec().editFirstPort().withPort(8080).endPort().endSpec().build());
        // Wait, so that the next updates are not folded into these (the watcher coalesces a key's pending updates).
        log.awaitCount(4);
        // Changes nothing Sluice models: must not become events.
        client.services().inNamespace("default").withName("web")
                .edit(s -> new ServiceBuilder(s).editMetadata().addToLabels("team", "blue")
                        .addToAnnotations("example.com/owner", "me").endMetadata().build());
        client.nodes().withName("node-a").edit(n -> new NodeBuilder(n).editStatus().addNewCondition().withType("Ready")
                .withStatus("True").endCondition().endStatus().build());
        await().atMost(WAIT).until(() -> counter(WatcherMetrics.NOOP_UPDATES, "Service") == 1
                && counter(WatcherMetrics.NOOP_UPDATES, "Node") == 1);
        client.discovery().v1().endpointSlices().inNamespace("default").withName("web-1")
                .edit(es -> new EndpointSliceBuilder(es).editFirstEndpoint().editConditions().withReady(false).endConditions()
                        .endEndpoint().build());
        client.discovery().v1().endpointSlices().inNamespace("default").withName("web-1").delete();
        client.services().inNamespace("default").withName("web").delete();
        client.nodes().withName("node-a").delete();

        List<ChangeEvent> events = log.awaitCount(8);
        assertThat(events).extracting(ChangeEvent::describe).containsExactly(
                "seq=1 UPSERT Service/default/web",
                "seq=2 UPSERT EndpointSlice/default/web-1",
                "seq=3 UPSERT Node//node-a",
                "seq=4 UPSERT Service/default/web",
                "seq=5 UPSERT EndpointSlice/default/web-1",
                "seq=6 DELETE EndpointSlice/default/web-1",
                "seq=7 DELETE Service/default/web",
                "seq=8 DELETE Node//node-a");
        assertThat(events).allSatisfy(e -> assertThat(e.clusterId()).isEqualTo(config.clusterId()));
        io.sluice.schema.model.Service web = (io.sluice.schema.model.Service) events.get(0).object();
        assertThat(web.clusterIPs()).containsExactly("10.96.0.10");
        assertThat(web.ports().get(0).port()).isEqualTo(80);
        assertThat(((io.sluice.schema.model.Service) events.get(3).object()).ports().get(0).port()).isEqualTo(8080);
        io.sluice.schema.model.EndpointSlice es = (io.sluice.schema.model.EndpointSlice) events.get(1).object();
        assertThat(es.serviceName()).isEqualTo("web");
        assertThat(es.endpoints().get(0).ready()).isTrue();
        assertThat(events.get(1).triggerTime()).isEqualTo(java.time.Instant.parse("2026-01-02T03:04:05Z"));
        assertThat(((io.sluice.schema.model.EndpointSlice) events.get(4).object()).endpoints().get(0).ready()).isFalse();
        assertThat(((io.sluice.schema.model.Node) events.get(2).object()).addresses().get(0).address()).isEqualTo("192.168.1.10");
        assertThat(events.get(3).resourceVersion()).isNotEmpty();
        assertThat(log.records).allSatisfy(r -> {
            assertThat(new String(r.headers().lastHeader(KafkaEventLog.SEQ_HEADER).value(), StandardCharsets.US_ASCII))
                    .isEqualTo(Long.toString(codec.decode(r.value()).seq()));
            assertThat(r.key()).isEqualTo(codec.decode(r.value()).key().toString());
        });

        await().atMost(WAIT).until(() -> watcher.lastSeq() == 8);
        assertThat(counter(WatcherMetrics.NOOP_UPDATES, "Service")).isEqualTo(1);
        assertThat(counter(WatcherMetrics.NOOP_UPDATES, "Node")).isEqualTo(1);
        assertThat(registry.get(WatcherMetrics.EVENTS).tags("kind", "Service", "op", "UPSERT").counter().count()).isEqualTo(2);
        assertThat(registry.get(WatcherMetrics.EVENTS).tags("kind", "Node", "op", "DELETE").counter().count()).isEqualTo(1);
        assertTopicIsCompactedWithOnePartition();
    }

    @Test
    void invalidObjectsAreCountedNotEmittedAndTheNextValidChangeGetsTheNextSeq() throws Exception {
        ClusterWatcher watcher = startWatcher();
        TopicReader log = reader();
        createService("default", "good", "10.96.0.20", 80);
        log.awaitCount(1);

        createService("default", "bad-ip", "10.96.0.999", 80);
        await().atMost(WAIT).until(() -> counter(WatcherMetrics.INVALID_OBJECTS, "Service") == 1);
        client.services().inNamespace("default").withName("good")
                .edit(s -> new ServiceBuilder(s).editSpec().editFirstPort().withPort(70000).endPort().endSpec().build());
        await().atMost(WAIT).until(() -> counter(WatcherMetrics.INVALID_OBJECTS, "Service") == 2);
        createService("default", "next", "10.96.0.21", 443);
        // "good" was last emitted valid, so its deletion is an event; "bad-ip" was never emitted, so its deletion is not.
        client.services().inNamespace("default").withName("bad-ip").delete();
        client.services().inNamespace("default").withName("good").delete();

        assertThat(log.awaitCount(3)).extracting(ChangeEvent::describe).containsExactly(
                "seq=1 UPSERT Service/default/good",
                "seq=2 UPSERT Service/default/next",
                "seq=3 DELETE Service/default/good");
        await().atMost(WAIT).until(() -> watcher.lastSeq() == 3);
        assertThat(log.poll()).hasSize(3);
    }

    @Test
    void restartedWatcherContinuesTheSeqAndEmitsOnlyWhatChangedWhileItWasDown() throws Exception {
        createService("default", "a", "10.96.0.30", 80);
        createService("default", "b", "10.96.0.31", 80);
        client.nodes().resource(node("node-a", "192.168.1.10")).create();
        ClusterWatcher first = startWatcher();
        TopicReader log = reader();
        log.awaitCount(3);
        first.close();

        client.services().inNamespace("default").withName("a")
                .edit(s -> new ServiceBuilder(s).editSpec().editFirstPort().withPort(8080).endPort().endSpec().build());
        client.services().inNamespace("default").withName("b").delete();
        createService("default", "c", "10.96.0.32", 80);
        client.nodes().withName("node-a").edit(n -> new NodeBuilder(n).editMetadata().addToLabels("x", "y").endMetadata().build());

        ClusterWatcher second = startWatcher();
        assertThat(second.lastSeq()).isEqualTo(6);
        createService("default", "d", "10.96.0.33", 80);

        assertThat(log.awaitCount(7)).extracting(ChangeEvent::describe).containsExactly(
                "seq=1 UPSERT Service/default/a",
                "seq=2 UPSERT Service/default/b",
                "seq=3 UPSERT Node//node-a",
                "seq=4 UPSERT Service/default/a",
                "seq=5 DELETE Service/default/b",
                "seq=6 UPSERT Service/default/c",
                "seq=7 UPSERT Service/default/d");
        await().atMost(WAIT).until(() -> second.lastSeq() == 7);
    }

    @Test
    void aTopicWithMoreThanOnePartitionIsRefused() {
        kafka.createTopic(config.topic(), 3, Map.of());
        ClusterWatcher w = new ClusterWatcher(client, config, registry);
        toClose.add(w);

        await().atMost(WAIT).until(() -> w.start().isDone());
        assertThat(w.started()).failsWithin(Duration.ZERO).withThrowableOfType(ExecutionException.class)
                .havingCause().isInstanceOf(WatcherException.class).withMessageContaining("3 partitions");
    }

    // ---------------------------------------------------------------- helpers

    private void createService(String ns, String name, String clusterIP, int port) {
        Service s = new ServiceBuilder().withNewMetadata().withNamespace(ns).withName(name).endMetadata()
                .withNewSpec().withClusterIP(clusterIP).withClusterIPs(clusterIP)
                .addNewPort().withName("p").withProtocol("TCP").withPort(port).withTargetPort(new IntOrString(port)).endPort()
                .endSpec().build();
        client.services().inNamespace(ns).resource(s).create();
    }

    private static EndpointSlice slice(String ns, String name, String service, String ip) {
        return new EndpointSliceBuilder()
                .withNewMetadata().withNamespace(ns).withName(name).addToLabels(Normalizer.SERVICE_NAME_LABEL, service)
                    .addToAnnotations(Normalizer.TRIGGER_TIME_ANNOTATION, "2026-01-02T03:04:05Z").endMetadata()
                .withAddressType("IPv4")
                .addNewPort().withName("p").withProtocol("TCP").withPort(8080).endPort()
                .addNewEndpoint().withAddresses(ip).withNodeName("node-a")
                    .withNewConditions().withReady(true).endConditions().endEndpoint()
                .build();
    }

    private static Node node(String name, String ip) {
        return new NodeBuilder().withNewMetadata().withName(name).addToLabels(Normalizer.ZONE_LABEL, "z1").endMetadata()
                .withNewSpec().withPodCIDRs("10.244.1.0/24").endSpec()
                .withNewStatus().addNewAddress().withType("InternalIP").withAddress(ip).endAddress().endStatus()
                .build();
    }

    private double counter(String name, String kind) {
        return registry.get(name).tags("kind", kind).counter().count();
    }

    private void assertTopicIsCompactedWithOnePartition() throws ExecutionException, InterruptedException {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
            TopicDescription d = admin.describeTopics(Set.of(config.topic())).allTopicNames().get().get(config.topic());
            assertThat(d.partitions()).hasSize(1);
            ConfigResource res = new ConfigResource(ConfigResource.Type.TOPIC, config.topic());
            Config c = admin.describeConfigs(Set.of(res)).all().get().get(res);
            assertThat(c.get("cleanup.policy").value()).isEqualTo("compact");
        }
    }

    private TopicReader reader() {
        TopicReader r = new TopicReader(config.topic());
        toClose.add(r);
        return r;
    }

    /** Reads the events topic from the start with a plain consumer and decodes with the codec. */
    private final class TopicReader implements AutoCloseable {
        final List<ConsumerRecord<String, byte[]>> records = new ArrayList<>();
        private final KafkaConsumer<String, byte[]> consumer;

        TopicReader(String topic) {
            consumer = new KafkaConsumer<>(Map.of(
                    ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                    ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                    ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class,
                    ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class));
            TopicPartition tp = new TopicPartition(topic, 0);
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
        }

        List<ChangeEvent> poll() throws Exception {
            consumer.poll(Duration.ofMillis(100)).forEach(records::add);
            List<ChangeEvent> out = new ArrayList<>();
            for (ConsumerRecord<String, byte[]> r : records) {
                out.add(codec.decode(r.value()));
            }
            return out;
        }

        List<ChangeEvent> awaitCount(int n) throws Exception {
            await().atMost(WAIT).until(() -> poll().size() >= n);
            List<ChangeEvent> events = poll();
            assertThat(events).as("events on %s", config.topic()).hasSize(n);
            return events;
        }

        @Override
        public void close() {
            consumer.close();
        }
    }
}
