package io.sluice.applier.backend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.applier.render.RuleSet;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Which commands the backend runs, against a fake; IptablesRestoreBackendIT proves them on a kernel. */
class IptablesRestoreBackendTest {
    private static final List<String> NETNS = List.of("ip", "netns", "exec", "lab-node1");
    private static final String SAVE_WITH_OLD_CHAINS = """
            *filter
            :INPUT ACCEPT [0:0]
            :SLUICE-SERVICES - [0:0]
            COMMIT
            *nat
            :PREROUTING ACCEPT [0:0]
            :KUBE-SERVICES - [0:0]
            :SLUICE-SERVICES - [0:0]
            :SLUICE-SVC-OLD - [0:0]
            COMMIT
            """;

    static RuleSet ruleSet(String... natChains) {
        StringBuilder text = new StringBuilder("*filter\n:SLUICE-SERVICES - [0:0]\nCOMMIT\n*nat\n");
        Set<String> chains = new java.util.TreeSet<>(Set.of("filter/SLUICE-SERVICES"));
        for (String c : natChains) {
            text.append(':').append(c).append(" - [0:0]\n");
            chains.add("nat/" + c);
        }
        text.append("COMMIT\n");
        return new RuleSet("iptables", text.toString(), chains, 0, 0);
    }

    @Test
    void firstApplyReadsSaveDeletesStaleChainsThenEnsuresJumps() throws Exception {
        FakeExec exec = new FakeExec().answer(c -> c.line().endsWith("iptables-save")
                ? FakeExec.result(c, 0, SAVE_WITH_OLD_CHAINS, "")
                : FakeExec.result(c, c.command().contains("-C") ? 1 : 0, "", ""));
        IptablesRestoreBackend backend = new IptablesRestoreBackend(exec, NETNS, "iptables-restore", Duration.ofSeconds(7));

        backend.apply(ruleSet("SLUICE-SERVICES", "SLUICE-MARK-MASQ", "SLUICE-POSTROUTING"));

        assertThat(exec.lines().get(0)).isEqualTo("ip netns exec lab-node1 iptables-save");
        assertThat(exec.lines().get(1)).isEqualTo("ip netns exec lab-node1 iptables-restore --noflush -w");
        assertThat(exec.calls.get(1).stdin()).contains(":SLUICE-SVC-OLD - [0:0]\n", "-X SLUICE-SVC-OLD\nCOMMIT")
                .doesNotContain("KUBE-");
        List<String> expected = new java.util.ArrayList<>();
        for (IptablesJump j : IptablesJump.defaults()) { // kube-proxy's jumps, each checked then inserted
            String rule = j.rule().chain() + " " + String.join(" ", j.rule().arguments());
            expected.add("ip netns exec lab-node1 iptables -w -t " + j.table() + " -C " + rule);
            expected.add("ip netns exec lab-node1 iptables -w -t " + j.table() + " -I " + rule);
        }
        assertThat(exec.lines().subList(2, exec.lines().size())).containsExactlyElementsOf(expected);
        assertThat(expected).contains("ip netns exec lab-node1 iptables -w -t filter -I FORWARD -m conntrack --ctstate NEW"
                + " -m comment --comment sluice service portals -j SLUICE-SERVICES");
        assertThat(exec.calls).allMatch(c -> c.timeout().equals(Duration.ofSeconds(7)));
    }

    @Test
    void laterAppliesDeleteWhatThePreviousRuleSetHadWithoutReadingSave() throws Exception {
        FakeExec exec = new FakeExec();
        IptablesRestoreBackend backend = new IptablesRestoreBackend(exec, List.of(), "iptables-legacy-restore", Duration.ofSeconds(5));
        backend.apply(ruleSet("SLUICE-SERVICES", "SLUICE-POSTROUTING", "SLUICE-SVC-A", "SLUICE-SEP-A"));
        exec.calls.clear();

        backend.apply(ruleSet("SLUICE-SERVICES", "SLUICE-POSTROUTING"));

        assertThat(exec.lines()).noneMatch(l -> l.contains("save"));
        assertThat(exec.lines().get(0)).isEqualTo("iptables-legacy-restore --noflush -w");
        assertThat(exec.calls.get(0).stdin()).contains("-X SLUICE-SEP-A\n-X SLUICE-SVC-A\nCOMMIT");
        assertThat(exec.lines().get(1)).startsWith("iptables-legacy -w -t filter -C INPUT");
        assertThat(exec.lines()).hasSize(1 + IptablesJump.defaults().size()); // jumps already present: checks only
    }

