package io.sluice.applier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.sluice.applier.backend.ConntrackCleaner;
import io.sluice.applier.render.ConntrackDeletion;
import io.sluice.applier.render.IptablesRenderer;
import io.sluice.applier.render.NodeContext;
import io.sluice.applier.support.RecordingBackend;
import io.sluice.schema.codec.EventCodec;
import io.sluice.schema.model.AddressType;
import io.sluice.schema.model.ChangeEvent;
import io.sluice.schema.model.Endpoint;
import io.sluice.schema.model.EndpointPort;
import io.sluice.schema.model.EndpointSlice;
import io.sluice.schema.model.Node;
import io.sluice.schema.model.NodeAddress;
import io.sluice.schema.model.Protocol;
import io.sluice.schema.model.Service;
import io.sluice.schema.model.ServicePort;
import io.sluice.schema.model.ServiceType;
import io.sluice.schema.model.TrafficPolicy;
import io.sluice.testkit.kafka.EmbeddedKafka;
import io.vertx.core.Vertx;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The side effects that follow a successful apply, through the real verticle: the Service's
 * healthCheckNodePort server answers 200 while this node has a local endpoint and 503 once it has
 * none, stale UDP conntrack entries of the endpoint that went away are deleted, and the node's
 * addresses come from its Node object when the configuration gives none.
 */
class AfterApplyIT {
    private static final String CLUSTER = "after";
    private static final String TOPIC = "sluice." + CLUSTER + ".events";
    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    static Path dir;
    static EmbeddedKafka kafka;

    private final EventCodec codec = new EventCodec();
    private final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    static void startBroker() {
        kafka = EmbeddedKafka.start(dir.resolve("kafka"));
        kafka.createTopic(TOPIC, 1, Map.of());
    }

    @AfterAll
    static void stopBroker() {
        kafka.close();
    }

    @Test
    void healthCheckServerAndConntrackCleanupFollowEachApply() throws Exception {
        int hcPort = freePort();
        Node node = new Node("node-1", List.of(NodeAddress.internalIP("10.255.0.1")), "zone-a", List.of());
        Service lb = Service.builder("default", "dns").type(ServiceType.LOAD_BALANCER).clusterIP("10.96.0.53")
                .ports(new ServicePort("dns", Protocol.UDP, 53, "5353", 30053, null))
                .loadBalancerIngressIPs(List.of("198.51.100.53"))
                .externalTrafficPolicy(TrafficPolicy.LOCAL).healthCheckNodePort(hcPort).build();
        produce(ChangeEvent.upsert(CLUSTER, 1, node, Instant.now(), "1"), ChangeEvent.upsert(CLUSTER, 2, lb, Instant.now(), "2"),
                ChangeEvent.upsert(CLUSTER, 3, slice(Endpoint.ready("10.244.1.10", "node-1")), Instant.now(), "3"));

        List<ConntrackDeletion> deleted = new CopyOnWriteArrayList<>();
        ConntrackCleaner recording = deleted::addAll;
        RecordingBackend backend = new RecordingBackend();
        ApplierConfig config = ApplierConfig.builder("node-1", CLUSTER, kafka.bootstrapServers(), dir.resolve("state"))
                .metricsPort(0).healthPort(0).minSyncInterval(Duration.ofMillis(20)).clusterCidr("10.244.0.0/16")
                .nodePortAddresses(List.of("primary")).healthCheckBindAddresses(List.of("127.0.0.1")).build();
        NodeApplier applier = new NodeApplier(config, new IptablesRenderer(), backend, NodeContext.of("node-1"),
                new PrometheusMeterRegistry(PrometheusConfig.DEFAULT)).withConntrackCleaner(recording);
        Vertx vertx = Vertx.vertx();
        try {
            vertx.deployVerticle(applier).await(60, TimeUnit.SECONDS);
            await().atMost(WAIT).until(() -> applier.appliedSeq() >= 3);
            await().atMost(WAIT).untilAsserted(() -> {
                HttpResponse<String> r = get(hcPort);
                assertThat(r.statusCode()).isEqualTo(200);
                assertThat(r.body()).contains("\"localEndpoints\": 1").contains("\"name\": \"dns\"");
            });
            // nodePortAddresses "primary" needs the node's IP: it came from the Node object in the log.
            assertThat(backend.applied().get(backend.applied().size() - 1).text()).contains("-d 10.255.0.1/32");

            produce(ChangeEvent.upsert(CLUSTER, 4, slice(Endpoint.ready("10.244.2.10", "node-2")), Instant.now(), "4"));
            await().atMost(WAIT).until(() -> applier.appliedSeq() >= 4);
            await().atMost(WAIT).untilAsserted(() -> {
                HttpResponse<String> r = get(hcPort);
                assertThat(r.statusCode()).isEqualTo(503);
                assertThat(r.body()).contains("\"localEndpoints\": 0");
            });
            assertThat(deleted).anySatisfy(d -> {
                assertThat(d.protocol()).isEqualTo(Protocol.UDP);
                assertThat(String.join(" ", d.conntrackArgs())).contains("10.244.1.10");
            });
        } finally {
            applier.close().await(30, TimeUnit.SECONDS);
            vertx.close().await(30, TimeUnit.SECONDS);
        }
        assertThat(canConnect(hcPort)).as("the health-check port closes with the applier").isFalse();
    }

    private static EndpointSlice slice(Endpoint endpoint) {
        return new EndpointSlice("default", "dns-1", "dns", AddressType.IPV4,
                List.of(new EndpointPort("dns", Protocol.UDP, 5353, null)), List.of(endpoint));
    }

    private void produce(ChangeEvent... events) throws Exception {
        try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(Map.of("bootstrap.servers", kafka.bootstrapServers(),
                "key.serializer", ByteArraySerializer.class, "value.serializer", ByteArraySerializer.class))) {
            for (ChangeEvent e : events) {
                p.send(new ProducerRecord<>(TOPIC, e.key().toString().getBytes(StandardCharsets.UTF_8), codec.encode(e)))
                        .get(30, TimeUnit.SECONDS);
            }
        }
    }

    private HttpResponse<String> get(int port) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/")).timeout(Duration.ofSeconds(2)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static boolean canConnect(int port) {
        try (java.net.Socket s = new java.net.Socket("127.0.0.1", port)) {
            return true;
        } catch (java.io.IOException e) {
            return false;
        }
    }

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
