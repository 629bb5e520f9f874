package io.sluice.applier.render.nft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class NftScriptTest {
    static final String TEXT = """
            add table ip sluice { comment "rules for sluice" ; }

            add map ip sluice service-ips { type ipv4_addr . inet_proto . inet_service : verdict ; }
            add set ip sluice cluster-ips { type ipv4_addr ; comment "Active ClusterIPs" ; }

            add chain ip sluice nat-prerouting { type nat hook prerouting priority -100 ; }
            add chain ip sluice service-ULMVA6XW-ns1/svc1/tcp/p80
            add chain ip sluice services

            add rule ip sluice nat-prerouting jump services
            add rule ip sluice service-ULMVA6XW-ns1/svc1/tcp/p80 numgen random mod 1 vmap { 0 : goto services }
            add rule ip sluice services ip daddr . meta l4proto . th dport vmap @service-ips

            add element ip sluice cluster-ips { 172.30.0.41 }
            add element ip sluice service-ips { 172.30.0.41 . tcp . 80 comment "ns1/svc1:p80" : goto service-ULMVA6XW-ns1/svc1/tcp/p80 }
            """;

    @Test
    void parsesEveryKindOfLine() {
        NftTable t = NftScript.parse(TEXT).tables().get(0);

        assertThat(t.qualifiedName()).isEqualTo("ip sluice");
        assertThat(t.spec()).isEqualTo("{ comment \"rules for sluice\" ; }");
        assertThat(t.chains().keySet()).containsExactly("nat-prerouting", "service-ULMVA6XW-ns1/svc1/tcp/p80", "services");
        assertThat(t.chains().get("nat-prerouting").isBaseChain()).isTrue();
        assertThat(t.chains().get("services").rules()).containsExactly("ip daddr . meta l4proto . th dport vmap @service-ips");
        assertThat(t.sets().get("service-ips").map()).isTrue();
        assertThat(t.sets().get("cluster-ips").map()).isFalse();
        assertThat(t.sets().get("service-ips").elements()).containsEntry("172.30.0.41 . tcp . 80",
                "172.30.0.41 . tcp . 80 comment \"ns1/svc1:p80\" : goto service-ULMVA6XW-ns1/svc1/tcp/p80");
        assertThat(t.ruleCount()).isEqualTo(3);
        assertThat(t.elementCount()).isEqualTo(2);
    }

    @Test
    void canonicalTextRoundTrips() {
        NftScript parsed = NftScript.parse(TEXT);
        String canonical = parsed.toText();

        assertThat(NftScript.parse(canonical)).isEqualTo(parsed);
        assertThat(NftScript.parse(canonical).toText()).isEqualTo(canonical);
        // sets sorted by name, declarations before rules, rules before elements
        List<String> lines = canonical.lines().filter(l -> !l.isBlank()).toList();
        assertThat(lines.get(1)).startsWith("add set ip sluice cluster-ips");
        assertThat(lines.get(2)).startsWith("add map ip sluice service-ips");
        assertThat(lines.get(lines.size() - 1)).startsWith("add element ip sluice service-ips");
    }

    @Test
    void readsSeveralTablesInTextOrder() {
        String text = "add table ip6 sluice\nadd chain ip6 sluice services\nadd table ip sluice\n"
                + "add chain ip sluice services\nadd rule ip6 sluice services ip6 daddr ::1 drop\n";
        NftScript s = NftScript.parse(text);

        assertThat(s.byName().keySet()).containsExactly("ip6 sluice", "ip sluice");
        assertThat(s.byName().get("ip6 sluice").chains().get("services").rules()).containsExactly("ip6 daddr ::1 drop");
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "flush table ip sluice",
        "add chain ip sluice services",
        "add table ip sluice\nadd rule ip sluice missing drop",
        "add table ip sluice\nadd element ip sluice nowhere { 1.2.3.4 }",
        "add table ip sluice\nadd set ip sluice s { type ipv4_addr ; }\nadd element ip sluice s { 1.2.3.4, 5.6.7.8 }",
        "add table ip sluice\nadd set ip sluice s { type ipv4_addr ; }\nadd element ip sluice s { 1.2.3.4 : drop }",
        "add table ip sluice\nadd set ip sluice s",
        "add table ip sluice\nadd table ip sluice",
        "add table ip sluice\nadd chain ip sluice bad name",
        "add table ip sluice\nadd chain ip sluice c\nadd chain ip sluice c { type nat hook output priority -100 ; }",
        "add table ip sluice\nadd widget ip sluice w",
    })
    void rejectsWhatItDoesNotUnderstandNamingTheLine(String text) {
        assertThatThrownBy(() -> NftScript.parse(text))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("line ");
    }

    @Test
    void elementKeysStopAtCommentOrValue() {
        assertThat(NftSet.keyOf("10.0.0.1 . tcp . 80 comment \"a : b\" : drop")).isEqualTo("10.0.0.1 . tcp . 80");
        assertThat(NftSet.keyOf("tcp . 30080 : goto external-X")).isEqualTo("tcp . 30080");
        assertThat(NftSet.keyOf("fd00::1 . udp . 53 : goto x")).isEqualTo("fd00::1 . udp . 53");
        assertThat(NftSet.keyOf("192.0.2.7")).isEqualTo("192.0.2.7");
    }
}
