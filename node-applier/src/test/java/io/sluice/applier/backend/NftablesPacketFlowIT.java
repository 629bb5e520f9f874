package io.sluice.applier.backend;

import static io.sluice.applier.render.Fixtures.epTcp;
import static io.sluice.applier.render.Fixtures.epUdp;
import static io.sluice.applier.render.Fixtures.image;
import static io.sluice.applier.render.Fixtures.readyOn;
import static io.sluice.applier.render.Fixtures.readyWithZoneHints;
import static io.sluice.applier.render.Fixtures.service;
import static io.sluice.applier.render.Fixtures.slice;
import static io.sluice.applier.render.Fixtures.slice6;
import static io.sluice.applier.render.Fixtures.tcp;
import static io.sluice.applier.render.Fixtures.tcpNodePort;
import static io.sluice.applier.render.Fixtures.terminatingOn;
import static io.sluice.applier.render.Fixtures.udp;
import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.applier.render.NftablesRenderer;
import io.sluice.applier.render.NodeContext;
import io.sluice.applier.render.RenderOptions;
import io.sluice.applier.render.nft.NftChange;
import io.sluice.schema.model.Endpoint;
import io.sluice.schema.model.EndpointPort;
import io.sluice.schema.model.IpFamily;
import io.sluice.schema.model.Resource;
import io.sluice.schema.model.Service;
import io.sluice.schema.model.ServiceType;
import io.sluice.schema.model.SessionAffinity;
import io.sluice.schema.model.TrafficPolicy;
import io.sluice.testkit.netns.FetchResult;
import io.sluice.testkit.netns.FetchResult.Outcome;
import io.sluice.testkit.netns.Lab;
import io.sluice.testkit.netns.Netns;
import io.sluice.testkit.netns.Pod;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Real packets through Sluice's nftables rules: the behaviour rows of the iptables
 * {@link RealPacketFlowIT}, on a two-node {@link Lab} with IPv6, with {@code ip sluice} and
 * {@code ip6 sluice} loaded by {@link NftablesBackend} on both nodes. curl and UDP from a client
 * pod on node1, from external clients attached to node1 (203.0.113.x, outside the cluster CIDR)
 * and from the nodes; pod servers report the source address they saw, which proves masquerade or
 * its absence. One more row changes a Service and checks the incremental apply in the datapath.
 *
 * <p>node1 routes the Service and outside-world ranges on to node2, as a real node's default
 * route would, and node2 drops what arrives from node1 for them (an nft table of the lab's own,
 * hooked before any NAT): a packet the rules do not handle times out. So a REFUSED outcome can
 * only come from a reject rule, and a TIMEOUT on a path that works for another client only from
 * a drop.
 */
class NftablesPacketFlowIT {
    private static final Duration OK_TIMEOUT = Duration.ofSeconds(5);
    /** For flows that must not answer: long enough for a local round trip, short to keep the suite fast. */
    private static final Duration DROP_TIMEOUT = Duration.ofSeconds(2);
    private static final String WEB = "172.30.0.41";
    private static final String EMPTY = "172.30.0.42";
    private static final String REMOTE = "172.30.0.43";
    private static final String NODEPORT_EXT_IP = "198.51.100.4";
    private static final String LOCAL_EXT_IP = "198.51.100.8";
    private static final String LB_IP = "192.0.2.50";
    private static final String STICKY = "172.30.0.55";
    private static final String UDP_VIP = "172.30.0.60";
    private static final String ITP = "172.30.0.53";
    private static final String ITP_REMOTE = "172.30.0.54";
    private static final String DRAINING = "172.30.0.66";
    private static final String ZONED = "172.30.0.57";
    private static final String FLIP = "172.30.0.80";
    private static final String WEB6 = "fd00:30::70";
    private static final String EMPTY6 = "fd00:30::71";
    private static final List<EndpointPort> HTTP = List.of(epTcp("http", 8080));
    private static Lab lab;
    private static Pod client;
    private static Pod serverA;
    private static Pod serverB;
    private static Pod outside;
    private static Pod denied;
    private static final List<NftablesBackend> backends = new ArrayList<>();

