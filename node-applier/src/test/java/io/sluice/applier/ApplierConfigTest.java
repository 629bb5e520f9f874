package io.sluice.applier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ApplierConfigTest {
    private static final Path DIR = Path.of("/var/lib/sluice");

    @Test
    void defaultsAreKubeProxysAndNamedAfterTheCluster() {
        ApplierConfig c = ApplierConfig.of("node-1", "prod-eu", "kafka:9092", DIR);
        assertThat(c.eventsTopic()).isEqualTo("sluice.prod-eu.events");
        assertThat(c.deadLetterTopic()).isEqualTo("sluice.deadletter");
        assertThat(c.metricsPort()).isEqualTo(10249);
        assertThat(c.healthPort()).isEqualTo(10256);
        assertThat(c.minSyncInterval()).isEqualTo(Duration.ofMillis(100));
        assertThat(c.maxSyncInterval()).isEqualTo(Duration.ofHours(1));
        assertThat(c.syncBurst()).isEqualTo(2);
        assertThat(c.driftCanaryInterval()).isEqualTo(Duration.ofSeconds(1));
        assertThat(c.driftFullCheckInterval()).isEqualTo(Duration.ofSeconds(60));
        assertThat(c.masqueradeBit()).isEqualTo(14);
        assertThat(c.clusterCidr()).isEmpty();
        assertThat(c.kafkaProperties()).isEmpty();
        assertThat(c.renderOptions().masqueradeMark()).isEqualTo("0x4000");
    }

    @Test
    void renderOptionsCarryFamilyMasqueradeAllAndNodePortAddresses() {
        ApplierConfig c = ApplierConfig.builder("n", "c", "kafka:9092", DIR).family(io.sluice.schema.model.IpFamily.IPV6)
                .clusterCidr("10.244.0.0/16,fd00:10:244::/56").masqueradeAll(true).nodePortAddresses(java.util.List.of("primary"))
                .metricsHost("127.0.0.1").build();
        assertThat(c.renderOptions()).isEqualTo(new io.sluice.applier.render.RenderOptions(io.sluice.schema.model.IpFamily.IPV6,
                java.util.List.of("10.244.0.0/16", "fd00:10:244::/56"), 14, true, java.util.List.of("primary")));
        assertThat(c.metricsHost()).isEqualTo("127.0.0.1");
        assertThat(c.healthHost()).isEqualTo("0.0.0.0");
        assertThat(c.toBuilder().build()).isEqualTo(c);
        assertThatThrownBy(() -> ApplierConfig.builder("n", "c", "kafka:9092", DIR).healthHost("localhost").build())
                .hasMessageContaining("healthHost 'localhost' is not an IP address");
        assertThatThrownBy(() -> ApplierConfig.builder("n", "c", "kafka:9092", DIR).nodePortAddresses(java.util.List.of("eth0")).build())
                .hasMessageContaining("nodePortAddresses entry 'eth0'");
    }

    @Test
    void portZeroMeansPickAFreeOneAndDualStackCidrsAreAccepted() {
        ApplierConfig c = ApplierConfig.builder("n", "c", "[::1]:9092,127.0.0.1:9093", DIR)
                .metricsPort(0).healthPort(0).clusterCidr("10.244.0.0/16, fd00:10:244::/56").build();
        assertThat(c.metricsPort()).isZero();
        assertThat(c.healthPort()).isZero();
        assertThat(c.toBuilder().build()).isEqualTo(c);
        ApplierConfig tuned = c.toBuilder().maxSyncInterval(Duration.ofMinutes(5)).syncBurst(3)
                .driftCanaryInterval(Duration.ZERO).driftFullCheckInterval(Duration.ofMinutes(10)).build();
        assertThat(tuned.toBuilder().build()).isEqualTo(tuned);
        assertThat(tuned.driftCanaryInterval()).as("0 turns the canary off").isZero();
    }

    static Stream<Arguments> badValues() {
        return Stream.of(
                bad(b -> ApplierConfig.builder(" ", "c", "k:1", DIR), "nodeName is required, got ' '"),
                bad(b -> ApplierConfig.builder("n", "c/x", "k:1", DIR), "clusterId 'c/x'"),
                bad(b -> ApplierConfig.builder("n", "c", "kafka", DIR), "'kafka' is not host:port"),
                bad(b -> ApplierConfig.builder("n", "c", "k:1", null), "stateDir is required"),
                bad(b -> b.eventsTopic("bad topic"), "eventsTopic 'bad topic'"),
                bad(b -> b.deadLetterTopic("sluice.c.events"), "must differ from eventsTopic"),
                bad(b -> b.clusterCidr("10.244.0.0"), "'10.244.0.0' is not a CIDR"),
                bad(b -> b.masqueradeBit(32), "masqueradeBit 32 is out of range 0-31"),
                bad(b -> b.metricsPort(70000), "metricsPort 70000 is out of range"),
                bad(b -> b.healthPort(-1), "healthPort -1 is out of range"),
                bad(b -> b.metricsPort(9000).healthPort(9000), "both 9000"),
                bad(b -> b.minSyncInterval(Duration.ofMillis(-5)), "minSyncInterval PT-0.005S must not be negative"),
                bad(b -> b.minSyncInterval(Duration.ofSeconds(2)).maxSyncInterval(Duration.ofSeconds(1)),
                        "maxSyncInterval PT1S must be positive and at least minSyncInterval PT2S"),
                bad(b -> b.syncBurst(0), "syncBurst 0 must be at least 1"),
                bad(b -> b.driftCanaryInterval(Duration.ofSeconds(-1)), "driftCanaryInterval PT-1S must not be negative"),
                bad(b -> b.driftFullCheckInterval(Duration.ofSeconds(-1)), "driftFullCheckInterval PT-1S"));
    }

    private static Arguments bad(UnaryOperator<ApplierConfig.Builder> change, String message) {
        return Arguments.of(change, message);
    }

    @ParameterizedTest
    @MethodSource("badValues")
    void aBadValueFailsConstructionNamingTheValue(UnaryOperator<ApplierConfig.Builder> change, String message) {
        assertThatThrownBy(() -> change.apply(ApplierConfig.builder("n", "c", "k:1", DIR)).build())
                .hasMessageContaining(message);
    }

    @Test
    void kafkaPropertiesAreCopied() {
        var props = new java.util.HashMap<>(Map.of("security.protocol", "SSL"));
        ApplierConfig c = ApplierConfig.builder("n", "c", "k:1", DIR).kafkaProperties(props).build();
        props.put("x", "y");
        assertThat(c.kafkaProperties()).containsOnlyKeys("security.protocol");
    }
}
