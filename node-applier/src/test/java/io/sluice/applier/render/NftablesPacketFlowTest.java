package io.sluice.applier.render;

import static io.sluice.applier.render.Behaviours.NODE1;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The packet-flow table of the iptables renderer ({@link PacketFlowTest#flows()}: every behaviour,
 * every option variant, IPv6), traced through the nftables rules instead. Both modes must agree,
 * except where kube-proxy's two modes differ on purpose (listed in {@link #NFT_DIFFERS}).
 */
class NftablesPacketFlowTest {
    /**
     * Rows where kube-proxy's nftables mode answers differently from its iptables mode: traffic
     * to a cluster IP on a port or protocol no Service has is rejected ({@code cluster-ips-check})
     * instead of being routed on untouched.
     */
    static final Map<String, String> NFT_DIFFERS = Map.of(
            "wrong port is left alone", "REJECT",
            "wrong protocol is left alone", "REJECT");

    static Stream<Arguments> flows() {
        return PacketFlowTest.flows();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("flows")
    void packetFlow(PacketFlowTest.Row row, RenderOptions options) {
        RuleSet rules = new NftablesRenderer().render(PacketFlowTest.cluster(), NODE1, options);
        NftablesTracer.Flow flow = new NftablesTracer(rules.text(), new HashSet<>(NODE1.nodeIPs()))
                .trace(row.source(), row.destIP(), row.destPort(), row.protocol());

        String output = flow.verdict().equals("ACCEPT") ? String.join(", ", flow.endpoints()) : flow.verdict();
        String expected = NFT_DIFFERS.getOrDefault(row.name(), row.output());
        assertThat(output).as("output of %s", row.name()).isEqualTo(canonical(expected));
        boolean masq = NFT_DIFFERS.containsKey(row.name()) ? false : row.masq();
        assertThat(flow.masquerade()).as("masquerade of %s (every path must agree)", row.name()).containsExactly(masq);
    }

    @Test
    void everyDifferingRowExists() {
        Set<String> names = flows().map(a -> ((PacketFlowTest.Row) a.get()[0]).name()).collect(Collectors.toSet());
        assertThat(names).containsAll(NFT_DIFFERS.keySet());
    }

    @Test
    void affinityIsFollowedBothWaysAndAHairpinToItselfIsMasqueraded() {
        RuleSet rules = new NftablesRenderer().render(PacketFlowTest.cluster(), NODE1, RenderOptions.defaults(
                Behaviours.CLUSTER_CIDR));
        NftablesTracer t = new NftablesTracer(rules.text(), new HashSet<>(NODE1.nodeIPs()));

        assertThat(t.trace("10.244.1.27", "172.30.0.55", 80, "tcp").masquerade()).containsExactlyInAnyOrder(true, false);
        assertThat(t.trace("10.244.1.27", "172.30.0.55", 80, "tcp").endpoints())
                .containsExactly("10.244.1.27:8080", "10.244.2.27:8080");
    }

    @Test
    void tracerRefusesRulesItDoesNotUnderstand() {
        String text = "add table ip sluice\nadd chain ip sluice nat-prerouting { type nat hook prerouting priority -100 ; }\n"
                + "add chain ip sluice filter-prerouting-pre-dnat { type filter hook prerouting priority -110 ; }\n"
                + "add rule ip sluice nat-prerouting meta skuid 0 drop\n";
        assertThatThrownBy(() -> new NftablesTracer(text, Set.of()).trace("10.244.1.2", "1.2.3.4", 80, "tcp"))
                .hasMessageContaining("skuid");
    }

    private static String canonical(String output) {
        if (output.isEmpty() || output.equals("REJECT") || output.equals("DROP")) {
            return output;
        }
        Set<String> eps = Arrays.stream(output.split(",")).map(String::strip).collect(Collectors.toCollection(TreeSet::new));
        return String.join(", ", eps);
    }
}
