package io.sluice.applier.backend;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Which restore input turns one rule set into another. */
class IptablesDeltaTest {
    static String text(String... natLines) {
        StringBuilder sb = new StringBuilder("*filter\n:SLUICE-SERVICES - [0:0]\nCOMMIT\n*nat\n");
        List<String> decl = new ArrayList<>();
        List<String> rules = new ArrayList<>();
        for (String l : natLines) {
            (l.startsWith(":") ? decl : rules).add(l);
        }
        decl.forEach(l -> sb.append(l).append('\n'));
        rules.forEach(l -> sb.append(l).append('\n'));
        return sb.append("COMMIT\n").toString();
    }

    static final String BASE = text(":SLUICE-SERVICES - [0:0]", ":SLUICE-SVC-A - [0:0]", ":SLUICE-SEP-A1 - [0:0]",
            "-A SLUICE-SERVICES -d 10.96.0.1/32 -p tcp -m tcp --dport 80 -j SLUICE-SVC-A",
            "-A SLUICE-SVC-A -j SLUICE-SEP-A1",
            "-A SLUICE-SEP-A1 -p tcp -m tcp -j DNAT --to-destination 10.244.0.1:80");

    @Test
    void equalRuleSetsSendNothing() {
        IptablesDelta.Plan p = IptablesDelta.plan(IptablesRules.parseRendered(BASE), IptablesRules.parseRendered(BASE));
        assertThat(p.isEmpty()).isTrue();
        assertThat(p.written()).isEmpty();
    }

    @Test
    void anEndpointChangeRewritesOnlyThatServicesChainsNotTheDispatchChain() {
        String next = text(":SLUICE-SERVICES - [0:0]", ":SLUICE-SVC-A - [0:0]", ":SLUICE-SEP-A2 - [0:0]",
                "-A SLUICE-SERVICES -d 10.96.0.1/32 -p tcp -m tcp --dport 80 -j SLUICE-SVC-A",
                "-A SLUICE-SVC-A -j SLUICE-SEP-A2",
                "-A SLUICE-SEP-A2 -p tcp -m tcp -j DNAT --to-destination 10.244.0.2:80");
        IptablesDelta.Plan p = IptablesDelta.plan(IptablesRules.parseRendered(BASE), IptablesRules.parseRendered(next));
        assertThat(p.input()).isEqualTo("""
                *nat
                :SLUICE-SEP-A1 - [0:0]
                :SLUICE-SEP-A2 - [0:0]
                :SLUICE-SVC-A - [0:0]
                -A SLUICE-SEP-A2 -p tcp -m tcp -j DNAT --to-destination 10.244.0.2:80
                -A SLUICE-SVC-A -j SLUICE-SEP-A2
                -X SLUICE-SEP-A1
                COMMIT
                """);
        assertThat(p.written()).containsExactly("nat/SLUICE-SEP-A2", "nat/SLUICE-SVC-A");
        assertThat(p.deleted()).containsExactly("nat/SLUICE-SEP-A1");
        assertThat(p.rulesWritten()).containsEntry("nat", 2).doesNotContainKey("filter");
    }

