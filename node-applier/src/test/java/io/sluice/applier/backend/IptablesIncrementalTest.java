package io.sluice.applier.backend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.applier.render.IptablesRule;
import io.sluice.applier.render.RuleSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The incremental path and the drift checks of IptablesRestoreBackend, against a fake that answers
 * {@code iptables-save} and chain listings from a scripted save text. Which commands run and with
 * what input; IptablesIncrementalIT proves the same on a kernel.
 */
class IptablesIncrementalTest {
    private static final Pattern LIST = Pattern.compile("-t (\\w+) -S ([\\w.-]+)");

    static final String PREROUTING_JUMP = "-A PREROUTING -m comment --comment \"sluice service portals\" -j SLUICE-SERVICES";
    /** The jumps of these tests (the ClusterIP skeleton's six), whatever the renderer's defaults become. */
    static final List<IptablesJump> JUMPS = List.of(
            new IptablesJump("nat", IptablesRule.append("PREROUTING").comment("sluice service portals").jump("SLUICE-SERVICES")),
            new IptablesJump("nat", IptablesRule.append("OUTPUT").comment("sluice service portals").jump("SLUICE-SERVICES")),
            new IptablesJump("nat", IptablesRule.append("POSTROUTING").comment("sluice postrouting rules").jump("SLUICE-POSTROUTING")),
            filterJump("INPUT"), filterJump("FORWARD"), filterJump("OUTPUT"));

    private static IptablesJump filterJump(String builtin) {
        return new IptablesJump("filter", IptablesRule.append(builtin).match("conntrack", "--ctstate", "NEW")
                .comment("sluice service portals").jump("SLUICE-SERVICES"));
    }

    /** A fake kernel: its state is an iptables-save text the test sets. */
    static final class FakeKernel {
        String save = "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n"
                + "*nat\n:PREROUTING ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\nCOMMIT\n";
        final FakeExec exec = new FakeExec().answer(this::answer);
        int restoreExit = 0;

        private Exec.Result answer(FakeExec.Call c) {
            String line = c.line();
            if (line.endsWith("iptables-save")) {
                return FakeExec.result(c, 0, save, "");
            }
            if (c.command().contains("sh")) {
                return FakeExec.result(c, 0, listing(c.command().get(c.command().size() - 1)), "");
            }
            if (line.contains("restore")) {
                return FakeExec.result(c, restoreExit, "", restoreExit == 0 ? "" : "iptables-restore: line 3 failed");
            }
            return FakeExec.result(c, 0, "", "");
        }

        /** What the listing script prints: per chain a marker, iptables -S lines, the exit status. */
        private String listing(String script) {
            StringBuilder out = new StringBuilder();
            Matcher m = LIST.matcher(script);
            while (m.find()) {
                String table = m.group(1);
                String chain = m.group(2);
                out.append("#sluice-chain ").append(table).append('/').append(chain).append('\n');
                List<String> rules = chainRules(table, chain);
                if (rules == null) {
                    out.append("#sluice-rc 1\n");
                } else {
                    out.append(chain.startsWith("SLUICE-") ? "-N " + chain : "-P " + chain + " ACCEPT").append('\n');
                    rules.forEach(r -> out.append(r).append('\n'));
                    out.append("#sluice-rc 0\n");
                }
            }
            return out.toString();
        }

        private List<String> chainRules(String table, String chain) {
            boolean inTable = false;
            boolean declared = false;
            List<String> rules = new ArrayList<>();
            for (String l : save.lines().toList()) {
                if (l.startsWith("*")) {
                    inTable = l.substring(1).equals(table);
                } else if (inTable && l.startsWith(":" + chain + " ")) {
                    declared = true;
                } else if (inTable && l.startsWith("-A " + chain + " ")) {
                    rules.add(l);
                }
            }
            return declared ? rules : null;
        }

        List<FakeExec.Call> restores() {
            return exec.calls.stream().filter(c -> c.line().contains("restore")).toList();
        }
    }

