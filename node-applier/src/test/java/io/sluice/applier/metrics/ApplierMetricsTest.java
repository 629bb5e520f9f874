package io.sluice.applier.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class ApplierMetricsTest {
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final ApplierMetrics metrics = new ApplierMetrics(registry,
            Clock.fixed(Instant.parse("2026-01-02T03:04:05Z"), ZoneOffset.UTC));

    private double rules(String table) {
        FunctionCounter c = registry.find("kubeproxy.sync.proxy.rules.iptables").tags("table", table).functionCounter();
        return c == null ? Double.NaN : c.count();
    }

    @Test
    void iptablesRulesAreCountedWhenReadOncePerSyncNotOnEverySync() {
        AtomicInteger counted = new AtomicInteger();
        metrics.iptablesRules(Set.of("filter", "nat"), () -> {
            counted.incrementAndGet();
            return Map.of("filter", 3, "nat", 7);
        });
        metrics.iptablesRules(Set.of("filter", "nat"), () -> {
            counted.incrementAndGet();
            return Map.of("filter", 4, "nat", 9);
        });
        assertThat(counted).hasValue(0); // nothing counted until the metric is read

        assertThat(rules("filter")).isEqualTo(4);
        assertThat(rules("nat")).isEqualTo(9);
        assertThat(rules("filter")).isEqualTo(4);
        assertThat(counted).hasValue(1); // the latest rule set only, and once
    }

    @Test
    void aTableOnceReportedStaysAtZeroWhenItsRulesGo() {
        metrics.iptablesRules(Set.of("filter", "nat"), () -> Map.of("filter", 1, "nat", 2));
        metrics.iptablesRules(Set.of("nat"), () -> Map.of("nat", 5));

        assertThat(rules("filter")).isZero();
        assertThat(rules("nat")).isEqualTo(5);
    }
}
