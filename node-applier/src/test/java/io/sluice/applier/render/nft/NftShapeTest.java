package io.sluice.applier.render.nft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The shape drift checks compare: from a model, and from nft's listing of the same table. */
class NftShapeTest {
    private static final String TEXT = """
            add table ip sluice { comment "rules for sluice" ; }
            add set ip sluice affinity-a { type ipv4_addr ; flags dynamic,timeout ; timeout 600s ; }
            add set ip sluice cluster-ips { type ipv4_addr ; comment "Active ClusterIPs" ; }
            add map ip sluice no-endpoint-services { type ipv4_addr . inet_proto . inet_service : verdict ; }
            add chain ip sluice nat-prerouting { type nat hook prerouting priority -100 ; }
            add chain ip sluice reject-chain { comment "helper" ; }
            add chain ip sluice service-a
            add rule ip sluice nat-prerouting jump services
            add rule ip sluice reject-chain reject
            add rule ip sluice service-a numgen random mod 2 vmap { 0 : goto endpoint-a1 , 1 : goto endpoint-a2 }
            add element ip sluice cluster-ips { 172.30.0.1 }
            add element ip sluice cluster-ips { 172.30.0.2 }
            add element ip sluice no-endpoint-services { 172.30.0.51 . tcp . 80 comment "ns11/lb:http" : goto reject-chain }
            add element ip sluice no-endpoint-services { 192.0.2.51 . tcp . 80 comment "ns11/lb:http" : goto reject-chain }
            add element ip sluice no-endpoint-services { 198.51.100.11 . tcp . 80 comment "ns11/lb:http" : goto reject-chain }
            """;

    /** What nft 1.0.6 prints for TEXT (an affinity set the kernel has filled). */
    private static final String LISTING = """
            table ip sluice {
            \tcomment "rules for sluice"
            \tset affinity-a {
            \t\ttype ipv4_addr
            \t\tsize 65535
            \t\tflags dynamic,timeout
            \t\ttimeout 10m
            \t\telements = { 10.0.0.9 expires 9m58s }
            \t}

            \tset cluster-ips {
            \t\ttype ipv4_addr
            \t\tcomment "Active ClusterIPs"
            \t\telements = { 172.30.0.1, 172.30.0.2 }
            \t}

            \tmap no-endpoint-services {
            \t\ttype ipv4_addr . inet_proto . inet_service : verdict
            \t\telements = { 198.51.100.11 . tcp . 80 comment "ns11/lb:http" : goto reject-chain,
            \t\t\t     172.30.0.51 . tcp . 80 comment "ns11/lb:http" : goto reject-chain,
            \t\t\t     192.0.2.51 . tcp . 80 comment "ns11/lb:http" : goto reject-chain }
            \t}

            \tchain nat-prerouting {
            \t\ttype nat hook prerouting priority dstnat; policy accept;
            \t\tjump services
            \t}

            \tchain reject-chain {
            \t\tcomment "helper"
            \t\treject
            \t}

            \tchain service-a {
            \t\tnumgen random mod 2 vmap { 0 : goto endpoint-a1, 1 : goto endpoint-a2 }
            \t}
            }
            """;

    @Test
    void aModelAndTheKernelsListingOfItHaveTheSameShape() {
        NftTableModel<String> model = NftTableModel.of(NftScript.parse(TEXT).tables().get(0));
        List<String> expected = List.of(
                "ip sluice chain nat-prerouting: 1 rules",
                "ip sluice chain reject-chain: 1 rules",
                "ip sluice chain service-a: 1 rules",
                "ip sluice map no-endpoint-services: 3 elements",
                "ip sluice set affinity-a: dynamic",
                "ip sluice set cluster-ips: 2 elements");

        assertThat(NftShape.of(model)).containsExactlyInAnyOrderElementsOf(expected);
        assertThat(NftShape.parseListing("ip sluice", LISTING)).containsExactlyInAnyOrderElementsOf(expected);
    }

    @Test
    void aListingInAnotherFormIsRefused() {
        assertThatThrownBy(() -> NftShape.parseListing("ip sluice", "table ip sluice {\n\tflowtable f {\n\t}\n}\n"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("flowtable f");
        assertThatThrownBy(() -> NftShape.parseListing("ip sluice", "table ip sluice {\n\tchain c {\n\t\treject\n"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("ends inside chain c");
    }
}
