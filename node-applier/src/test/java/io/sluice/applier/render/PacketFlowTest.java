package io.sluice.applier.render;

import static io.sluice.applier.render.Fixtures.epTcp;
import static io.sluice.applier.render.Fixtures.epUdp;
import static io.sluice.applier.render.Fixtures.image;
import static io.sluice.applier.render.Fixtures.notReady;
import static io.sluice.applier.render.Fixtures.ready;
import static io.sluice.applier.render.Fixtures.service;
import static io.sluice.applier.render.Fixtures.slice;
import static io.sluice.applier.render.Fixtures.tcp;
import static io.sluice.applier.render.Fixtures.terminating;
import static io.sluice.applier.render.Fixtures.udp;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.store.image.ClusterImage;
import java.util.Arrays;
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
 * Behaviour of the rendered rules, traced packet by packet (kube-proxy's packetFlowTest): where a
 * packet to a Service goes, whether it is rejected, whether it leaves masqueraded.
 */
class PacketFlowTest {
    static final String CLUSTER_CIDR = "10.244.0.0/16";
    static final String POD = "10.244.1.100";
    static final String NODE_IP = "192.168.0.2";
    static final String EXTERNAL = "203.0.113.9";

    /** Output: endpoints ("ip:port, ip:port"), "REJECT", or "" for a packet the rules leave alone. */
    record Row(String name, String source, String destIP, int destPort, String protocol, String output, boolean masq) {
        @Override
        public String toString() {
            return name;
        }
    }

    static ClusterImage cluster() {
        return image(
                service("ns1", "web", "172.30.0.41", tcp("http", 80, "8080")),
                slice("ns1", "web-1", "web", List.of(epTcp("http", 8080)), ready("10.244.1.2"), ready("10.244.2.3")),
                service("ns2", "empty", "172.30.0.42", tcp("http", 80, "8080")),
                service("ns3", "dns", "172.30.0.10", udp("dns", 53, "dns"), tcp("dns-tcp", 53, "dns-tcp")),
                slice("ns3", "dns-1", "dns", List.of(epUdp("dns", 5353), epTcp("dns-tcp", 5354)),
                        ready("10.244.1.3"), ready("10.244.2.4")),
                service("ns4", "rolling", "172.30.0.44", tcp("", 80, "8080")),
                slice("ns4", "rolling-1", "rolling", List.of(epTcp("", 8080)),
                        ready("10.244.1.4"), terminating("10.244.1.5"), notReady("10.244.1.6")),
                service("ns5", "self", "172.30.0.45", tcp("http", 80, "8080")),
                slice("ns5", "self-1", "self", List.of(epTcp("http", 8080)), ready("10.244.1.7")),
                service("ns6", "allgone", "172.30.0.46", tcp("http", 80, "8080")),
                slice("ns6", "allgone-1", "allgone", List.of(epTcp("http", 8080)), notReady("10.244.1.8")));
    }

    static Stream<Arguments> flows() {
        return Stream.of(
                rows(RenderOptions.defaults(CLUSTER_CIDR),
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
                        new Row("service with only unready endpoints rejects", POD, "172.30.0.46", 80, "tcp", "REJECT", false),
                        new Row("udp port goes to the udp slice port", POD, "172.30.0.10", 53, "udp",
                                "10.244.1.3:5353, 10.244.2.4:5353", false),
                        new Row("tcp port of the same number goes to its own slice port", POD, "172.30.0.10", 53, "tcp",
                                "10.244.1.3:5354, 10.244.2.4:5354", false),
                        new Row("unnamed port, unready and terminating endpoints skipped", POD, "172.30.0.44", 80, "tcp",
                                "10.244.1.4:8080", false),
                        new Row("hairpin: endpoint reaching itself is masqueraded", "10.244.1.7", "172.30.0.45", 80, "tcp",
                                "10.244.1.7:8080", true),
                        new Row("another pod reaching that endpoint is not", "10.244.1.2", "172.30.0.45", 80, "tcp",
                                "10.244.1.7:8080", false)),
                rows(new RenderOptions(CLUSTER_CIDR, 14, true),
                        new Row("masqueradeAll: pod is masqueraded", POD, "172.30.0.41", 80, "tcp",
                                "10.244.1.2:8080, 10.244.2.3:8080", true),
                        new Row("masqueradeAll: still rejects without endpoints", POD, "172.30.0.42", 80, "tcp",
                                "REJECT", false)),
                rows(RenderOptions.defaults(""),
                        new Row("no cluster CIDR: outside source is not masqueraded", EXTERNAL, "172.30.0.41", 80, "tcp",
                                "10.244.1.2:8080, 10.244.2.3:8080", false),
                        new Row("no cluster CIDR: hairpin still masqueraded", "10.244.1.7", "172.30.0.45", 80, "tcp",
                                "10.244.1.7:8080", true)),
                rows(new RenderOptions(CLUSTER_CIDR, 0, false),
                        new Row("masquerade bit 0 works the same", EXTERNAL, "172.30.0.41", 80, "tcp",
                                "10.244.1.2:8080, 10.244.2.3:8080", true)))
                .flatMap(s -> s);
    }

    private static Stream<Arguments> rows(RenderOptions options, Row... rows) {
        return Arrays.stream(rows).map(r -> Arguments.of(r, options));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("flows")
    void packetFlow(Row row, RenderOptions options) {
        RuleSet rules = new IptablesRenderer().render(cluster(), NodeContext.of("node1"), options);
        IptablesTracer.Flow flow = new IptablesTracer(rules.text())
                .trace(row.source(), row.destIP(), row.destPort(), row.protocol());

        String output = flow.rejected() ? "REJECT" : String.join(", ", flow.endpoints());
        assertThat(output).as("output of %s", row.name()).isEqualTo(canonical(row.output()));
        assertThat(flow.masquerade()).as("masquerade of %s (every path must agree)", row.name())
                .containsExactly(row.masq());
    }

    @Test
    void tracerRefusesRulesItDoesNotUnderstand() {
        String text = "*filter\n:SLUICE-SERVICES - [0:0]\n-A SLUICE-SERVICES -m addrtype --dst-type LOCAL -j DROP\nCOMMIT\n"
                + "*nat\n:SLUICE-SERVICES - [0:0]\n:SLUICE-POSTROUTING - [0:0]\nCOMMIT\n";
        assertThatThrownBy(() -> new IptablesTracer(text).trace(POD, "1.2.3.4", 80, "tcp"))
                .hasMessageContaining("addrtype");
    }

    @Test
    void cidrMatching() {
        assertThat(IptablesTracer.inCidr("10.244.255.1", "10.244.0.0/16")).isTrue();
        assertThat(IptablesTracer.inCidr("10.245.0.1", "10.244.0.0/16")).isFalse();
        assertThat(IptablesTracer.inCidr("1.2.3.4", "0.0.0.0/0")).isTrue();
        assertThat(IptablesTracer.inCidr("1.2.3.4", "1.2.3.4/32")).isTrue();
    }

    private static String canonical(String output) {
        if (output.isEmpty() || output.equals("REJECT")) {
            return output;
        }
        Set<String> eps = Arrays.stream(output.split(",")).map(String::strip).collect(Collectors.toCollection(TreeSet::new));
        return String.join(", ", eps);
    }
}
