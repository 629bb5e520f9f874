package io.sluice.applier.render.nft;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The differ on small hand-written tables: what each kind of change sends, and in which order. */
class NftDiffTest {
    private static final String BASE = """
            add table ip sluice { comment "rules for sluice" ; }
            add map ip sluice service-ips { type ipv4_addr . inet_proto . inet_service : verdict ; }
            add set ip sluice cluster-ips { type ipv4_addr ; }
            add chain ip sluice nat-prerouting { type nat hook prerouting priority -100 ; }
            add chain ip sluice services
            add rule ip sluice nat-prerouting jump services
            add rule ip sluice services ip daddr . meta l4proto . th dport vmap @service-ips
            """;

    private static NftTable table(String extra) {
        return parse(BASE + extra);
    }

    private static NftTable parse(String text) {
        return NftScript.parse(text).tables().get(0);
    }

    /** A's text with each line mapped (null drops it), then {@code extra} appended. */
    private static NftTable fromA(java.util.function.UnaryOperator<String> edit, String extra) {
        StringBuilder sb = new StringBuilder();
        A.toText().lines().map(edit).filter(java.util.Objects::nonNull).forEach(l -> sb.append(l).append('\n'));
        return parse(sb + extra);
    }

    private static final NftTable A = table("""
            add set ip sluice affinity-a { type ipv4_addr ; flags dynamic,timeout ; timeout 10800s ; }
            add chain ip sluice service-a
            add chain ip sluice endpoint-a1
            add rule ip sluice service-a ip saddr @affinity-a goto endpoint-a1
            add rule ip sluice service-a numgen random mod 1 vmap { 0 : goto endpoint-a1 }
            add rule ip sluice endpoint-a1 update @affinity-a { ip saddr }
            add rule ip sluice endpoint-a1 meta l4proto tcp dnat to 10.244.1.2:80
            add element ip sluice cluster-ips { 172.30.0.1 }
            add element ip sluice service-ips { 172.30.0.1 . tcp . 80 : goto service-a }
            add chain ip sluice service-b
            add chain ip sluice endpoint-b1
            add rule ip sluice service-b numgen random mod 1 vmap { 0 : goto endpoint-b1 }
            add rule ip sluice endpoint-b1 meta l4proto tcp dnat to 10.244.1.3:80
            add element ip sluice cluster-ips { 172.30.0.2 }
            add element ip sluice service-ips { 172.30.0.2 . tcp . 80 : goto service-b }
            """);

    @Test
    void unknownKernelStateReplacesTheTableWholeInOneTransaction() {
        NftChange c = NftDiff.between((NftTable) null, A);

        assertThat(c.full()).isTrue();
        assertThat(c.fullTables()).containsExactly("ip sluice");
        assertThat(c.script()).startsWith("add table ip sluice\ndelete table ip sluice\nadd table ip sluice { comment");
        assertThat(c.script()).endsWith(A.toText());
    }

    @Test
    void identicalTablesSendNothing() {
        NftChange c = NftDiff.between(A, NftScript.parse(A.toText()).tables().get(0));

        assertThat(c.isEmpty()).isTrue();
        assertThat(c.summary()).isEqualTo("no change");
    }

    @Test
    void aNewEndpointAddsItsChainAndRefillsOnlyItsServiceChain() {
        NftTable b = fromA(l -> l.startsWith("add rule ip sluice service-a numgen") ? null : l, """
                add chain ip sluice endpoint-a2
                add rule ip sluice endpoint-a2 meta l4proto tcp dnat to 10.244.2.2:80
                add rule ip sluice service-a numgen random mod 2 vmap { 0 : goto endpoint-a1 , 1 : goto endpoint-a2 }
                """);

        NftChange c = NftDiff.between(A, b);

        assertThat(c.full()).isFalse();
        assertThat(c.script().lines().toList()).containsExactly(
                "add chain ip sluice endpoint-a2",
                "flush chain ip sluice service-a",
                "add rule ip sluice endpoint-a2 meta l4proto tcp dnat to 10.244.2.2:80",
                "add rule ip sluice service-a ip saddr @affinity-a goto endpoint-a1",
                "add rule ip sluice service-a numgen random mod 2 vmap { 0 : goto endpoint-a1 , 1 : goto endpoint-a2 }");
        assertThat(c.summary()).isEqualTo("chains +1 ~1 -0, sets +0 -0, elements +0 -0");
    }

