package io.sluice.checker;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.schema.codec.EventCodec;
import io.sluice.schema.model.ChangeEvent;
import io.sluice.schema.model.Endpoint;
import io.sluice.schema.model.EndpointPort;
import io.sluice.schema.model.EndpointSlice;
import io.sluice.schema.model.AddressType;
import io.sluice.schema.model.ObjectKey;
import io.sluice.schema.model.Service;
import io.sluice.schema.model.ServicePort;
import io.sluice.testkit.kafka.EmbeddedKafka;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Replays a real topic on a real broker and judges node reports against it. */
class ConsistencyCheckerIT {
    private static final String TOPIC = "sluice.audit.events";
    @TempDir
    static Path dir;
    static EmbeddedKafka kafka;
    static LogReplayer log;

    @BeforeAll
    static void produceALog() throws Exception {
        kafka = EmbeddedKafka.start(dir);
        kafka.createTopic(TOPIC, 1, Map.of("cleanup.policy", "compact"));
        EventCodec codec = new EventCodec();
        Service web = Service.builder("default", "web").clusterIP("10.96.0.10").ports(ServicePort.tcp("http", 80, 8080)).build();
        EndpointSlice slice = new EndpointSlice("default", "web-1", "web", AddressType.IPV4, List.of(EndpointPort.tcp("http", 8080)),
                List.of(Endpoint.ready("10.244.1.10", "node-1")));
        Instant t = Instant.parse("2026-01-01T00:00:00Z");
        List<ChangeEvent> events = List.of(
                ChangeEvent.upsert("audit", 1, web, t, "1"),
                ChangeEvent.upsert("audit", 2, slice, t, "2"),
                ChangeEvent.delete("audit", 3, ObjectKey.endpointSlice("default", "web-1"), t, "3"));
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer())) {
            producer.send(new ProducerRecord<>(TOPIC, "garbage", new byte[] {9, 9, 9})).get();
            for (ChangeEvent e : events) {
                producer.send(new ProducerRecord<>(TOPIC, e.key().toString(), codec.encode(e))).get();
            }
        }
        log = new LogReplayer(kafka.bootstrapServers(), TOPIC, Duration.ofSeconds(30));
    }

    @AfterAll
    static void stop() {
        kafka.close();
    }

    @Test
    void replayRebuildsTheStateAtAnySeqAndSkipsWhatAppliersQuarantine() {
        Replay atTwo = log.replayTo(2);
        Replay head = log.replayTo(Long.MAX_VALUE);
        assertThat(atTwo.seq()).isEqualTo(2);
        assertThat(atTwo.image().endpointSlices()).hasSize(1);
        assertThat(head.seq()).isEqualTo(3);
        assertThat(head.image().endpointSlices()).isEmpty();
        assertThat(head.quarantined()).isEqualTo(1);
        assertThat(atTwo.stateDigest()).isNotEqualTo(head.stateDigest());
    }

    @Test
    void nodesAreJudgedInSyncBehindOrDiverged() {
        String atTwo = log.replayTo(2).stateDigest();
        String head = log.replayTo(Long.MAX_VALUE).stateDigest();
        List<Finding> findings = ConsistencyChecker.over(log).check(List.of(
                new NodeReport("node-1", 3, head),
                new NodeReport("node-2", 2, atTwo),
                new NodeReport("node-3", 3, atTwo)));
        assertThat(findings).extracting(Finding::status).containsExactly(
                Finding.Status.IN_SYNC, Finding.Status.BEHIND, Finding.Status.DIVERGED);
        assertThat(findings.get(1).detail()).contains("applied seq 2 of 3 (1 behind)");
        assertThat(findings.get(2).detail()).contains("at seq 3 the node holds state");
    }
}
