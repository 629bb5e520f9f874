package io.sluice.testkit.netns;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.time.Duration;
import java.util.Optional;

import io.sluice.testkit.netns.FetchResult.Outcome;
import io.sluice.testkit.netns.Lab.Server;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class LabIT {
    private static final String PREFIX = "sl-labit";
    private static final Duration SHORT = Duration.ofSeconds(1);
    static Lab lab;
    static Pod client;
    static Pod backend;
    static Server server;
    static Pod outsider;

    @Test
    void externalClientReachesPodsThroughNode1WithItsOwnAddress() {
        assertThat(outsider.ip()).isEqualTo("203.0.113.10");
        FetchResult r = lab.fetch(outsider, backend.ip(), 8080, Duration.ofSeconds(5));
        assertThat(r).isEqualTo(new FetchResult(Outcome.OK, "pod=backend client=203.0.113.10\n"));
    }

    @Test
    void podServersAnswerUdpAndAClosedUdpPortIsRefused() {
        assertThat(lab.udpExchange(client, backend.ip(), 8080, Duration.ofSeconds(3)))
                .isEqualTo(new FetchResult(Outcome.OK, "pod=backend client=10.244.1.10\n"));
        assertThat(lab.udpExchange(client, backend.ip(), 8081, Duration.ofSeconds(3)).outcome())
                .isEqualTo(Outcome.REFUSED);
    }

    @Test
    void ipv6ReachesPodsAcrossNodesAndFromOutside() {
        assertThat(lab.ipv6Of(backend)).isEqualTo("2001:db8:244:2::10");
        FetchResult fromPod = lab.fetch(client, lab.ipv6Of(backend), 8080, Duration.ofSeconds(5));
        assertThat(fromPod.outcome()).as(fromPod.body()).isEqualTo(Outcome.OK);
        assertThat(fromPod.body()).startsWith("pod=backend client=2001:db8:244:1:0:0:0:10");
        FetchResult fromOutside = lab.fetch(outsider, lab.ipv6Of(backend), 8080, Duration.ofSeconds(5));
        assertThat(fromOutside.body()).startsWith("pod=backend client=2001:db8:203:0:0:0:0:10");
    }

    @BeforeAll
    static void buildLab() {
        Optional<String> reason = Netns.unavailableReason();
        assumeTrue(reason.isEmpty(), () -> reason.orElseThrow());
        lab = Lab.build(PREFIX, true);
        client = lab.addPod(1, "client");
        backend = lab.addPod(2, "backend");
        server = lab.startServer(backend, 8080);
        outsider = lab.addExternalClient("outsider");
    }

    @AfterAll
    static void closeLab() {
        if (lab != null) {
            lab.close();
        }
    }

    @Test
    void topologyHasTheDocumentedAddresses() {
        assertThat(lab.nodeNamespaces()).containsExactly(PREFIX + "-node1", PREFIX + "-node2");
        assertThat(lab.nodeIp(2)).isEqualTo("10.255.0.2");
        assertThat(lab.podCidr(1)).isEqualTo("10.244.1.0/24");
        assertThat(lab.clusterCidr()).isEqualTo("10.244.0.0/16");
        assertThat(client).isEqualTo(new Pod("client", PREFIX + "-client", 1, "10.244.1.10"));
        assertThat(backend.ip()).isEqualTo("10.244.2.10");
        assertThat(Netns.execOk(client.namespace(), "ip", "route").stdout())
                .contains("default via 10.244.1.1 dev eth0");
    }

    @Test
    void podReachesAPodOnTheOtherNodeAndTheServerSeesItsIp() {
        FetchResult r = lab.fetch(client, backend.ip(), 8080, Duration.ofSeconds(5));
        assertThat(r).isEqualTo(new FetchResult(Outcome.OK, "pod=backend client=10.244.1.10\n"));
    }

    @Test
    void nodeReachesAPodWithItsOwnNodeIpAsSource() {
        FetchResult r = lab.fetchFromNode(1, backend.ip(), 8080, Duration.ofSeconds(5));
        assertThat(r.body()).isEqualTo("pod=backend client=10.255.0.1\n");
    }

    @Test
    void aPortNobodyListensOnIsRefusedNotTimedOut() {
        assertThat(lab.fetch(client, backend.ip(), 9, SHORT).outcome()).isEqualTo(Outcome.REFUSED);
    }

    @Test
    void aDropRuleInThePodMakesTheRequestTimeOut() {
        Pod dropper = lab.addPod(2, "dropper");
        Server s = lab.startServer(dropper, 8081);
        assertThat(lab.fetch(client, dropper.ip(), 8081, SHORT).outcome()).isEqualTo(Outcome.OK);

        Netns.execOk(dropper.namespace(), "iptables", "-A", "INPUT", "-p", "tcp", "--dport", "8081", "-j", "DROP");

        assertThat(lab.fetch(client, dropper.ip(), 8081, SHORT).outcome()).isEqualTo(Outcome.TIMEOUT);
        lab.stopServer(s);
    }

    @Test
    void iptablesRestoreReadsRulesFromStdin() {
        Pod pod = lab.addPod(1, "restore");
        String rules = "*filter\n-A INPUT -p tcp --dport 7777 -j REJECT --reject-with tcp-reset\nCOMMIT\n";
        Netns.execOkWithInput(pod.namespace(), rules, "iptables-restore", "--noflush");
        assertThat(Netns.execOk(pod.namespace(), "iptables-save", "-t", "filter").stdout()).contains("--dport 7777");
    }

    @Test
    void execOkNamesTheCommandItsExitCodeAndStderr() {
        assertThatThrownBy(() -> Netns.execOk(client.namespace(), "ip", "link", "show", "nosuchdev"))
                .isInstanceOf(ExecException.class)
                .hasMessageContaining("ip link show nosuchdev")
                .hasMessageContaining("exit code 1")
                .hasMessageContaining("nosuchdev");
    }

    @Test
    void closeStopsServersAndDeletesEveryNamespace() {
        Lab other = Lab.build("sl-labit2");
        Pod p = other.addPod(1, "p");
        Server s = other.startServer(p, 8080);
        ProcessHandle serverProcess = ProcessHandle.of(s.pid()).orElseThrow();
        assertThat(serverProcess.info().command().orElse("")).endsWith("java");

        other.close();

        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> !serverProcess.isAlive());
        assertThat(Netns.list()).noneMatch(ns -> ns.startsWith("sl-labit2-"));
    }

    @Test
    void buildDeletesNamespacesLeftByACrashedRun() {
        Netns.create("sl-labit3-stale");
        try (Lab fresh = Lab.build("sl-labit3")) {
            assertThat(Netns.list()).doesNotContain("sl-labit3-stale").contains("sl-labit3-node1");
        }
        assertThat(Netns.list()).noneMatch(ns -> ns.startsWith("sl-labit3-"));
    }
}
