package io.sluice.compose;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.sluice.testkit.netns.ExecResult;
import io.sluice.testkit.netns.Netns;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code sluice render … | <kernel tool>} and {@code sluice cleanup} against real kernels, each
 * test in a network namespace of its own that it creates and deletes: the printed text is valid
 * input for the tool as it stands, gives a node without rules the Service chains, and cleanup
 * leaves nothing of Sluice's behind. Needs root; otherwise every test skips, saying why.
 */
class RenderCommandIT {
    private static final String LAB = "examples/lab.yaml";
    private static final String KUBECTL_LIST = "src/test/resources/state/kubectl-list.yaml";
    private String ns;

    @BeforeAll
    static void needsNetworkNamespaces() {
        Optional<String> why = Netns.unavailableReason();
        assumeTrue(why.isEmpty(), () -> "skipped: " + why.orElse("") + " (sluice render | iptables-restore needs a network namespace)");
    }

    @BeforeEach
    void createNamespace() {
        ns = "sluice-render-it-" + ProcessHandle.current().pid();
        Netns.delete(ns);
        Netns.create(ns);
    }

    @AfterEach
    void deleteNamespace() {
        if (ns != null) {
            Netns.delete(ns);
        }
    }

    @Test
    void renderPipedToIptablesRestoreInstallsTheServiceChainsAndCleanupRemovesThem() {
        Cli.Result rendered = Cli.run("render", "--state", LAB, "--node", "node-1", "--config", "examples/kube-proxy.yaml");
        assertThat(rendered.code()).as(rendered.toString()).isZero();
        Netns.execOkWithInput(ns, rendered.out(), "iptables-restore");

        String saved = Netns.execOk(ns, "iptables-save").stdout();
        assertThat(saved).contains(":SLUICE-SERVICES - [0:0]", ":SLUICE-SVC-", ":SLUICE-SEP-",
                "-A PREROUTING -m comment --comment \"sluice service portals\" -j SLUICE-SERVICES",
                "-A POSTROUTING -m comment --comment \"sluice postrouting rules\" -j SLUICE-POSTROUTING",
                "-d 10.96.0.10/32 -p tcp -m comment --comment \"default/web:http cluster IP\"",
                "--to-destination 10.244.1.10:8080", "--to-destination 10.244.2.10:8080",
                "! -s 10.244.0.0/16 -d 10.96.0.10/32"); // the config's clusterCIDR

        Cli.Result cleanup = Cli.run("cleanup", "--netns", ns);
        assertThat(cleanup.code()).as(cleanup.toString()).isZero();
        assertThat(Netns.execOk(ns, "iptables-save").stdout()).doesNotContain("SLUICE");
    }

    @Test
    void theOutputAlsoWorksWithNoflushBesideRulesOthersHold() {
        Netns.execOk(ns, "iptables", "-t", "nat", "-A", "PREROUTING", "-p", "udp", "--dport", "53", "-j", "ACCEPT");
        Netns.execOkWithInput(ns, Cli.run("render", "--state", LAB, "--node", "node-2").out(), "iptables-restore", "--noflush");
        String saved = Netns.execOk(ns, "iptables-save", "-t", "nat").stdout();
        assertThat(saved).contains("-A PREROUTING -p udp -m udp --dport 53 -j ACCEPT", "-j SLUICE-SERVICES");
        assertThat(Cli.run("cleanup", "--mode", "iptables", "--netns", ns).code()).isZero();
        assertThat(Netns.execOk(ns, "iptables-save").stdout()).doesNotContain("SLUICE").contains("--dport 53 -j ACCEPT");
    }

    @Test
    void ipv6RenderPipedToIp6tablesRestoreAndCleanup() {
        Cli.Result rendered = Cli.run("render", "--state", KUBECTL_LIST, "--node", "node-1", "--family", "ipv6");
        assertThat(rendered.code()).as(rendered.toString()).isZero();
        ExecResult restore = Netns.execWithInput(ns, rendered.out(), "ip6tables-restore");
        assumeTrue(restore.ok() || !restore.stderr().contains("not supported"), "skipped: this kernel has no IPv6 netfilter");
        assertThat(restore.ok()).as(restore.stderr()).isTrue();
        assertThat(Netns.execOk(ns, "ip6tables-save").stdout()).contains(":SLUICE-SVC-", "-d fd00:96::10/128", "[fd00:10:244:1::10]:8080");
        assertThat(Cli.run("cleanup", "--mode", "iptables", "--netns", ns).code()).isZero();
        assertThat(Netns.execOk(ns, "ip6tables-save").stdout()).doesNotContain("SLUICE");
    }