    @Test
    void refusedRestoreThrowsWithExitCodeAndStderrAndForcesARereadOfSave() throws Exception {
        FakeExec exec = new FakeExec();
        IptablesRestoreBackend backend = new IptablesRestoreBackend(exec, List.of(), "iptables-restore", Duration.ofSeconds(5));
        backend.apply(ruleSet("SLUICE-SERVICES", "SLUICE-POSTROUTING"));
        exec.answer(c -> c.line().contains("restore")
                ? FakeExec.result(c, 2, "", "iptables-restore: line 7 failed\n")
                : FakeExec.result(c, 0, "", ""));

        assertThatThrownBy(() -> backend.apply(ruleSet("SLUICE-SERVICES", "SLUICE-POSTROUTING")))
                .isInstanceOf(ApplyException.class)
                .hasMessageContaining("exited 2").hasMessageContaining("line 7 failed")
                .hasMessageContaining("keeps the previous rules");
        exec.calls.clear();
        exec.answer(c -> FakeExec.result(c, 0, "", ""));
        backend.apply(ruleSet("SLUICE-SERVICES", "SLUICE-POSTROUTING"));
        assertThat(exec.lines().get(0)).isEqualTo("iptables-save");
    }

    @Test
    void cleanupDeletesEveryCopyOfEachJumpThenEverySluiceChain() throws Exception {
        int[] copies = {2}; // the nat PREROUTING jump is there twice
        FakeExec exec = new FakeExec().answer(c -> {
            String l = c.line();
            if (l.equals("iptables-save")) {
                return FakeExec.result(c, 0, SAVE_WITH_OLD_CHAINS, "");
            }
            if (l.contains(" -C PREROUTING")) {
                return FakeExec.result(c, copies[0] > 0 ? 0 : 1, "", "");
            }
            if (l.contains(" -D PREROUTING")) {
                copies[0]--;
            }
            return FakeExec.result(c, l.contains(" -C ") ? 1 : 0, "", "");
        });
        IptablesRestoreBackend backend = new IptablesRestoreBackend(exec, List.of(), "iptables-restore", Duration.ofSeconds(5));

        backend.cleanup();

        assertThat(exec.lines().stream().filter(l -> l.contains(" -D ")).toList()).hasSize(2).allMatch(l -> l.contains("PREROUTING"));
        FakeExec.Call restore = exec.calls.stream().filter(c -> c.line().contains("restore")).findFirst().orElseThrow();
        assertThat(restore.stdin()).isEqualTo("""
                *filter
                :SLUICE-SERVICES - [0:0]
                -X SLUICE-SERVICES
                COMMIT
                *nat
                :SLUICE-SERVICES - [0:0]
                :SLUICE-SVC-OLD - [0:0]
                -X SLUICE-SERVICES
                -X SLUICE-SVC-OLD
                COMMIT
                """);
    }

    @Test
    void refusesOtherModesAndOddBinaries() {
        IptablesRestoreBackend backend = new IptablesRestoreBackend(new FakeExec(), List.of(), "iptables-restore", Duration.ofSeconds(1));
        assertThatThrownBy(() -> backend.apply(new RuleSet("nftables", "", Set.of(), 0, 0)))
                .isInstanceOf(ApplyException.class).hasMessageContaining("nftables");
        assertThatThrownBy(() -> new IptablesRestoreBackend(List.of(), "nft"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("-restore");
    }

    @Test
    void describesWhereItWrites() {
        assertThat(new IptablesRestoreBackend(NETNS).describe()).isEqualTo("iptables (iptables-restore) in netns lab-node1");
        assertThat(new IptablesRestoreBackend(List.of(), "iptables-legacy-restore").describe())
                .isEqualTo("iptables (iptables-legacy-restore) on the host");
    }
}