    static RuleSet rules(String... natLines) {
        String text = IptablesDeltaTest.text(natLines);
        Set<String> chains = new TreeSet<>(Set.of("filter/SLUICE-SERVICES"));
        for (String l : natLines) {
            if (l.startsWith(":")) {
                chains.add("nat/" + l.substring(1, l.indexOf(' ')));
            }
        }
        return new RuleSet("iptables", text, chains, 0, 0);
    }

    static final RuleSet ONE = rules(":SLUICE-SERVICES - [0:0]", ":SLUICE-POSTROUTING - [0:0]", ":SLUICE-SVC-A - [0:0]",
            ":SLUICE-SEP-A1 - [0:0]",
            "-A SLUICE-SERVICES -d 10.96.0.1/32 -p tcp -m tcp --dport 80 -j SLUICE-SVC-A",
            "-A SLUICE-SVC-A -j SLUICE-SEP-A1",
            "-A SLUICE-SEP-A1 -p tcp -m tcp -j DNAT --to-destination 10.244.0.1:80");
    static final RuleSet MOVED = rules(":SLUICE-SERVICES - [0:0]", ":SLUICE-POSTROUTING - [0:0]", ":SLUICE-SVC-A - [0:0]",
            ":SLUICE-SEP-A2 - [0:0]",
            "-A SLUICE-SERVICES -d 10.96.0.1/32 -p tcp -m tcp --dport 80 -j SLUICE-SVC-A",
            "-A SLUICE-SVC-A -j SLUICE-SEP-A2",
            "-A SLUICE-SEP-A2 -p tcp -m tcp -j DNAT --to-destination 10.244.0.2:80");

    private static IptablesRestoreBackend backend(FakeKernel k) {
        return new IptablesRestoreBackend(k.exec, List.of(), "iptables-restore", Duration.ofSeconds(5), JUMPS);
    }

    /** The kernel after a restore: the save text with the rule set's SLUICE part and all the jumps. */
    static String loaded(RuleSet rules) {
        StringBuilder sb = new StringBuilder();
        Map<String, List<String>> byTable = new LinkedHashMap<>();
        String table = null;
        for (String l : rules.text().lines().toList()) {
            if (l.startsWith("*")) {
                table = l.substring(1);
            } else if (!l.equals("COMMIT")) {
                byTable.computeIfAbsent(table, t -> new ArrayList<>()).add(l);
            }
        }
        sb.append("*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n");
        byTable.getOrDefault("filter", List.of()).stream().filter(l -> l.startsWith(":")).forEach(l -> sb.append(l).append('\n'));
        for (String c : List.of("INPUT", "FORWARD", "OUTPUT")) {
            sb.append("-A ").append(c).append(" -m conntrack --ctstate NEW -m comment --comment \"sluice service portals\" -j SLUICE-SERVICES\n");
        }
        byTable.getOrDefault("filter", List.of()).stream().filter(l -> l.startsWith("-A")).forEach(l -> sb.append(l).append('\n'));
        sb.append("COMMIT\n*nat\n:PREROUTING ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n");
        byTable.getOrDefault("nat", List.of()).stream().filter(l -> l.startsWith(":")).forEach(l -> sb.append(l).append('\n'));
        sb.append(PREROUTING_JUMP).append('\n');
        sb.append("-A OUTPUT -m comment --comment \"sluice service portals\" -j SLUICE-SERVICES\n");
        sb.append("-A POSTROUTING -m comment --comment \"sluice postrouting rules\" -j SLUICE-POSTROUTING\n");
        byTable.getOrDefault("nat", List.of()).stream().filter(l -> l.startsWith("-A")).forEach(l -> sb.append(l).append('\n'));
        return sb.append("COMMIT\n").toString();
    }

    @Test
    void theFirstSyncReadsTheKernelSendsOnlyTheDifferenceAndInsertsMissingJumps() throws Exception {
        FakeKernel k = new FakeKernel();
        ApplyReport r = backend(k).apply(ONE, SyncKind.PARTIAL, Set.of());

        assertThat(r.kind()).as("no model yet: a partial sync becomes full").isEqualTo(SyncKind.FULL);
        assertThat(k.exec.lines().get(0)).isEqualTo("iptables-save");
        assertThat(k.exec.lines().get(1)).isEqualTo("iptables-restore --noflush -w");
        assertThat(k.exec.lines().subList(2, 8)).allMatch(l -> l.startsWith("iptables -w -t ") && l.contains(" -I "));
        assertThat(k.exec.lines()).hasSize(8).noneMatch(l -> l.contains(" -C "));
        assertThat(r.chainsWritten()).contains("nat/SLUICE-SVC-A", "filter/SLUICE-SERVICES");
    }