    @BeforeAll
    static void buildLabAndApplyRules() throws Exception {
        Optional<String> unavailable = Netns.unavailableReason();
        Assumptions.assumeTrue(unavailable.isEmpty(), () -> "no real-packet test: " + unavailable.orElse(""));
        Assumptions.assumeTrue(Netns.run(List.of("nft", "--version"), null, OK_TIMEOUT).ok(), "nft is not installed");
        lab = Lab.build("sluice-nftpf", true);
        client = lab.addPod(1, "client");
        serverA = lab.addPod(1, "server-a");
        serverB = lab.addPod(2, "server-b");
        outside = lab.addExternalClient("outside");
        denied = lab.addExternalClient("denied");
        lab.startServer(serverA, 8080);
        lab.startServer(serverB, 8080);
        String node1 = lab.nodeNamespace(1);
        for (String range : List.of("172.30.0.0/16", "192.0.2.0/24", "198.51.100.0/24")) {
            Netns.execOk(node1, "ip", "route", "add", range, "via", lab.nodeIp(2));
        }
        Netns.execOk(node1, "ip", "-6", "route", "add", "fd00:30::/64", "via", lab.nodeIp6(2));
        Netns.execOk(node1, "ip", "-6", "route", "add", "2001:db8:198::/64", "via", lab.nodeIp6(2));
        Netns.execOkWithInput(lab.nodeNamespace(2), """
                add table inet lab-blackhole
                add chain inet lab-blackhole prerouting { type filter hook prerouting priority -300 ; }
                add rule inet lab-blackhole prerouting iifname "eth0" ip daddr { 172.30.0.0/16, 192.0.2.0/24, 198.51.100.0/24 } drop
                add rule inet lab-blackhole prerouting iifname "eth0" ip6 daddr { fd00:30::/64, 2001:db8:198::/64 } drop
                """, "nft", "-f", "-");
        for (int node = 1; node <= 2; node++) {
            backends.add(new NftablesBackend(List.of("ip", "netns", "exec", lab.nodeNamespace(node))));
        }
        apply(cluster(List.of(serverA.ip(), serverB.ip())));
    }

    private static List<NftChange> apply(List<Resource> objects) throws ApplyException {
        List<NftChange> changes = new ArrayList<>();
        for (int node = 1; node <= 2; node++) {
            NodeContext ctx = new NodeContext("node" + node, List.of(lab.nodeIp(node), lab.nodeIp6(node)),
                    node == 1 ? "zone-a" : "zone-b");
            RenderOptions options = new RenderOptions(IpFamily.IPV4, List.of(lab.clusterCidr(), lab.clusterCidr6()), 14,
                    false, List.of());
            NftablesBackend b = backends.get(node - 1);
            b.apply(NftablesRenderer.dualStack().render(image(objects.toArray(new Resource[0])), ctx, options));
            changes.add(b.lastChange().orElseThrow());
        }
        return changes;
    }