    @Test
    void aDeletedServiceLosesItsElementsThenItsChainsAfterTheyAreFlushed() {
        NftTable b = fromA(l -> l.contains("-b") || l.contains("172.30.0.2") ? null : l, "");

        NftChange c = NftDiff.between(A, b);

        assertThat(c.script().lines().toList()).containsExactly(
                "flush chain ip sluice endpoint-b1",
                "flush chain ip sluice service-b",
                "delete element ip sluice cluster-ips { 172.30.0.2 }",
                "delete element ip sluice service-ips { 172.30.0.2 . tcp . 80 }",
                "delete chain ip sluice endpoint-b1",
                "delete chain ip sluice service-b");
        assertThat(c.chainsDeleted()).isEqualTo(2);
        assertThat(c.elementsDeleted()).isEqualTo(2);
    }

    @Test
    void aChangedMapValueIsDeletedThenAdded() {
        NftTable b = fromA(l -> l.replace("{ 172.30.0.2 . tcp . 80 : goto service-b }", "{ 172.30.0.2 . tcp . 80 : drop }"), "");

        NftChange c = NftDiff.between(A, b);

        assertThat(c.script().lines().toList()).containsExactly(
                "delete element ip sluice service-ips { 172.30.0.2 . tcp . 80 }",
                "add element ip sluice service-ips { 172.30.0.2 . tcp . 80 : drop }");
    }

    @Test
    void aRecreatedSetRefillsEveryChainThatNamesIt() {
        NftTable b = fromA(l -> l.replace("timeout 10800s", "timeout 60s"), "");

        NftChange c = NftDiff.between(A, b);

        assertThat(c.script().lines().toList()).containsExactly(
                "flush chain ip sluice endpoint-a1",
                "flush chain ip sluice service-a",
                "delete set ip sluice affinity-a",
                "add set ip sluice affinity-a { type ipv4_addr ; flags dynamic,timeout ; timeout 60s ; }",
                "add rule ip sluice endpoint-a1 update @affinity-a { ip saddr }",
                "add rule ip sluice endpoint-a1 meta l4proto tcp dnat to 10.244.1.2:80",
                "add rule ip sluice service-a ip saddr @affinity-a goto endpoint-a1",
                "add rule ip sluice service-a numgen random mod 1 vmap { 0 : goto endpoint-a1 }");
    }

    @Test
    void aBaseChainWithANewPriorityIsRecreatedAndATableCommentChangeReplacesTheTable() {
        NftTable b = fromA(l -> l.replace("priority -100", "priority -99"), "");

        assertThat(NftDiff.between(A, b).script().lines().toList()).containsExactly(
                "flush chain ip sluice nat-prerouting",
                "delete chain ip sluice nat-prerouting",
                "add chain ip sluice nat-prerouting { type nat hook prerouting priority -99 ; }",
                "add rule ip sluice nat-prerouting jump services");

        NftTable c = fromA(l -> l.replace("rules for sluice", "other"), "");
        assertThat(NftDiff.between(A, c).full()).isTrue();
        NftTable d = fromA(l -> l.equals("add chain ip sluice service-b") ? l + " { comment \"x\" ; }" : l, "");
        assertThat(NftDiff.between(A, d).full()).as("regular chain declaration changed").isTrue();
    }

    @Test
    void tablesMissingFromTheWantedScriptAreDeletedAndOthersDiffedIndependently() {
        NftTable v6 = NftScript.parse("add table ip6 sluice\nadd chain ip6 sluice services\n").tables().get(0);
        NftScript wanted = new NftScript(List.of(A));

        NftChange c = NftDiff.between(Map.of("ip sluice", A, "ip6 sluice", v6), wanted);

        assertThat(c.script()).isEqualTo("delete table ip6 sluice\n");
        assertThat(c.deletedTables()).containsExactly("ip6 sluice");
        assertThat(NftDiff.between(Map.of("ip sluice", A), new NftScript(List.of(A, v6))).fullTables())
                .containsExactly("ip6 sluice");
    }

    @Test
    void setReferencesAreWholeWords() {
        NftChain c = new NftChain("x", "", List.of("ip saddr @affinity-a1 goto y", "update @b { ip saddr }"));

        assertThat(NftDiff.referencesAny(c, java.util.Set.of("affinity-a"))).isFalse();
        assertThat(NftDiff.referencesAny(c, java.util.Set.of("affinity-a1"))).isTrue();
        assertThat(NftDiff.referencesAny(c, java.util.Set.of("b"))).isTrue();
    }
}
