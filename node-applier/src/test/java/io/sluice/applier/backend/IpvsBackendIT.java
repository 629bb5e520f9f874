package io.sluice.applier.backend;

import static io.sluice.applier.backend.IpvsKernel.EXEC;
import static io.sluice.applier.backend.IpvsKernel.TIMEOUT;
import static io.sluice.applier.backend.IpvsKernel.in;
import static io.sluice.applier.backend.IpvsKernel.run;
import static io.sluice.applier.backend.IpvsKernel.runResult;
import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.applier.render.IpsetContent;
import io.sluice.applier.render.IpvsNames;
import io.sluice.applier.render.IpvsParts;
import io.sluice.applier.render.IpvsRenderer;
import io.sluice.applier.render.IpvsScenarios;
import io.sluice.applier.render.IpvsTable;
import io.sluice.applier.render.RuleSet;
import io.sluice.schema.model.IpFamily;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link IpvsBackend} end to end on a kernel with ip_vs, in network namespaces this test creates:
 * IPVS, ipsets, iptables and the dummy interface hold exactly the rendered rule set; a second
 * apply sends nothing; a change converges; both families share one namespace; cleanup leaves
 * nothing. Where the kernel has no ip_vs the whole class skips and says why (IpvsKernelPartsIT
 * still runs everything that does not need it).
 */
class IpvsBackendIT {
    private static final IpvsKernel.Namespaces NS = new IpvsKernel.Namespaces("ipvsb");

    private static Optional<String> cannotRun = Optional.empty();

    @BeforeAll
    static void prerequisites() {
        cannotRun = IpvsKernel.missingPrerequisite("ip", "ipset", "ipvsadm", "iptables-restore", "ip6tables-restore",
                "sysctl").or(IpvsKernel::ipvsUnavailable);
        cannotRun.ifPresent(why -> System.err.println("IpvsBackendIT skips every test: " + why));
    }

    /** Per test, so that each one reports itself skipped with the reason (a class-level skip shows no message). */
    @BeforeEach
    void skipWithoutIpvs() {
        Assumptions.assumeTrue(cannotRun.isEmpty(), cannotRun.orElse(""));
    }

    @AfterAll
    static void deleteNamespaces() throws Exception {
        NS.deleteAll();
    }

    private static IpvsBackend backend(String ns, IpFamily family) {
        return new IpvsBackend(EXEC, in(ns), family, false, TIMEOUT, IpvsBackend.Settings.defaults());
    }

    private static void assertKernelHolds(String ns, RuleSet rules) throws Exec.ExecException {
        IpvsParts parts = IpvsRenderer.parts(rules);
        IpvsTable ipvs = IpvsTable.parse(run(ns, null, "ipvsadm", "-S", "-n")).ofFamily(parts.family());
        assertThat(ipvs).isEqualTo(parts.ipvsTable());
        assertThat(IpsetContent.parse(run(ns, null, "ipset", "save")).only(IpvsNames.setNames(parts.family())))
                .isEqualTo(parts.ipsetContent());
        assertThat(BoundAddresses.parse(run(ns, null, "ip", "-o", "addr", "show", "dev", IpvsNames.DUMMY_INTERFACE),
                parts.family())).containsExactlyInAnyOrderElementsOf(parts.boundAddresses());
        String save = run(ns, null, parts.family() == IpFamily.IPV6 ? "ip6tables-save" : "iptables-save");
        for (IptablesJump j : IpvsBackend.jumps()) {
            assertThat(save).containsOnlyOnce(j.rule().render());
        }
    }

    @Test
    void appliesEveryBehaviourThenOnlyChangesThenCleansUp() throws Exception {
        String ns = NS.create("v4");
        IpvsBackend backend = backend(ns, IpFamily.IPV4);
        RuleSet all = IpvsScenarios.render(IpvsScenarios.everything(), IpFamily.IPV4);

        backend.apply(all);
        assertKernelHolds(ns, all);

        backend.apply(all); // nothing to do
        assertKernelHolds(ns, all);

        RuleSet one = IpvsScenarios.render(IpvsScenarios.behaviour("session-affinity"), IpFamily.IPV4);
        backend(ns, IpFamily.IPV4).apply(one); // a restarted applier reads the kernel and converges
        assertKernelHolds(ns, one);

        backend.cleanup();
        assertThat(IpvsTable.parse(run(ns, null, "ipvsadm", "-S", "-n")).services()).isEmpty();
        assertThat(run(ns, null, "iptables-save")).doesNotContain("SLUICE-");
        assertThat(run(ns, null, "ipset", "list", "-n")).doesNotContain("SLUICE-");
        assertThat(runResult(ns, null, "ip", "link", "show", "dev", IpvsNames.DUMMY_INTERFACE).ok()).isFalse();
    }

    @Test
    void theRenderedShellScriptAloneGivesAFreshNodeEverythingAndTheBackendThenHasNothingToSend() throws Exception {
        String ns = NS.create("script");
        RuleSet all = IpvsScenarios.render(IpvsScenarios.everything(), IpFamily.IPV4);

        run(ns, IpvsRenderer.parts(all).shellScript(), "sh");
        assertKernelHolds(ns, all);

        java.util.List<String> commands = new java.util.ArrayList<>();
        Exec recording = (command, stdin, timeout) -> {
            commands.add(String.join(" ", command.subList(4, command.size())));
            return EXEC.run(command, stdin, timeout);
        };
        new IpvsBackend(recording, in(ns), IpFamily.IPV4, false, TIMEOUT, IpvsBackend.Settings.defaults()).apply(all);
        assertThat(commands).doesNotContain("ipvsadm -R", "ipset restore -exist", "ip -batch -");
        assertKernelHolds(ns, all);
    }

    @Test
    void bothFamiliesShareTheNamespaceWithoutTouchingEachOther() throws Exception {
        String ns = NS.create("dual");
        RuleSet v4 = IpvsScenarios.render(IpvsScenarios.behaviour("dual-stack"), IpFamily.IPV4);
        RuleSet v6 = IpvsScenarios.render(IpvsScenarios.behaviour("dual-stack"), IpFamily.IPV6);
        IpvsBackend b4 = backend(ns, IpFamily.IPV4);
        IpvsBackend b6 = backend(ns, IpFamily.IPV6);

        b4.apply(v4);
        b6.apply(v6);
        assertKernelHolds(ns, v4);
        assertKernelHolds(ns, v6);

        RuleSet empty4 = IpvsScenarios.render(IpvsScenarios.behaviour("headless-externalname-ignored"), IpFamily.IPV4);
        b4.apply(empty4);
        assertKernelHolds(ns, empty4);
        assertKernelHolds(ns, v6);
    }
}
