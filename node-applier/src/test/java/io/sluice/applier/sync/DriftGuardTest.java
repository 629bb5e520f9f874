package io.sluice.applier.sync;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.applier.sync.DriftGuard.Decision;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class DriftGuardTest {
    private static final List<String> FLUSHED = List.of("nat/SLUICE-SERVICES: 0 rules in the kernel, 5 applied");
    private static final List<String> ODD = List.of("nat/SLUICE-X: rule 1 differs: kernel 'a', applied 'b'");

    @Test
    void driftIsRepairedAndARepairThatHeldClearsTheVerification() {
        DriftGuard g = new DriftGuard();
        assertThat(g.drifted("canary", FLUSHED)).isEqualTo(Decision.REPAIR);
        g.repaired();
        g.inSync("canary");
        assertThat(g.drifted("canary", FLUSHED)).as("flushed again later: a new tampering, repaired again")
                .isEqualTo(Decision.REPAIR);
    }

    @Test
    void theSameDifferenceRightAfterItsRepairIsPersistentAndThenIgnoredUntilItChanges() {
        DriftGuard g = new DriftGuard();
        assertThat(g.drifted("full", ODD)).isEqualTo(Decision.REPAIR);
        g.repaired();
        assertThat(g.drifted("full", ODD)).isEqualTo(Decision.PERSISTENT);
        assertThat(g.hasPersistent()).isTrue();
        assertThat(g.drifted("full", ODD)).isEqualTo(Decision.IGNORE);
        assertThat(g.drifted("full", FLUSHED)).as("a different difference").isEqualTo(Decision.REPAIR);
        g.inSync("full");
        assertThat(g.hasPersistent()).isFalse();
        assertThat(g.drifted("full", ODD)).isEqualTo(Decision.REPAIR);
    }

    @Test
    void aCanaryInSyncDoesNotVerifyARepairTheFullCheckAskedFor() {
        DriftGuard g = new DriftGuard();
        g.drifted("full", ODD);
        g.repaired();
        g.inSync("canary");
        assertThat(g.drifted("full", ODD)).isEqualTo(Decision.PERSISTENT);
    }

    @Test
    void aCheckWaitsItsIntervalButAtLeastTwentyTimesItsCost() {
        assertThat(DriftGuard.nextDelay(Duration.ofSeconds(1), Duration.ofMillis(10))).isEqualTo(Duration.ofSeconds(1));
        assertThat(DriftGuard.nextDelay(Duration.ofSeconds(1), Duration.ofMillis(200))).isEqualTo(Duration.ofSeconds(4));
        assertThat(DriftGuard.nextDelay(Duration.ofSeconds(60), null)).isEqualTo(Duration.ofSeconds(60));
    }
}
