package io.sluice.applier.health;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.applier.Mode;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class HealthStateTest {
    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
    private final HealthState state = new HealthState("node-1", "c1", Duration.ofSeconds(60));

    @Test
    void unhealthyAndNotReadyBeforeTheFirstSync() {
        assertThat(state.healthz(T0).status()).isEqualTo(503);
        assertThat(state.healthz(T0).body()).contains("\"node\":\"node-1\"", "\"cluster\":\"c1\"", "\"mode\":\"starting\"",
                "\"lastSyncTime\":null");
        assertThat(state.readyz().status()).isEqualTo(503);
    }

    @Test
    void healthyAfterASyncUntilAChangeWaitsLongerThanTheTimeout() {
        state.mode(Mode.LIVE);
        state.synced(7, T0);
        assertThat(state.healthz(T0.plusSeconds(3600)).status()).as("no pending change: idle is healthy").isEqualTo(200);
        assertThat(state.healthz(T0).body()).contains("\"appliedSeq\":7", "\"lastSyncTime\":\"2026-01-01T00:00:00Z\"",
                "\"mode\":\"live\"");
        state.changeQueued(8, T0.plusSeconds(10));
        assertThat(state.healthz(T0.plusSeconds(70)).status()).isEqualTo(200);
        assertThat(state.healthz(T0.plusSeconds(71)).status()).isEqualTo(503);
        state.synced(8, T0.plusSeconds(72));
        assertThat(state.healthz(T0.plusSeconds(72)).status()).isEqualTo(200);
    }

    @Test
    void aSyncOfAnOlderSeqDoesNotClearTheWait() {
        state.mode(Mode.LIVE);
        state.synced(1, T0);
        state.changeQueued(5, T0);
        state.synced(3, T0.plusSeconds(1));
        assertThat(state.healthz(T0.plusSeconds(61)).status()).isEqualTo(503);
    }

    @Test
    void readyWhenLiveOrWhenServingASnapshotWithKafkaUnreachable() {
        state.mode(Mode.SNAPSHOT);
        state.synced(42, T0);
        assertThat(state.readyz().status()).as("reachability unknown yet").isEqualTo(503);
        state.kafkaReachable(false);
        assertThat(state.readyz().status()).isEqualTo(200);
        assertThat(state.readyz().body()).contains("serving snapshot at seq 42");
        state.kafkaReachable(true);
        assertThat(state.readyz().status()).as("Kafka is back: ready once caught up").isEqualTo(503);
        assertThat(state.readyz().body()).contains("catching up");
        state.mode(Mode.LIVE);
        assertThat(state.readyz().status()).isEqualTo(200);
    }

    @Test
    void noSnapshotAndNoKafkaIsNotReady() {
        state.kafkaReachable(false);
        assertThat(state.readyz().status()).isEqualTo(503);
        assertThat(state.readyz().body()).contains("waiting for Kafka");
    }
}
