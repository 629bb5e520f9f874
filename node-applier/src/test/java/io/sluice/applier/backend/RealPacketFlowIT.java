package io.sluice.applier.backend;

import static io.sluice.applier.render.Fixtures.epTcp;
import static io.sluice.applier.render.Fixtures.image;
import static io.sluice.applier.render.Fixtures.readyOn;
import static io.sluice.applier.render.Fixtures.service;
import static io.sluice.applier.render.Fixtures.slice;
import static io.sluice.applier.render.Fixtures.tcp;
import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.applier.render.IptablesRenderer;
import io.sluice.applier.render.NodeContext;
import io.sluice.applier.render.RenderOptions;
import io.sluice.applier.render.RuleSet;
import io.sluice.testkit.netns.FetchResult;
import io.sluice.testkit.netns.Lab;
import io.sluice.testkit.netns.Netns;
import io.sluice.testkit.netns.Pod;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Real packets through rendered rules: a two-node {@link Lab}, Sluice's rules applied to node1
 * only, curl from a client pod (and from node2, outside the cluster CIDR) to ClusterIPs.
 */
class RealPacketFlowIT {
    private static final String WEB_VIP = "172.30.0.41";
    private static final String EMPTY_VIP = "172.30.0.42";
    private static final String REMOTE_VIP = "172.30.0.43";
    private static final Duration FETCH_TIMEOUT = Duration.ofSeconds(5);
    private static Lab lab;
    private static Pod client;

    @BeforeAll
    static void buildLabAndApplyRules() throws Exception {
        Optional<String> unavailable = Netns.unavailableReason();
        Assumptions.assumeTrue(unavailable.isEmpty(), () -> "no real-packet test: " + unavailable.orElse(""));
        lab = Lab.build("sluice-rpf");
        client = lab.addPod(1, "client");
        Pod local = lab.addPod(1, "server-a");
        Pod remote = lab.addPod(2, "server-b");
        lab.startServer(local, 8080);
        lab.startServer(remote, 8080);
        // node2 plays a host outside the cluster CIDR that routes Service traffic through node1.
        Netns.execOk(lab.nodeNamespace(2), "ip", "route", "add", "172.30.0.0/16", "via", lab.nodeIp(1));
        // node1 routes the Service range onwards, as a real node's default route would, and the
        // next hop drops it silently. Otherwise a VIP nobody DNATs gets an ICMP error, which curl
        // reports as "refused" too, and the REJECT test would pass with no rules at all.
        Netns.execOk(lab.nodeNamespace(1), "ip", "route", "add", "172.30.0.0/16", "via", lab.nodeIp(2));
        Netns.execOk(lab.nodeNamespace(2), "iptables", "-w", "-A", "FORWARD", "-d", "172.30.0.0/16", "-j", "DROP");

        RuleSet rules = new IptablesRenderer().render(image(
                service("ns1", "web", WEB_VIP, tcp("http", 80, "8080")),
                slice("ns1", "web-1", "web", List.of(epTcp("http", 8080)),
                        readyOn(local.ip(), "node1"), readyOn(remote.ip(), "node2")),
                service("ns1", "empty", EMPTY_VIP, tcp("http", 80, "8080")),
                service("ns1", "remote", REMOTE_VIP, tcp("http", 80, "8080")),
                slice("ns1", "remote-1", "remote", List.of(epTcp("http", 8080)), readyOn(remote.ip(), "node2"))),
                NodeContext.of("node1"), RenderOptions.defaults(lab.clusterCidr()));
        new IptablesRestoreBackend(List.of("ip", "netns", "exec", lab.nodeNamespace(1))).apply(rules);
    }

    @AfterAll
    static void closeLab() {
        if (lab != null) {
            lab.close();
        }
    }

    @Test
    void clientPodReachesBothServerPodsThroughTheClusterIp() {
        Set<String> seen = new TreeSet<>();
        for (int i = 0; i < 60 && seen.size() < 2; i++) { // random balancing: p(miss one in 60) = 2^-59
            FetchResult r = lab.fetch(client, WEB_VIP, 80, FETCH_TIMEOUT);
            assertThat(r.outcome()).as("fetch %d: %s", i, r.body()).isEqualTo(FetchResult.Outcome.OK);
            assertThat(r.body()).contains("client=" + client.ip()); // pod traffic is not masqueraded
            seen.add(r.body().split(" ")[0]);
        }
        assertThat(seen).containsExactly("pod=server-a", "pod=server-b");
    }

    @Test
    void aServiceWithoutEndpointsRefusesFast() {
        long start = System.nanoTime();
        FetchResult r = lab.fetch(client, EMPTY_VIP, 80, FETCH_TIMEOUT);
        Duration took = Duration.ofNanos(System.nanoTime() - start);

        assertThat(r.outcome()).as(r.body()).isEqualTo(FetchResult.Outcome.REFUSED);
        assertThat(took).as("refused, not timed out").isLessThan(Duration.ofSeconds(2));
    }

    @Test
    void aSourceOutsideTheClusterCidrIsMasqueradedToTheNodeIp() {
        FetchResult fromOutside = lab.fetchFromNode(2, REMOTE_VIP, 80, FETCH_TIMEOUT);
        assertThat(fromOutside.outcome()).as(fromOutside.body()).isEqualTo(FetchResult.Outcome.OK);
        assertThat(fromOutside.body()).isEqualTo("pod=server-b client=" + lab.nodeIp(1) + "\n");

        FetchResult fromPod = lab.fetch(client, REMOTE_VIP, 80, FETCH_TIMEOUT);
        assertThat(fromPod.body()).isEqualTo("pod=server-b client=" + client.ip() + "\n");
    }
}
