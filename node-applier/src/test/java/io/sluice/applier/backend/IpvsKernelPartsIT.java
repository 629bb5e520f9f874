package io.sluice.applier.backend;

import static io.sluice.applier.backend.IpvsKernel.EXEC;
import static io.sluice.applier.backend.IpvsKernel.TIMEOUT;
import static io.sluice.applier.backend.IpvsKernel.in;
import static io.sluice.applier.backend.IpvsKernel.run;
import static io.sluice.applier.backend.IpvsKernel.runResult;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.applier.render.IpsetContent;
import io.sluice.applier.render.IpvsNames;
import io.sluice.applier.render.IpvsParts;
import io.sluice.applier.render.IpvsRenderer;
import io.sluice.applier.render.IpvsScenarios;
import io.sluice.applier.render.RuleSet;
import io.sluice.schema.model.IpFamily;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The parts of IPVS mode that need no ip_vs, on this machine's real kernel, each test in a network
 * namespace it creates: the rendered ipset part loads and reads back exactly as rendered (so the
 * backend's diffs compare like with like); the iptables part loads after it, jumps included; the
 * backend's set phase sends only differences; addresses bind and unbind; without ip_vs the full
 * apply fails naming the tool, and cleanup still removes everything else. IpvsBackendIT covers
 * the IPVS table itself where the kernel has ip_vs.
 */
class IpvsKernelPartsIT {
    private static final IpvsKernel.Namespaces NS = new IpvsKernel.Namespaces("ipvsk");

    private static Optional<String> cannotRun = Optional.empty();

    @BeforeAll
    static void prerequisites() {
        cannotRun = IpvsKernel.missingPrerequisite("ip", "ipset", "iptables-restore", "iptables-save",
                "ip6tables-restore", "ip6tables-save", "iptables");
        cannotRun.ifPresent(why -> System.err.println("IpvsKernelPartsIT skips every test: " + why));
    }

    /** Per test, so that each one reports itself skipped with the reason. */
    @BeforeEach
    void skipWithoutPrerequisites() {
        Assumptions.assumeTrue(cannotRun.isEmpty(), cannotRun.orElse(""));
    }

    @AfterAll
    static void deleteNamespaces() throws Exception {
        NS.deleteAll();
    }

    private static IpvsParts parts(RuleSet rules) {
        return IpvsRenderer.parts(rules);
    }

    private static IpvsBackend backend(String ns, IpFamily family) {
        return new IpvsBackend(EXEC, in(ns), family, false, TIMEOUT, IpvsBackend.Settings.defaults());
    }

    private static IpsetContent kernelSets(String ns, IpFamily family) throws Exec.ExecException {
        return IpsetContent.parse(run(ns, null, "ipset", "save")).only(IpvsNames.setNames(family));
    }

    private static String saveTool(IpFamily f) {
        return f == IpFamily.IPV6 ? "ip6tables-save" : "iptables-save";
    }

    private static String restoreTool(IpFamily f) {
        return f == IpFamily.IPV6 ? "ip6tables-restore" : "iptables-restore";
    }

    @ParameterizedTest
    @EnumSource(IpFamily.class)
    void ipsetPartLoadsAndReadsBackExactlyAsRendered(IpFamily family) throws Exception {
        String ns = NS.create("sets-" + family.name().toLowerCase());
        IpvsParts parts = parts(IpvsScenarios.render(IpvsScenarios.everything(), family));

        run(ns, parts.ipset(), "ipset", "restore");

        IpsetContent back = kernelSets(ns, family);
        assertThat(back).isEqualTo(parts.ipsetContent());
        assertThat(back.entryCount()).isGreaterThan(family == IpFamily.IPV4 ? 40 : 5);
        // and the backend's diff against what the kernel printed is empty
        assertThat(IpsetDiff.restoreInput(back, parts.ipsetContent())).isEmpty();
    }

    @ParameterizedTest
    @EnumSource(IpFamily.class)
    void iptablesPartLoadsAfterTheIpsetPartOnANodeWithNoRules(IpFamily family) throws Exception {
        String ns = NS.create("ipt-" + family.name().toLowerCase());
        RuleSet rules = IpvsScenarios.render(IpvsScenarios.everythingButNodeAccessDrop(), family);
        IpvsParts parts = parts(rules);
        run(ns, parts.ipset(), "ipset", "restore");

        run(ns, parts.iptables(), restoreTool(family), "--noflush", "-w");

        String save = run(ns, null, saveTool(family));
        for (String chain : rules.chains()) {
            assertThat(save).contains(":" + chain.substring(chain.indexOf('/') + 1) + " - ");
        }
        long rendered = parts.iptables().lines().filter(l -> l.startsWith("-A ")).count();
        long loaded = save.lines().filter(l -> l.startsWith("-A ") && l.contains("SLUICE-")).count();
        assertThat(loaded).isEqualTo(rendered);
        for (IptablesJump j : IpvsBackend.jumps()) {
            assertThat(save).containsOnlyOnce(j.rule().render());
        }
    }

    @Test
    void theNodeAccessDropRuleNeedsTheKernelsIpvsMatch() throws Exception {
        String ns = NS.create("ipvsmatch");
        IpvsParts parts = parts(IpvsScenarios.render(IpvsScenarios.behaviour("load-balancer-source-ranges"), IpFamily.IPV4));
        assertThat(parts.iptables()).contains("-m ipvs --vaddr 192.0.2.50/32");
        run(ns, parts.ipset(), "ipset", "restore");

        Exec.Result r = runResult(ns, parts.iptables(), "iptables-restore", "--noflush", "-w");

        Optional<String> noIpvs = IpvsKernel.ipvsUnavailable();
        if (noIpvs.isPresent()) {
            assertThat(r.ok()).as("iptables-restore of a -m ipvs rule without ip_vs").isFalse();
            assertThat(r.stderr()).contains("ipvs");
            Assumptions.assumeTrue(false, noIpvs.get() + ", so iptables-restore refuses the -m ipvs rule"
                    + " (checked: it did, saying: " + r.stderr().strip().replace('\n', ' ') + ")");
        }
        assertThat(r.ok()).as(r.describe()).isTrue();
    }

    @ParameterizedTest
    @EnumSource(IpFamily.class)
    void shellScriptIsValidShell(IpFamily family) throws Exception {
        String script = parts(IpvsScenarios.render(IpvsScenarios.everything(), family)).shellScript();
        Exec.Result r = EXEC.run(List.of("sh", "-n"), script, TIMEOUT);
        assertThat(r.ok()).as(r.describe()).isTrue();
    }

    @Test
    void setPhaseSendsOnlyDifferencesWhetherItRemembersOrRereadsTheKernel() throws Exception {
        String ns = NS.create("setsync");
        IpvsParts all = parts(IpvsScenarios.render(IpvsScenarios.everything(), IpFamily.IPV4));
        IpvsParts one = parts(IpvsScenarios.render(IpvsScenarios.behaviour("cluster-ip"), IpFamily.IPV4));
        IpvsBackend backend = backend(ns, IpFamily.IPV4);

        backend.syncSets(all.ipsetContent());
        assertThat(kernelSets(ns, IpFamily.IPV4)).isEqualTo(all.ipsetContent());

        backend(ns, IpFamily.IPV4).syncSets(one.ipsetContent()); // a restarted applier: reads ipset save first
        assertThat(kernelSets(ns, IpFamily.IPV4)).isEqualTo(one.ipsetContent());

        RecordingExec recording = new RecordingExec();
        IpvsBackend recorded = new IpvsBackend(recording, in(ns), IpFamily.IPV4, false, TIMEOUT, IpvsBackend.Settings.defaults());
        recorded.syncSets(all.ipsetContent());
        recorded.syncSets(all.ipsetContent()); // remembered: nothing to send, nothing to read
        assertThat(kernelSets(ns, IpFamily.IPV4)).isEqualTo(all.ipsetContent());
        assertThat(recording.commands).containsExactly("ipset save", "ipset restore -exist");
        assertThat(recording.inputs.get(1)).doesNotContain("add SLUICE-CLUSTER-IP 172.30.0.41,tcp:80") // already there
                .contains("add SLUICE-CLUSTER-IP 172.30.0.42,tcp:80");
    }

    @Test
    void addressesAreBoundAndUnboundPerFamily() throws Exception {
        String ns = NS.create("bind");
        IpvsBackend v4 = backend(ns, IpFamily.IPV4);
        IpvsBackend v6 = backend(ns, IpFamily.IPV6);
        try {
            v4.ensureInterface();
        } catch (ApplyException e) {
            // This kernel may lack the dummy link type; the message must say which command failed and why.
            assertThat(e.getMessage()).contains("ip link add sluice-ipvs0 type dummy exited");
            run(ns, null, "ip", "link", "add", "sluice-ipvs0", "type", "veth", "peer", "name", "sluice-ipvs0p");
            v4.ensureInterface(); // an existing interface of that name is used as it is
        }
        v4.bind(BoundAddresses.additions(v4.boundAddresses(), List.of("172.30.0.41", "192.0.2.50"), "sluice-ipvs0"), "bind");
        v6.bind(BoundAddresses.additions(v6.boundAddresses(), List.of("fd00:30::41"), "sluice-ipvs0"), "bind");
        assertThat(v4.boundAddresses()).containsExactly("172.30.0.41", "192.0.2.50");
        assertThat(run(ns, null, "ip", "route", "show", "table", "local")).contains("local 172.30.0.41 dev sluice-ipvs0");

        List<String> want = List.of("192.0.2.50", "172.30.0.99");
        List<String> have = v4.boundAddresses();
        v4.bind(BoundAddresses.additions(have, want, "sluice-ipvs0"), "bind");
        v4.bind(BoundAddresses.removals(have, want, "sluice-ipvs0"), "unbind");

        assertThat(v4.boundAddresses()).containsExactlyInAnyOrder("192.0.2.50", "172.30.0.99");
        assertThat(v6.boundAddresses()).containsExactly("fd00:30::41");
    }

    @Test
    void withoutIpvsTheFullApplyFailsNamingTheToolAndCleanupStillRemovesTheRest() throws Exception {
        Optional<String> noIpvs = IpvsKernel.ipvsUnavailable();
        Assumptions.assumeTrue(noIpvs.isPresent(), "the kernel has ip_vs: IpvsBackendIT tests the full apply");
        String ns = NS.create("noipvs");
        RuleSet rules = IpvsScenarios.render(IpvsScenarios.everythingButNodeAccessDrop(), IpFamily.IPV4);
        IpvsBackend backend = backend(ns, IpFamily.IPV4);

        assertThatThrownBy(() -> backend.apply(rules)).isInstanceOf(ApplyException.class)
                .hasMessageStartingWith("ipvs (ipv4) in netns " + ns + ": cannot set kube-proxy's IPVS sysctls: ")
                .hasMessageContaining("sysctl -w net.ipv4.vs.conntrack=1").hasMessageContaining("net/ipv4/vs");

        // what the phases before IPVS would have installed, installed by hand, is removed by cleanup
        IpvsParts parts = parts(rules);
        run(ns, parts.ipset(), "ipset", "restore");
        new IptablesRestoreBackend(EXEC, in(ns), "iptables-restore", TIMEOUT, IpvsBackend.jumps())
                .apply(new RuleSet("iptables", parts.iptablesSluiceChains(), rules.chains(), 0, 0));
        run(ns, null, "ip", "link", "add", "sluice-ipvs0", "type", "veth", "peer", "name", "sluice-ipvs0p");
        assertThat(run(ns, null, "iptables-save")).contains(":SLUICE-IPVS-FILTER");

        assertThatThrownBy(backend::cleanup).hasMessageContaining("cleanup incomplete")
                .hasMessageContaining("ipvsadm -S -n exited").hasMessageContaining("Can't initialize ipvs");

        assertThat(run(ns, null, "iptables-save")).doesNotContain("SLUICE-");
        assertThat(run(ns, null, "ipset", "list", "-n")).doesNotContain("SLUICE-");
        assertThat(runResult(ns, null, "ip", "link", "show", "dev", "sluice-ipvs0").ok()).isFalse();
    }

    /** The real kernel, recording which commands ran (without the namespace prefix) and their input. */
    private static final class RecordingExec implements Exec {
        final List<String> commands = new java.util.ArrayList<>();
        final List<String> inputs = new java.util.ArrayList<>();

        @Override
        public Result run(List<String> command, String stdin, java.time.Duration timeout) throws ExecException {
            commands.add(String.join(" ", command.subList(4, command.size())));
            inputs.add(stdin);
            return EXEC.run(command, stdin, timeout);
        }
    }
}