    @Test
    void aPartialSyncOfOneEndpointChangeSendsOnlyThatServicesChainsAndChecksNoJumps() throws Exception {
        FakeKernel k = new FakeKernel();
        IptablesRestoreBackend b = backend(k);
        b.apply(ONE, SyncKind.FULL, Set.of());
        k.save = loaded(ONE);
        k.exec.calls.clear();

        ApplyReport r = b.apply(MOVED, SyncKind.PARTIAL, Set.of());

        assertThat(r.kind()).isEqualTo(SyncKind.PARTIAL);
        assertThat(k.exec.lines()).containsExactly("iptables-restore --noflush -w");
        assertThat(k.exec.calls.get(0).stdin()).isEqualTo("""
                *nat
                :SLUICE-SEP-A1 - [0:0]
                :SLUICE-SEP-A2 - [0:0]
                :SLUICE-SVC-A - [0:0]
                -A SLUICE-SEP-A2 -p tcp -m tcp -j DNAT --to-destination 10.244.0.2:80
                -A SLUICE-SVC-A -j SLUICE-SEP-A2
                -X SLUICE-SEP-A1
                COMMIT
                """);
        assertThat(r.chainsWritten()).containsExactly("nat/SLUICE-SEP-A2", "nat/SLUICE-SVC-A");
        assertThat(r.chainsDeleted()).containsExactly("nat/SLUICE-SEP-A1");
        assertThat(r.rulesWritten()).containsExactly(Map.entry("nat", 2));
    }

    @Test
    void aSyncWithNothingChangedRunsNoCommandAndAFullOneOnlyListsTheBuiltinChains() throws Exception {
        FakeKernel k = new FakeKernel();
        IptablesRestoreBackend b = backend(k);
        b.apply(ONE, SyncKind.FULL, Set.of());
        k.save = loaded(ONE);
        k.exec.calls.clear();

        ApplyReport partial = b.apply(ONE, SyncKind.PARTIAL, Set.of());
        assertThat(partial.nothingSent()).isTrue();
        assertThat(k.exec.calls).isEmpty();

        ApplyReport full = b.apply(ONE, SyncKind.FULL, Set.of());
        assertThat(full.kind()).isEqualTo(SyncKind.FULL);
        assertThat(k.exec.lines()).singleElement().asString().startsWith("sh -c ");
        assertThat(k.exec.calls.get(0).command().get(2)).contains("iptables -w -t nat -S PREROUTING")
                .contains("iptables -w -t filter -S FORWARD");
    }

    @Test
    void aRefusedRestoreMakesTheNextSyncReadTheKernelAgain() throws Exception {
        FakeKernel k = new FakeKernel();
        IptablesRestoreBackend b = backend(k);
        b.apply(ONE, SyncKind.FULL, Set.of());
        k.save = loaded(ONE);
        k.restoreExit = 2;

        assertThatThrownBy(() -> b.apply(MOVED, SyncKind.PARTIAL, Set.of())).isInstanceOf(ApplyException.class)
                .hasMessageContaining("partial sync").hasMessageContaining("keeps the previous rules");
        k.restoreExit = 0;
        k.exec.calls.clear();
        ApplyReport r = b.apply(MOVED, SyncKind.PARTIAL, Set.of());
        assertThat(r.kind()).isEqualTo(SyncKind.FULL);
        assertThat(k.exec.lines().get(0)).isEqualTo("iptables-save");
    }