    /** The cluster; {@code flip} lists the endpoints of Service {@code flip} (a and b, in node order). */
    private static List<Resource> cluster(List<String> flip) {
        String a = serverA.ip();
        String b = serverB.ip();
        List<Endpoint> flipEndpoints = new ArrayList<>();
        for (String ip : flip) {
            flipEndpoints.add(readyOn(ip, ip.equals(a) ? "node1" : "node2"));
        }
        return List.of(
                service("ns1", "web", WEB, tcp("http", 80, "8080")),
                slice("ns1", "web-1", "web", HTTP, readyOn(a, "node1"), readyOn(b, "node2")),
                service("ns1", "empty", EMPTY, tcp("http", 80, "8080"), udp("dns", 53, "53")),
                service("ns1", "remote", REMOTE, tcp("http", 80, "8080")),
                slice("ns1", "remote-1", "remote", HTTP, readyOn(b, "node2")),
                Service.builder("ns1", "np").type(ServiceType.NODE_PORT).clusterIP("172.30.0.47")
                        .externalIPs(List.of(NODEPORT_EXT_IP)).ports(tcpNodePort("http", 80, "8080", 30080)).build(),
                slice("ns1", "np-1", "np", HTTP, readyOn(a, "node1"), readyOn(b, "node2")),
                Service.builder("ns1", "local").type(ServiceType.NODE_PORT).clusterIP("172.30.0.48")
                        .externalIPs(List.of(LOCAL_EXT_IP)).externalTrafficPolicy(TrafficPolicy.LOCAL)
                        .ports(tcpNodePort("http", 80, "8080", 30090)).build(),
                slice("ns1", "local-1", "local", HTTP, readyOn(a, "node1"), readyOn(b, "node2")),
                Service.builder("ns1", "only1").type(ServiceType.NODE_PORT).clusterIP("172.30.0.49")
                        .externalTrafficPolicy(TrafficPolicy.LOCAL).ports(tcpNodePort("http", 80, "8080", 30091)).build(),
                slice("ns1", "only1-1", "only1", HTTP, readyOn(a, "node1")),
                Service.builder("ns1", "lb").type(ServiceType.LOAD_BALANCER).clusterIP("172.30.0.50")
                        .loadBalancerIngressIPs(List.of(LB_IP)).loadBalancerSourceRanges(List.of(outside.ip() + "/32"))
                        .ports(tcpNodePort("http", 80, "8080", 30100)).build(),
                slice("ns1", "lb-1", "lb", HTTP, readyOn(a, "node1"), readyOn(b, "node2")),
                Service.builder("ns1", "sticky").clusterIP(STICKY).sessionAffinity(SessionAffinity.CLIENT_IP)
                        .sessionAffinityTimeoutSeconds(300).ports(tcp("http", 80, "8080")).build(),
                slice("ns1", "sticky-1", "sticky", HTTP, readyOn(a, "node1"), readyOn(b, "node2")),
                service("ns1", "udp", UDP_VIP, udp("dns", 53, "8080")),
                slice("ns1", "udp-1", "udp", List.of(epUdp("dns", 8080)), readyOn(b, "node2")),
                Service.builder("ns1", "itp").clusterIP(ITP).internalTrafficPolicy(TrafficPolicy.LOCAL)
                        .ports(tcp("http", 80, "8080")).build(),
                slice("ns1", "itp-1", "itp", HTTP, readyOn(a, "node1"), readyOn(b, "node2")),
                Service.builder("ns1", "itpremote").clusterIP(ITP_REMOTE).internalTrafficPolicy(TrafficPolicy.LOCAL)
                        .ports(tcp("http", 80, "8080")).build(),
                slice("ns1", "itpremote-1", "itpremote", HTTP, readyOn(b, "node2")),
                service("ns1", "draining", DRAINING, tcp("http", 80, "8080")),
                slice("ns1", "draining-1", "draining", HTTP, terminatingOn(a, "node1"), notReadyOn(b)),
                service("ns1", "zoned", ZONED, tcp("http", 80, "8080")),
                slice("ns1", "zoned-1", "zoned", HTTP, readyWithZoneHints(a, "node1", "zone-a", "zone-a"),
                        readyWithZoneHints(b, "node2", "zone-b", "zone-b")),
                service("ns1", "flip", FLIP, tcp("http", 80, "8080")),
                slice("ns1", "flip-1", "flip", HTTP, flipEndpoints.toArray(new Endpoint[0])),
                Service.builder("ns1", "web6").clusterIPs(List.of("172.30.0.70", WEB6)).ports(tcp("http", 80, "8080"))
                        .build(),
                slice6("ns1", "web6-v6", "web6", HTTP, readyOn(lab.ipv6Of(serverA), "node1"),
                        readyOn(lab.ipv6Of(serverB), "node2")),
                service("ns1", "empty6", EMPTY6, tcp("http", 80, "8080")),
                Service.builder("ns1", "np6").type(ServiceType.NODE_PORT).clusterIPs(List.of("172.30.0.72", "fd00:30::72"))
                        .externalIPs(List.of("2001:db8:198::72")).ports(tcpNodePort("http", 80, "8080", 30172)).build(),
                slice6("ns1", "np6-v6", "np6", HTTP, readyOn(lab.ipv6Of(serverA), "node1"),
                        readyOn(lab.ipv6Of(serverB), "node2")));
    }

    private static Endpoint notReadyOn(String ip) {
        return new Endpoint(List.of(ip), false, false, false, "node2", null, List.of(), List.of());
    }

    @AfterAll
    static void closeLab() {
        if (lab != null) {
            lab.close();
        }
    }

    @Test
    void clientPodReachesBothServerPodsThroughTheClusterIpUnmasqueraded() {
        assertThat(backendsSeen(client, WEB, 80, 60)).containsExactly("server-a", "server-b");
        assertThat(ok(lab.fetch(client, WEB, 80, OK_TIMEOUT))).contains("client=" + client.ip());
    }

