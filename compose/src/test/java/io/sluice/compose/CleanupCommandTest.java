package io.sluice.compose;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.compose.modes.ProxyMode;
import org.junit.jupiter.api.Test;

/** {@code sluice cleanup} without touching any kernel: the command line and the modes it visits. */
class CleanupCommandTest {
    @Test
    void anUnknownModeIsACommandLineError() {
        Cli.Result r = Cli.run("cleanup", "--mode", "userspace", "--netns", "never-created");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("--mode userspace: expected one of iptables, nftables, ipvs, all");
    }

    @Test
    void ipvsIsSkippedWhereItsBackendCannotHaveRun() {
        // The namespace does not exist, so the probe (sysctl net.ipv4.vs.conntrack inside it) fails.
        Cli.Result r = Cli.run("cleanup", "--mode", "ipvs", "--netns", "sluice-never-created");
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.out()).contains("ipvs (IPv4): skipped, ", "ipvs (IPv6): skipped, ");
    }

    @Test
    void allCleansIpvsBeforeIptablesWhoseChainsItsJumpsTarget() {
        assertThat(CleanupCommand.ALL_IN_CLEANUP_ORDER).containsExactly(ProxyMode.IPVS, ProxyMode.NFTABLES, ProxyMode.IPTABLES);
    }
}