    @Test
    void renderPipedToNftInstallsTheTableAndCleanupRemovesIt() {
        for (String family : new String[] {"ipv4", "ipv6"}) {
            Cli.Result rendered = Cli.run("render", "--state", KUBECTL_LIST, "--node", "node-1", "--mode", "nftables", "--family", family);
            assertThat(rendered.code()).as(rendered.toString()).isZero();
            Netns.execOkWithInput(ns, rendered.out(), "nft", "-f", "-");
        }
        String ruleset = Netns.execOk(ns, "nft", "list", "ruleset").stdout();
        assertThat(ruleset).contains("table ip sluice", "table ip6 sluice", "10.96.0.10", "fd00:96::10", "30080");

        Cli.Result cleanup = Cli.run("cleanup", "--mode", "nftables", "--netns", ns);
        assertThat(cleanup.code()).as(cleanup.toString()).isZero();
        assertThat(Netns.execOk(ns, "nft", "list", "ruleset").stdout()).doesNotContain("sluice");
    }

    @Test
    void ipvsPartsFeedIpsetAndIptablesAndTheNodeAndIpvsadmPartsWhereTheKernelHasIpVs() {
        Cli.Result ipset = Cli.run("render", "--state", LAB, "--node", "node-1", "--mode", "ipvs", "--part", "ipset");
        Netns.execOkWithInput(ns, ipset.out(), "ipset", "restore");
        assertThat(Netns.execOk(ns, "ipset", "list", "SLUICE-CLUSTER-IP").stdout()).contains("10.96.0.10,tcp:80");
        Cli.Result iptables = Cli.run("render", "--state", LAB, "--node", "node-1", "--mode", "ipvs", "--part", "iptables");
        Netns.execOkWithInput(ns, iptables.out(), "iptables-restore", "--noflush");
        assertThat(Netns.execOk(ns, "iptables-save").stdout()).contains("--match-set SLUICE-CLUSTER-IP", "-j SLUICE-SERVICES");

        for (String script : new String[] {"node", "script"}) {
            String text = Cli.run("render", "--state", LAB, "--node", "node-1", "--mode", "ipvs", "--part", script).out();
            assertThat(Netns.execWithInput(ns, text, "sh", "-n").ok()).as(script + " is valid sh").isTrue();
        }
        Cli.Result node = Cli.run("render", "--state", LAB, "--node", "node-1", "--mode", "ipvs", "--part", "node");
        ExecResult script = Netns.execWithInput(ns, node.out(), "sh");
        assumeTrue(script.ok(), () -> "skipped the node and ipvsadm parts: this kernel has no ip_vs or no dummy interfaces ("
                + script.stderr().strip().lines().findFirst().orElse("") + ")");
        Cli.Result ipvsadm = Cli.run("render", "--state", LAB, "--node", "node-1", "--mode", "ipvs");
        Netns.execOkWithInput(ns, ipvsadm.out(), "ipvsadm-restore");
        assertThat(Netns.execOk(ns, "ipvsadm", "-Ln").stdout()).contains("10.96.0.10:80", "10.244.1.10:8080");
        assertThat(Netns.execOk(ns, "ip", "addr", "show", "dev", "sluice-ipvs0").stdout()).contains("10.96.0.10/32");

        Cli.Result cleanup = Cli.run("cleanup", "--netns", ns);
        assertThat(cleanup.code()).as(cleanup.toString()).isZero();
        assertThat(Netns.execOk(ns, "ipvsadm", "-Ln").stdout()).doesNotContain("10.96.0.10");
        assertThat(Netns.execOk(ns, "iptables-save").stdout()).doesNotContain("SLUICE");
    }

    @Test
    void cleanupOfANodeWithoutSluiceRulesSucceeds() {
        Cli.Result r = Cli.run("cleanup", "--netns", ns);
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.out()).contains("iptables (IPv4): nothing of Sluice's left in netns " + ns,
                "iptables (IPv6): nothing of Sluice's left", "nftables (IPv4): nothing of Sluice's left");
    }
}