    @Test
    void aServiceWithoutEndpointsRefusesFastOverTcpAndUdp() {
        long start = System.nanoTime();
        FetchResult r = lab.fetch(client, EMPTY, 80, OK_TIMEOUT);
        assertThat(r.outcome()).as(r.body()).isEqualTo(Outcome.REFUSED);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).as("refused, not timed out").isLessThan(Duration.ofSeconds(2));
        assertThat(lab.udpExchange(client, EMPTY, 53, DROP_TIMEOUT).outcome()).isEqualTo(Outcome.REFUSED);
    }

    @Test
    void aClusterIpPortWithoutAServiceIsRejected() {
        // kube-proxy's nftables mode rejects traffic to a cluster IP on a port no Service has
        // (cluster-ips-check); without it the packet would be routed on and time out here.
        assertThat(lab.fetch(client, WEB, 81, OK_TIMEOUT).outcome()).isEqualTo(Outcome.REFUSED);
    }

    @Test
    void aSourceOutsideTheClusterCidrIsMasqueradedToTheNodeIp() {
        assertThat(ok(lab.fetch(outside, REMOTE, 80, OK_TIMEOUT))).isEqualTo("pod=server-b client=" + lab.nodeIp(1) + "\n");
        assertThat(ok(lab.fetch(client, REMOTE, 80, OK_TIMEOUT))).isEqualTo("pod=server-b client=" + client.ip() + "\n");
    }

    @Test
    void aPodReachingItselfThroughItsServiceIsMasqueraded() {
        // itp has only server-a on node1 (internal traffic policy Local): hairpin
        String body = ok(lab.fetch(serverA, ITP, 80, OK_TIMEOUT));
        assertThat(body).startsWith("pod=server-a ").doesNotContain("client=" + serverA.ip());
    }

    @Test
    void nodePortFromOutsideReachesEveryEndpointMasqueraded() {
        Set<String> clients = new TreeSet<>();
        Set<String> pods = new TreeSet<>();
        for (int i = 0; i < 60 && pods.size() < 2; i++) {
            String body = ok(lab.fetch(outside, lab.nodeIp(1), 30080, OK_TIMEOUT));
            pods.add(pod(body));
            clients.add(body.strip().split("client=")[1]);
        }
        assertThat(pods).containsExactly("server-a", "server-b");
        assertThat(clients).doesNotContain(outside.ip());
    }

    @Test
    void externalIpFromOutsideIsProxiedAndMasqueraded() {
        String body = ok(lab.fetch(outside, NODEPORT_EXT_IP, 80, OK_TIMEOUT));
        assertThat(body).doesNotContain("client=" + outside.ip());
    }

    @Test
    void externalTrafficPolicyLocalGoesToTheLocalEndpointAndKeepsTheClientAddress() {
        for (int i = 0; i < 8; i++) {
            assertThat(ok(lab.fetch(outside, lab.nodeIp(1), 30090, OK_TIMEOUT)))
                    .isEqualTo("pod=server-a client=" + outside.ip() + "\n");
            assertThat(ok(lab.fetch(outside, LOCAL_EXT_IP, 80, OK_TIMEOUT)))
                    .isEqualTo("pod=server-a client=" + outside.ip() + "\n");
        }
    }

    @Test
    void externalTrafficPolicyLocalDropsOnANodeWithoutLocalEndpoints() {
        assertThat(ok(lab.fetch(outside, lab.nodeIp(1), 30091, OK_TIMEOUT)))
                .isEqualTo("pod=server-a client=" + outside.ip() + "\n");
        // node2 has no endpoint of only1: dropped, not refused (nothing listens on node2:30091, so a
        // packet the rules let through would be answered with a reset).
        assertThat(lab.fetch(outside, lab.nodeIp(2), 30091, DROP_TIMEOUT).outcome()).isEqualTo(Outcome.TIMEOUT);
        // pods short-circuit to every endpoint, even on a node without local ones (server-b runs on node2)
        assertThat(ok(lab.fetch(serverB, lab.nodeIp(2), 30091, OK_TIMEOUT)))
                .isEqualTo("pod=server-a client=" + serverB.ip() + "\n");
        // and so does the node itself, masqueraded to its own address
        assertThat(ok(lab.fetchFromNode(2, lab.nodeIp(2), 30091, OK_TIMEOUT)))
                .isEqualTo("pod=server-a client=" + lab.nodeIp(2) + "\n");
    }

    @Test
    void loadBalancerIpAdmitsItsSourceRangesAndDropsOthers() {
        assertThat(ok(lab.fetch(outside, LB_IP, 80, OK_TIMEOUT))).doesNotContain("client=" + outside.ip());
        assertThat(lab.fetch(denied, LB_IP, 80, DROP_TIMEOUT).outcome()).isEqualTo(Outcome.TIMEOUT);
        // NodePorts are not subject to loadBalancerSourceRanges (as in kube-proxy)
        assertThat(lab.fetch(denied, lab.nodeIp(1), 30100, OK_TIMEOUT).outcome()).isEqualTo(Outcome.OK);
    }

    @Test
    void sessionAffinityKeepsAClientOnOneBackend() {
        Set<String> seen = backendsSeen(client, STICKY, 80, 12);
        assertThat(seen).hasSize(1); // without affinity: p(12 times the same of 2) = 2^-11
        assertThat(backendsSeen(outside, STICKY, 80, 12)).hasSize(1);
    }

    @Test
    void udpIsProxiedToItsEndpoint() {
        FetchResult r = lab.udpExchange(client, UDP_VIP, 53, OK_TIMEOUT);
        assertThat(r).isEqualTo(new FetchResult(Outcome.OK, "pod=server-b client=" + client.ip() + "\n"));
    }

    @Test
    void internalTrafficPolicyLocalUsesTheLocalEndpointOrDrops() {
        assertThat(backendsSeen(client, ITP, 80, 10)).containsExactly("server-a");
        assertThat(lab.fetch(client, ITP_REMOTE, 80, DROP_TIMEOUT).outcome()).isEqualTo(Outcome.TIMEOUT);
    }

    @Test
    void servingTerminatingEndpointsServeWhenNoneIsReady() {
        assertThat(backendsSeen(client, DRAINING, 80, 6)).containsExactly("server-a");
    }

    @Test
    void zoneHintsKeepTrafficInTheNodesZone() {
        assertThat(backendsSeen(client, ZONED, 80, 10)).containsExactly("server-a");
    }

    @Test
    void ipv6ClusterIpThroughTheIp6Table() {
        Set<String> seen = new TreeSet<>();
        for (int i = 0; i < 60 && seen.size() < 2; i++) {
            String body = ok(lab.fetch(client, WEB6, 80, OK_TIMEOUT));
            assertThat(body).contains("client=2001:db8:244:1:0:0:0:10"); // the pod's own IPv6 address
            seen.add(pod(body));
        }
        assertThat(seen).containsExactly("server-a", "server-b");
        assertThat(lab.fetch(client, EMPTY6, 80, OK_TIMEOUT).outcome()).isEqualTo(Outcome.REFUSED);
    }

    @Test
    void ipv6NodePortAndExternalIpFromOutsideAreProxiedAndMasqueraded() throws Exception {
        // as the pod server prints it (Java's long form)
        String outside6 = "client=" + java.net.InetAddress.getByName(lab.ipv6Of(outside)).getHostAddress();
        Set<String> pods = new TreeSet<>();
        for (int i = 0; i < 60 && pods.size() < 2; i++) {
            String body = ok(lab.fetch(outside, lab.nodeIp6(1), 30172, OK_TIMEOUT));
            assertThat(body).doesNotContain(outside6);
            pods.add(pod(body));
        }
        assertThat(pods).containsExactly("server-a", "server-b");
        assertThat(ok(lab.fetch(outside, "2001:db8:198::72", 80, OK_TIMEOUT))).doesNotContain(outside6);
    }

    /**
     * Endpoint changes go in as incremental transactions (no table replaced) and the datapath
     * follows: both backends, then only server-a, then none (rejected), then both again.
     */
    @Test
    void incrementalChangesTakeEffectInTheDatapath() throws Exception {
        assertThat(backendsSeen(client, FLIP, 80, 60)).containsExactly("server-a", "server-b");
        try {
            assertThat(apply(cluster(List.of(serverA.ip())))).noneMatch(NftChange::full);
            assertThat(backendsSeen(client, FLIP, 80, 10)).containsExactly("server-a");

            assertThat(apply(cluster(List.of()))).noneMatch(NftChange::full);
            assertThat(lab.fetch(client, FLIP, 80, OK_TIMEOUT).outcome()).isEqualTo(Outcome.REFUSED);
        } finally {
            apply(cluster(List.of(serverA.ip(), serverB.ip())));
        }
        assertThat(backendsSeen(client, FLIP, 80, 60)).containsExactly("server-a", "server-b");
    }

    private static Set<String> backendsSeen(Pod from, String ip, int port, int requests) {
        Set<String> seen = new TreeSet<>();
        for (int i = 0; i < requests; i++) {
            seen.add(pod(ok(lab.fetch(from, ip, port, OK_TIMEOUT))));
        }
        return seen;
    }

    private static String ok(FetchResult r) {
        assertThat(r.outcome()).as("outcome (%s)", r.body()).isEqualTo(Outcome.OK);
        return r.body();
    }

    private static String pod(String body) {
        return body.split(" ")[0].substring("pod=".length());
    }
}