    @Test
    void aLongDispatchChainIsEditedInPlaceWhenAServiceComes() {
        List<String> before = new ArrayList<>(List.of(":SLUICE-SERVICES - [0:0]"));
        List<String> after = new ArrayList<>(List.of(":SLUICE-SERVICES - [0:0]", ":SLUICE-SVC-NEW - [0:0]"));
        for (int i = 0; i < 100; i++) {
            before.add(":SLUICE-SVC-" + i + " - [0:0]");
            after.add(":SLUICE-SVC-" + i + " - [0:0]");
        }
        for (int i = 0; i < 100; i++) {
            String rule = "-A SLUICE-SERVICES -d 10.96.0." + i + "/32 -p tcp -m tcp --dport 80 -j SLUICE-SVC-" + i;
            before.add(rule);
            after.add(rule);
            if (i == 41) {
                after.add("-A SLUICE-SERVICES -d 10.96.1.1/32 -p tcp -m tcp --dport 80 -j SLUICE-SVC-NEW");
            }
        }
        after.add("-A SLUICE-SVC-NEW -j RETURN");
        before.remove("-A SLUICE-SERVICES -d 10.96.0.7/32 -p tcp -m tcp --dport 80 -j SLUICE-SVC-7");
        after.remove("-A SLUICE-SERVICES -d 10.96.0.7/32 -p tcp -m tcp --dport 80 -j SLUICE-SVC-7");
        before.add("-A SLUICE-SERVICES -d 10.96.0.250/32 -p tcp -m tcp --dport 80 -j SLUICE-SVC-1");

        IptablesDelta.Plan p = IptablesDelta.plan(IptablesRules.parseRendered(text(before.toArray(String[]::new))),
                IptablesRules.parseRendered(text(after.toArray(String[]::new))));

        assertThat(p.input()).isEqualTo("""
                *nat
                :SLUICE-SVC-NEW - [0:0]
                -A SLUICE-SVC-NEW -j RETURN
                -D SLUICE-SERVICES -d 10.96.0.250/32 -p tcp -m tcp --dport 80 -j SLUICE-SVC-1
                -I SLUICE-SERVICES 42 -d 10.96.1.1/32 -p tcp -m tcp --dport 80 -j SLUICE-SVC-NEW
                COMMIT
                """);
        assertThat(p.edited()).containsExactly("nat/SLUICE-SERVICES");
        assertThat(p.rulesWritten()).containsEntry("nat", 2);
    }

    @Test
    void aShortChainOrOneWithManyChangesIsRewrittenWhole() {
        List<String> before = new ArrayList<>(List.of(":SLUICE-SERVICES - [0:0]"));
        List<String> after = new ArrayList<>(List.of(":SLUICE-SERVICES - [0:0]"));
        for (int i = 0; i < 40; i++) {
            before.add("-A SLUICE-SERVICES -d 10.96.0." + i + "/32 -j RETURN");
            after.add("-A SLUICE-SERVICES -d 10.96.1." + i + "/32 -j RETURN");
        }
        IptablesDelta.Plan p = IptablesDelta.plan(IptablesRules.parseRendered(text(before.toArray(String[]::new))),
                IptablesRules.parseRendered(text(after.toArray(String[]::new))));
        assertThat(p.edited()).isEmpty();
        assertThat(p.input()).startsWith("*nat\n:SLUICE-SERVICES - [0:0]\n-A SLUICE-SERVICES -d 10.96.1.0/32");
    }

    @Test
    void againstAReadBackKernelTheKernelsPrintingIsNoDifference() {
        String rendered = text(":SLUICE-MARK-MASQ - [0:0]", ":SLUICE-SVC-A - [0:0]",
                "-A SLUICE-MARK-MASQ -j MARK --or-mark 0x4000",
                "-A SLUICE-SVC-A -m statistic --mode random --probability 0.3333333333 -j SLUICE-MARK-MASQ");
        String save = """
                # Generated by iptables-save v1.8.9 (nf_tables)
                *filter
                :INPUT ACCEPT [0:0]
                :SLUICE-SERVICES - [0:0]
                COMMIT
                *nat
                :PREROUTING ACCEPT [0:0]
                :KUBE-SERVICES - [0:0]
                :SLUICE-MARK-MASQ - [0:0]
                :SLUICE-OLD - [0:0]
                :SLUICE-SVC-A - [0:0]
                -A PREROUTING -m comment --comment "sluice service portals" -j SLUICE-SERVICES
                -A KUBE-SERVICES -j RETURN
                -A SLUICE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000
                -A SLUICE-SVC-A -m statistic --mode random --probability 0.33333333349 -j SLUICE-MARK-MASQ
                COMMIT
                """;
        IptablesRules kernel = IptablesRules.parseSave(save);
        assertThat(kernel.canonical()).isTrue();
        assertThat(kernel.qualifiedChains()).containsExactly("filter/SLUICE-SERVICES", "nat/SLUICE-MARK-MASQ",
                "nat/SLUICE-OLD", "nat/SLUICE-SVC-A");
        assertThat(kernel.jumps("nat")).containsExactly("-A PREROUTING -m comment --comment \"sluice service portals\" -j SLUICE-SERVICES");

        IptablesDelta.Plan p = IptablesDelta.plan(kernel, IptablesRules.parseRendered(rendered));

        assertThat(p.input()).isEqualTo("*nat\n:SLUICE-OLD - [0:0]\n-X SLUICE-OLD\nCOMMIT\n");
    }
}
