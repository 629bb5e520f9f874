package io.sluice.applier.backend;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Rules as written and as iptables 1.8.9 prints them back (both flavours printed the same; recorded
 * from a namespace on this machine), which must compare equal; and rules that differ, which must not.
 */
class IptablesCanonicalTest {
    static Stream<Arguments> sameRule() {
        return Stream.of(
                Arguments.of("MARK --or-mark",
                        "-A SLUICE-MARK-MASQ -j MARK --or-mark 0x4000",
                        "-A SLUICE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000"),
                Arguments.of("MARK --xor-mark",
                        "-A SLUICE-POSTROUTING -j MARK --xor-mark 0x4000",
                        "-A SLUICE-POSTROUTING -j MARK --set-xmark 0x4000/0x0"),
                Arguments.of("MARK --set-mark",
                        "-A SLUICE-T1 -m mark --mark 0x4000/0x4000 -j MARK --set-mark 0x10",
                        "-A SLUICE-T1 -m mark --mark 0x4000/0x4000 -j MARK --set-xmark 0x10/0xffffffff"),
                Arguments.of("MARK --and-mark",
                        "-A SLUICE-T1 -j MARK --and-mark 0x10",
                        "-A SLUICE-T1 -j MARK --set-xmark 0x0/0xffffffef"),
                Arguments.of("MARK --set-mark with mask",
                        "-A SLUICE-T1 -j MARK --set-mark 0x10/0xff",
                        "-A SLUICE-T1 -j MARK --set-xmark 0x10/0xff"),
                Arguments.of("REJECT default, IPv4",
                        "-A SLUICE-SERVICES -d 172.30.0.41/32 -p tcp -m comment --comment \"ns1/svc1:p80 has no endpoints\" -m tcp --dport 80 -j REJECT",
                        "-A SLUICE-SERVICES -d 172.30.0.41/32 -p tcp -m comment --comment \"ns1/svc1:p80 has no endpoints\" -m tcp --dport 80 -j REJECT --reject-with icmp-port-unreachable"),
                Arguments.of("REJECT default, IPv6",
                        "-A SLUICE-F -j REJECT",
                        "-A SLUICE-F -j REJECT --reject-with icmp6-port-unreachable"),
                Arguments.of("probability 1/3",
                        "-A SLUICE-SVC-X -m comment --comment \"ns1/svc1:p80 -> 10.244.1.2:80\" -m statistic --mode random --probability 0.3333333333 -j SLUICE-SEP-Y",
                        "-A SLUICE-SVC-X -m comment --comment \"ns1/svc1:p80 -> 10.244.1.2:80\" -m statistic --mode random --probability 0.33333333349 -j SLUICE-SEP-Y"),
                Arguments.of("probability 1/2", "-A C -m statistic --mode random --probability 0.5000000000 -j R",
                        "-A C -m statistic --mode random --probability 0.50000000000 -j R"),
                Arguments.of("probability 1/5", "-A C -m statistic --mode random --probability 0.2000000000 -j R",
                        "-A C -m statistic --mode random --probability 0.20000000019 -j R"),
                Arguments.of("probability 1/7", "-A C -m statistic --mode random --probability 0.1428571429 -j R",
                        "-A C -m statistic --mode random --probability 0.14285714272 -j R"),
                Arguments.of("recent --rcheck",
                        "-A SLUICE-T1 -m comment --comment \"ns/a:p -> 10.0.0.1:80\" -m recent --name SLUICE-T2 --rcheck --seconds 10800 --reap -j SLUICE-T2",
                        "-A SLUICE-T1 -m comment --comment \"ns/a:p -> 10.0.0.1:80\" -m recent --rcheck --seconds 10800 --reap --name SLUICE-T2 --mask 255.255.255.255 --rsource -j SLUICE-T2"),
                Arguments.of("recent --set, host address, quoting",
                        "-A SLUICE-T1 -s 10.0.0.1 -d 10.96.0.0/12 -p udp -m comment --comment \"x\" -m recent --name SLUICE-T2 --set -m udp -j DNAT --to-destination 10.0.0.1:53",
                        "-A SLUICE-T1 -s 10.0.0.1/32 -d 10.96.0.0/12 -p udp -m comment --comment x -m recent --set --name SLUICE-T2 --mask 255.255.255.255 --rsource -m udp -j DNAT --to-destination 10.0.0.1:53"),
                Arguments.of("recent, IPv6, compressed address",
                        "-A SLUICE-T1 -s fd00:0:0::1 -d fd00::/64 -p tcp -m comment --comment \"x\" -m recent --name SLUICE-T2 --set -m tcp -j DNAT --to-destination [fd00::1]:80",
                        "-A SLUICE-T1 -s fd00::1/128 -d fd00::/64 -p tcp -m comment --comment x -m recent --set --name SLUICE-T2 --mask ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff --rsource -m tcp -j DNAT --to-destination [fd00::1]:80"),
                Arguments.of("implicit -m tcp", "-A SLUICE-T1 -p tcp --dport 30000 -j SLUICE-T2",
                        "-A SLUICE-T1 -p tcp -m tcp --dport 30000 -j SLUICE-T2"),
                Arguments.of("host bits under the prefix", "-A C -d 10.96.0.10/12 -j R", "-A C -d 10.96.0.0/12 -j R"),
                Arguments.of("IPv6 upper case, leading zeros", "-A C -d FD00:0000:0:0::0A/128 -j R", "-A C -d fd00::a/128 -j R"),
                Arguments.of("mark match full mask", "-A C -m mark --mark 0x4000/0xffffffff -j R", "-A C -m mark --mark 0x4000 -j R"),
                Arguments.of("extra spaces", "-A C  -j   ACCEPT ", "-A C -j ACCEPT"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("sameRule")
    void aRuleAndTheKernelsPrintingOfItAreEqual(String name, String written, String printed) {
        assertThat(IptablesCanonical.rule(written)).isEqualTo(IptablesCanonical.rule(printed));
        assertThat(IptablesCanonical.rule(IptablesCanonical.rule(printed))).as("idempotent")
                .isEqualTo(IptablesCanonical.rule(printed));
    }

    static Stream<Arguments> differentRules() {
        return Stream.of(
                Arguments.of("other probability", "-A C -m statistic --mode random --probability 0.3333333333 -j R",
                        "-A C -m statistic --mode random --probability 0.50000000000 -j R"),
                Arguments.of("other mark", "-A C -j MARK --or-mark 0x4000", "-A C -j MARK --set-xmark 0x4000/0x0"),
                Arguments.of("other reject", "-A C -j REJECT", "-A C -j REJECT --reject-with tcp-reset"),
                Arguments.of("other comment", "-A C -m comment --comment \"a b\" -j R", "-A C -m comment --comment \"a c\" -j R"),
                Arguments.of("negated source", "-A C ! -s 10.0.0.0/8 -j R", "-A C -s 10.0.0.0/8 -j R"),
                Arguments.of("other recent name", "-A C -m recent --name A --set -j R", "-A C -m recent --set --name B -j R"),
                Arguments.of("other prefix", "-A C -d 10.0.0.0/8 -j R", "-A C -d 10.0.0.0/16 -j R"),
                Arguments.of("other destination", "-A C -j DNAT --to-destination 10.0.0.1:80",
                        "-A C -j DNAT --to-destination 10.0.0.1:81"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("differentRules")
    void rulesThatDifferStayDifferent(String name, String a, String b) {
        assertThat(IptablesCanonical.rule(a)).isNotEqualTo(IptablesCanonical.rule(b));
    }

    @Test
    void tokensHonourQuotesAndEscapes() {
        assertThat(IptablesCanonical.tokens("-A C -m comment --comment \"a \\\"b\\\" c\" -j R"))
                .containsExactly("-A", "C", "-m", "comment", "--comment", "a \"b\" c", "-j", "R");
        assertThat(IptablesCanonical.join(List.of("--comment", "a b", "x", "")))
                .isEqualTo("--comment \"a b\" x \"\"");
    }

    @Test
    void linesThatAreNotRulesAreOnlyStripped() {
        assertThat(IptablesCanonical.rule(":SLUICE-X - [0:0] ")).isEqualTo(":SLUICE-X - [0:0]");
    }
}