    @Test
    void theCanaryFindsAFlushedDispatchChainAndAMissingJumpAndTheBackendForgetsItsModel() throws Exception {
        FakeKernel k = new FakeKernel();
        IptablesRestoreBackend b = backend(k);
        b.apply(ONE, SyncKind.FULL, Set.of());
        k.save = loaded(ONE);
        assertThat(b.checkDrift(ONE, DriftCheck.CANARY)).get().extracting(DriftReport::drifted).isEqualTo(false);
        assertThat(b.checkDrift(ONE, DriftCheck.FULL)).get().extracting(DriftReport::drifted).isEqualTo(false);

        k.save = loaded(ONE).replace("-A SLUICE-SERVICES -d 10.96.0.1/32 -p tcp -m tcp --dport 80 -j SLUICE-SVC-A\n", "")
                .replace(PREROUTING_JUMP + "\n", "");
        k.exec.calls.clear();
        Optional<DriftReport> drift = b.checkDrift(ONE, DriftCheck.CANARY);

        assertThat(k.exec.lines()).singleElement().asString().startsWith("sh -c ");
        assertThat(drift).get().satisfies(d -> {
            assertThat(d.drifted()).isTrue();
            assertThat(d.differences()).anyMatch(s -> s.startsWith("nat/SLUICE-SERVICES: 0 rules in the kernel, 1 applied"))
                    .anyMatch(s -> s.startsWith("jump missing: nat -A PREROUTING"));
        });
        k.exec.calls.clear();
        b.apply(ONE, SyncKind.FULL, Set.of());
        assertThat(k.exec.lines().get(0)).as("drift: the model is no longer trusted").isEqualTo("iptables-save");
        assertThat(k.restores().get(0).stdin()).isEqualTo("""
                *nat
                :SLUICE-SERVICES - [0:0]
                -A SLUICE-SERVICES -d 10.96.0.1/32 -p tcp -m tcp --dport 80 -j SLUICE-SVC-A
                COMMIT
                """);
        assertThat(k.exec.lines()).contains(
                "iptables -w -t nat -I PREROUTING -m comment --comment sluice service portals -j SLUICE-SERVICES");
    }

    @Test
    void theFullCheckFindsAnEditedRuleDeepInAServiceChainAndAStrayChain() throws Exception {
        FakeKernel k = new FakeKernel();
        IptablesRestoreBackend b = backend(k);
        b.apply(ONE, SyncKind.FULL, Set.of());
        k.save = loaded(ONE).replace("--to-destination 10.244.0.1:80", "--to-destination 10.244.0.66:80")
                .replace(":SLUICE-SEP-A1 - [0:0]\n", ":SLUICE-SEP-A1 - [0:0]\n:SLUICE-STRAY - [0:0]\n");

        assertThat(b.checkDrift(ONE, DriftCheck.CANARY)).get().extracting(DriftReport::drifted)
                .as("the canary looks at entry points only").isEqualTo(false);
        DriftReport full = b.checkDrift(ONE, DriftCheck.FULL).orElseThrow();
        assertThat(full.differences()).containsExactlyInAnyOrder(
                "nat/SLUICE-SEP-A1: rule 1 differs: kernel '-A SLUICE-SEP-A1 -p tcp -m tcp -j DNAT --to-destination 10.244.0.66:80',"
                        + " applied '-A SLUICE-SEP-A1 -p tcp -m tcp -j DNAT --to-destination 10.244.0.1:80'",
                "nat/SLUICE-STRAY: in the kernel, not applied by Sluice");
    }

    @Test
    void readBackAndCanonicalAgreeWhenTheKernelHoldsTheRules() throws Exception {
        FakeKernel k = new FakeKernel();
        IptablesRestoreBackend b = backend(k);
        b.apply(ONE, SyncKind.FULL, Set.of());
        k.save = loaded(ONE);
        assertThat(b.readBack()).get().isEqualTo(b.canonical(ONE));
    }

    @Test
    void theWholeRewritePathForgetsTheModel() throws Exception {
        FakeKernel k = new FakeKernel();
        IptablesRestoreBackend b = backend(k);
        b.apply(ONE, SyncKind.FULL, Set.of());
        b.apply(ONE);
        k.exec.calls.clear();
        assertThat(b.apply(ONE, SyncKind.PARTIAL, Set.of()).kind()).isEqualTo(SyncKind.FULL);
        assertThat(k.exec.lines().get(0)).isEqualTo("iptables-save");
    }
}
