package io.sluice.applier.render;

import static io.sluice.applier.render.Behaviours.CLUSTER_CIDR;
import static io.sluice.applier.render.Behaviours.CLUSTER_CIDR6;
import static io.sluice.applier.render.Behaviours.NODE1;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.applier.backend.IptablesJump;
import io.sluice.schema.model.IpFamily;
import io.sluice.schema.model.Resource;
import io.sluice.store.image.ClusterImage;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Behaviour of the rendered rules, traced packet by packet (kube-proxy's packetFlowTest): where
 * the first packet of a connection to a Service goes, whether it is rejected or dropped, whether
 * it leaves masqueraded. Every behaviour of {@link Behaviours} is rendered together for node1.
 */
class PacketFlowTest {
    static final String POD = "10.244.1.100";
    static final String NODE_IP = "192.168.0.1";
    static final String OTHER_NODE_IP = "172.16.0.1";
    static final String EXTERNAL = "203.0.113.9";
    static final String OUTSIDE_RANGE = "198.51.100.77";
    static final String POD6 = "fd00:244:1::100";
    static final String EXTERNAL6 = "2001:db8:1::9";

    /** Output: endpoints ("ip:port, ip:port"), "REJECT", "DROP", or "" for a packet the rules let through untouched. */
    record Row(String name, String source, String destIP, int destPort, String protocol, String output, boolean masq) {
        @Override
        public String toString() {
            return name;
        }
    }

    static ClusterImage cluster() {
        return Fixtures.image(Behaviours.everything().toArray(new Resource[0]));
    }

    static Stream<Arguments> flows() {
        RenderOptions v4 = RenderOptions.defaults(CLUSTER_CIDR);
        return Stream.of(
                rows(v4,
                        new Row("pod to ClusterIP reaches either endpoint", POD, "172.30.0.41", 80, "tcp",
                                "10.244.1.2:8080, 10.244.2.3:8080", false),
                        new Row("node to ClusterIP is masqueraded", NODE_IP, "172.30.0.41", 80, "tcp",
                                "10.244.1.2:8080, 10.244.2.3:8080", true),
                        new Row("outside the cluster CIDR is masqueraded", EXTERNAL, "172.30.0.41", 80, "tcp",
                                "10.244.1.2:8080, 10.244.2.3:8080", true),
                        new Row("wrong port is left alone", POD, "172.30.0.41", 81, "tcp", "", false),
                        new Row("wrong protocol is left alone", POD, "172.30.0.41", 80, "udp", "", false),
                        new Row("unknown IP is left alone", POD, "172.30.0.99", 80, "tcp", "", false),
                        new Row("service without endpoints rejects", POD, "172.30.0.42", 80, "tcp", "REJECT", false),
                        new Row("udp service without endpoints rejects", POD, "172.30.0.42", 53, "udp", "REJECT", false),
                        new Row("service with only unready endpoints rejects", POD, "172.30.0.46", 80, "tcp", "REJECT", false),
                        new Row("udp port goes to the udp slice port", POD, "172.30.0.10", 53, "udp",
                                "10.244.1.3:5353, 10.244.2.4:5353", false),
                        new Row("tcp port of the same number goes to its own slice port", POD, "172.30.0.10", 53, "tcp",
                                "10.244.1.3:5354, 10.244.2.4:5354", false),
                        new Row("unready and terminating endpoints skipped while one is ready", POD, "172.30.0.44", 80,
                                "tcp", "10.244.1.4:8080", false),
                        new Row("no ready endpoint: serving-terminating ones are used", POD, "172.30.0.66", 80, "tcp",
                                "10.244.1.28:8080, 10.244.2.28:8080", false),
                        new Row("hairpin: endpoint reaching itself is masqueraded", "10.244.1.7", "172.30.0.45", 80, "tcp",
                                "10.244.1.7:8080", true),
                        new Row("another pod reaching that endpoint is not", "10.244.1.2", "172.30.0.45", 80, "tcp",
                                "10.244.1.7:8080", false),
                        // NodePort, eTP Cluster
                        new Row("NodePort from outside reaches every endpoint, masqueraded", EXTERNAL, NODE_IP, 30080,
                                "tcp", "10.244.1.20:8080, 10.244.2.20:8080", true),
                        new Row("NodePort on another node address", EXTERNAL, OTHER_NODE_IP, 30080, "tcp",
                                "10.244.1.20:8080, 10.244.2.20:8080", true),
                        new Row("NodePort from a pod is masqueraded too", POD, NODE_IP, 30080, "tcp",
                                "10.244.1.20:8080, 10.244.2.20:8080", true),
                        new Row("NodePort of the ClusterIP port number is not a NodePort", EXTERNAL, NODE_IP, 80, "tcp",
                                "", false),
                        new Row("NodePort on a non-local address is left alone", EXTERNAL, "10.1.2.3", 30080, "tcp", "",
                                false),
                        new Row("NodePort over the wrong protocol is left alone", EXTERNAL, NODE_IP, 30080, "udp", "",
                                false),
                        // eTP Local
                        new Row("eTP Local NodePort from outside: local endpoint only, source kept", EXTERNAL, NODE_IP,
                                30090, "tcp", "10.244.1.21:8080", false),
                        new Row("eTP Local external IP from outside: local endpoint only, source kept", EXTERNAL,
                                "198.51.100.8", 80, "tcp", "10.244.1.21:8080", false),
                        new Row("eTP Local from a pod short-circuits to every endpoint", POD, NODE_IP, 30090, "tcp",
                                "10.244.1.21:8080, 10.244.2.21:8080", false),
                        new Row("eTP Local from the node itself goes to every endpoint, masqueraded", NODE_IP, NODE_IP,
                                30090, "tcp", "10.244.1.21:8080, 10.244.2.21:8080", true),
                        new Row("eTP Local does not apply to the cluster IP", EXTERNAL, "172.30.0.48", 80, "tcp",
                                "10.244.1.21:8080, 10.244.2.21:8080", true),
                        new Row("eTP Local without local endpoints drops NodePort traffic from outside", EXTERNAL,
                                NODE_IP, 30091, "tcp", "DROP", false),
                        new Row("eTP Local without local endpoints drops external-IP traffic from outside", EXTERNAL,
                                "198.51.100.9", 80, "tcp", "DROP", false),
                        new Row("eTP Local without local endpoints: pods still reach the remote one", POD, NODE_IP,
                                30091, "tcp", "10.244.2.22:8080", false),
                        new Row("eTP Local without local endpoints: pods reach it by external IP", POD, "198.51.100.9",
                                80, "tcp", "10.244.2.22:8080", false),
                        // LoadBalancer
                        new Row("LB IP from an allowed source range, masqueraded", EXTERNAL, "192.0.2.50", 80, "tcp",
                                "10.244.1.23:8080, 10.244.2.23:8080", true),
                        new Row("LB IP from outside the source ranges is dropped", OUTSIDE_RANGE, "192.0.2.50", 80,
                                "tcp", "DROP", false),
                        new Row("NodePort of a firewalled LB is not firewalled", OUTSIDE_RANGE, NODE_IP, 30100, "tcp",
                                "10.244.1.23:8080, 10.244.2.23:8080", true),
                        new Row("LB without endpoints rejects its LB IP", EXTERNAL, "192.0.2.51", 80, "tcp", "REJECT",
                                false),
                        new Row("LB without endpoints rejects its external IP", EXTERNAL, "198.51.100.11", 80, "tcp",
                                "REJECT", false),
                        new Row("LB without endpoints rejects its NodePort", EXTERNAL, NODE_IP, 30101, "tcp", "REJECT",
                                false),
                        new Row("LB without endpoints rejects its cluster IP", POD, "172.30.0.51", 80, "tcp", "REJECT",
                                false),
                        new Row("eTP Local LB IP: local endpoint, source kept", EXTERNAL, "192.0.2.52", 80, "tcp",
                                "10.244.1.24:8080", false),
                        new Row("health check node port is accepted, not NATed", EXTERNAL, NODE_IP, 30200, "tcp", "",
                                false),
                        // iTP Local
                        new Row("iTP Local: pod reaches the local endpoint only", POD, "172.30.0.53", 80, "tcp",
                                "10.244.1.25:8080", false),
                        new Row("iTP Local without local endpoints drops", POD, "172.30.0.54", 80, "tcp", "DROP", false),
                        // affinity and topology
                        new Row("ClientIP affinity: either endpoint for a new client", POD, "172.30.0.55", 80, "tcp",
                                "10.244.1.27:8080, 10.244.2.27:8080", false),
                        new Row("zone hints: only this zone's endpoint", POD, "172.30.0.57", 80, "tcp",
                                "10.244.1.30:8080", false),
                        new Row("zone hints missing on one endpoint: all endpoints", POD, "172.30.0.58", 80, "tcp",
                                "10.244.1.31:8080, 10.244.2.31:8080", false),
                        new Row("node hints: only this node's endpoint", POD, "172.30.0.59", 80, "tcp",
                                "10.244.1.32:8080", false),
                        new Row("SCTP is proxied", POD, "172.30.0.60", 9999, "sctp", "10.244.2.33:9999", false),
                        new Row("dual-stack Service: IPv4 rules use the IPv4 slice", POD, "172.30.0.62", 80, "tcp",
                                "10.244.1.62:8080", false),
                        new Row("dual-stack: IPv6 external IP is not in the IPv4 rules", EXTERNAL, "198.51.100.62", 80,
                                "tcp", "10.244.1.62:8080", true)),
                rows(v4.withMasqueradeAll(true),
                        new Row("masqueradeAll: pod is masqueraded", POD, "172.30.0.41", 80, "tcp",
                                "10.244.1.2:8080, 10.244.2.3:8080", true),
                        new Row("masqueradeAll: still rejects without endpoints", POD, "172.30.0.42", 80, "tcp",
                                "REJECT", false)),
                rows(RenderOptions.defaults(""),
                        new Row("no cluster CIDR: outside source is not masqueraded", EXTERNAL, "172.30.0.41", 80, "tcp",
                                "10.244.1.2:8080, 10.244.2.3:8080", false),
                        new Row("no cluster CIDR: hairpin still masqueraded", "10.244.1.7", "172.30.0.45", 80, "tcp",
                                "10.244.1.7:8080", true),
                        new Row("no cluster CIDR: eTP Local pod traffic is not short-circuited", POD, NODE_IP, 30091,
                                "tcp", "DROP", false)),
                rows(new RenderOptions(CLUSTER_CIDR, 0, false),
                        new Row("masquerade bit 0 works the same", EXTERNAL, "172.30.0.41", 80, "tcp",
                                "10.244.1.2:8080, 10.244.2.3:8080", true)),
                rows(v4.withNodePortAddresses(List.of("192.168.0.0/24", "2001:db8::/32")),
                        new Row("nodePortAddresses: NodePort on a selected address", EXTERNAL, NODE_IP, 30080, "tcp",
                                "10.244.1.20:8080, 10.244.2.20:8080", true),
                        new Row("nodePortAddresses: not on an unselected node address", EXTERNAL, OTHER_NODE_IP, 30080,
                                "tcp", "", false)),
                rows(v4.withNodePortAddresses(List.of(RenderOptions.PRIMARY)),
                        new Row("nodePortAddresses primary: on the first node address", EXTERNAL, NODE_IP, 30080, "tcp",
                                "10.244.1.20:8080, 10.244.2.20:8080", true),
                        new Row("nodePortAddresses primary: not on the others", EXTERNAL, OTHER_NODE_IP, 30080, "tcp",
                                "", false)),
                rows(new RenderOptions(IpFamily.IPV6, List.of(CLUSTER_CIDR, CLUSTER_CIDR6), 14, false, List.of()),
                        new Row("IPv6 ClusterIP from a pod", POD6, "fd00:30::62", 80, "tcp",
                                "[fd00:244:1::62]:8080, [fd00:244:2::62]:8080", false),
                        new Row("IPv6 external IP from outside, masqueraded", EXTERNAL6, "2001:db8::62", 80, "tcp",
                                "[fd00:244:1::62]:8080, [fd00:244:2::62]:8080", true),
                        new Row("IPv6 NodePort on the node's IPv6 address", EXTERNAL6, "fd00:1::1", 30162, "tcp",
                                "[fd00:244:1::62]:8080, [fd00:244:2::62]:8080", true),
                        new Row("IPv6 Service without endpoints rejects", POD6, "fd00:30::63", 80, "tcp", "REJECT",
                                false),
                        new Row("IPv6 rules ignore IPv4 addresses", POD6, "fd00:30::41", 80, "tcp", "", false)))
                .flatMap(s -> s);
    }

    private static Stream<Arguments> rows(RenderOptions options, Row... rows) {
        return Arrays.stream(rows).map(r -> Arguments.of(r, options));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("flows")
    void packetFlow(Row row, RenderOptions options) {
        RuleSet rules = new IptablesRenderer().render(cluster(), NODE1, options);
        IptablesTracer.Flow flow = new IptablesTracer(rules.text(), new HashSet<>(NODE1.nodeIPs()))
                .trace(row.source(), row.destIP(), row.destPort(), row.protocol());

        String output = flow.verdict().equals("ACCEPT") ? String.join(", ", flow.endpoints()) : flow.verdict();
        assertThat(output).as("output of %s", row.name()).isEqualTo(canonical(row.output()));
        assertThat(flow.masquerade()).as("masquerade of %s (every path must agree)", row.name())
                .containsExactly(row.masq());
    }

    @Test
    void tracerRefusesRulesItDoesNotUnderstand() {
        String text = "*filter\n:SLUICE-SERVICES - [0:0]\n-A SLUICE-SERVICES -m owner --uid-owner 0 -j DROP\nCOMMIT\n"
                + "*nat\n:SLUICE-SERVICES - [0:0]\n:SLUICE-POSTROUTING - [0:0]\nCOMMIT\n";
        List<IptablesJump> jumps = List.of(new IptablesJump("filter",
                IptablesRule.append("FORWARD").jump(IptablesChainNames.SERVICES)));
        assertThatThrownBy(() -> new IptablesTracer(text, jumps, Set.of()).trace(POD, "1.2.3.4", 80, "tcp"))
                .hasMessageContaining("owner");
    }

    @Test
    void cidrMatching() {
        assertThat(IptablesTracer.inCidr("10.244.255.1", "10.244.0.0/16")).isTrue();
        assertThat(IptablesTracer.inCidr("10.245.0.1", "10.244.0.0/16")).isFalse();
        assertThat(IptablesTracer.inCidr("1.2.3.4", "0.0.0.0/0")).isTrue();
        assertThat(IptablesTracer.inCidr("1.2.3.4", "1.2.3.4/32")).isTrue();
        assertThat(IptablesTracer.inCidr("fd00:244:1::5", "fd00:244::/32")).isTrue();
        assertThat(IptablesTracer.inCidr("fd00:244:1::5", "fd00:244::/48")).isFalse();
        assertThat(IptablesTracer.inCidr("fd00:245::5", "fd00:244::/32")).isFalse();
        assertThat(IptablesTracer.inCidr("2001:db8::1:0:0:1", "2001:db8::/64")).isTrue();
        assertThat(IptablesTracer.inCidr("10.0.0.1", "fd00::/8")).isFalse();
    }

    private static String canonical(String output) {
        if (output.isEmpty() || output.equals("REJECT") || output.equals("DROP")) {
            return output;
        }
        Set<String> eps = Arrays.stream(output.split(",")).map(String::strip).collect(Collectors.toCollection(TreeSet::new));
        return String.join(", ", eps);
    }
}
