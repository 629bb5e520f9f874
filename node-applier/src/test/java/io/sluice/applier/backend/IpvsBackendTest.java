package io.sluice.applier.backend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.applier.render.Fixtures;
import io.sluice.applier.render.IpvsParts;
import io.sluice.applier.render.IpvsRenderer;
import io.sluice.applier.render.NodeContext;
import io.sluice.applier.render.RenderOptions;
import io.sluice.applier.render.RuleSet;
import io.sluice.schema.model.EndpointSlice;
import io.sluice.schema.model.IpFamily;
import io.sluice.schema.model.Protocol;
import io.sluice.schema.model.Service;
import io.sluice.schema.model.ServicePort;
import io.sluice.schema.model.ServiceType;
import io.sluice.schema.model.SessionAffinity;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * What {@link IpvsBackend} runs, against {@link FakeIpvsKernel}: the phases in order, only the
 * difference sent, errors naming tool, exit code and stderr. IpvsBackendIT runs it on a kernel
 * with ip_vs; IpvsKernelPartsIT runs the phases that need no ip_vs on this one.
 */
class IpvsBackendTest {
    private static final NodeContext NODE = new NodeContext("node1", List.of("192.168.0.1", "fd00:1::1"), null);
    private static final RenderOptions V4 = RenderOptions.defaults("10.244.0.0/16");
    private static final RenderOptions V6 = new RenderOptions(IpFamily.IPV6, List.of("fd00:244::/32"), 14, false, List.of());

    static Service web(boolean affinity) {
        return Service.builder("ns1", "web").type(ServiceType.NODE_PORT).clusterIPs(List.of("172.30.0.41", "fd00:30::41"))
                .sessionAffinity(affinity ? SessionAffinity.CLIENT_IP : SessionAffinity.NONE)
                .sessionAffinityTimeoutSeconds(600)
                .ports(new ServicePort("http", Protocol.TCP, 80, "8080", 30080, null)).build();
    }

    static EndpointSlice slice(String... ips) {
        return Fixtures.slice("ns1", "web-1", "web", List.of(Fixtures.epTcp("http", 8080)),
                java.util.Arrays.stream(ips).map(ip -> Fixtures.readyOn(ip, "node1")).toArray(io.sluice.schema.model.Endpoint[]::new));
    }

    static RuleSet render(RenderOptions o, io.sluice.schema.model.Resource... objects) {
        return new IpvsRenderer().render(Fixtures.image(objects), NODE, o);
    }

    private static IpvsBackend backend(FakeExec exec, IpFamily family) {
        return new IpvsBackend(exec, List.of(), family, false, Duration.ofSeconds(9), IpvsBackend.Settings.defaults());
    }

    @Test
    void firstApplyBuildsEverythingInPhaseOrder() throws Exception {
        FakeIpvsKernel kernel = new FakeIpvsKernel();
        FakeExec exec = new FakeExec().answer(kernel);
        RuleSet rules = render(V4, web(false), slice("10.244.1.2", "10.244.1.3"));

        backend(exec, IpFamily.IPV4).apply(rules);

        IpvsParts parts = IpvsRenderer.parts(rules);
        assertThat(kernel.table()).isEqualTo(parts.ipvsTable());
        assertThat(kernel.sets()).isEqualTo(parts.ipsetContent());
        assertThat(kernel.addresses).containsExactly("172.30.0.41/32");
        assertThat(kernel.dummy).isTrue();
        assertThat(kernel.jumps).hasSize(IpvsBackend.jumps().size());
        List<String> tools = exec.lines().stream().filter(l -> !l.startsWith("iptables -w")).toList();
        assertThat(tools).containsExactly(
                "sysctl -w net.ipv4.vs.conntrack=1 net.ipv4.vs.expire_nodest_conn=1 net.ipv4.vs.expire_quiescent_template=1"
                        + " net.ipv4.ip_forward=1",
                "ip link show dev sluice-ipvs0",
                "ip link add sluice-ipvs0 type dummy",
                "ipset save",
                "ipset restore -exist",
                "iptables-save",
                "iptables-restore --noflush -w",
                "ip -o addr show dev sluice-ipvs0",
                "ip -batch -",
                "ipvsadm -S -n",
                "ipvsadm -R",
                "ipvsadm -S -n");
        assertThat(exec.calls.stream().filter(c -> c.line().equals("ip -batch -")).findFirst().orElseThrow().stdin())
                .isEqualTo("address add 172.30.0.41/32 dev sluice-ipvs0\n");
        assertThat(exec.calls.stream().filter(c -> c.line().equals("iptables-restore --noflush -w")).findFirst()
                .orElseThrow().stdin()).contains(":SLUICE-IPVS-FILTER - [0:0]").doesNotContain("-A INPUT");
    }

    @Test
    void unchangedRulesSendNothing() throws Exception {
        FakeIpvsKernel kernel = new FakeIpvsKernel();
        FakeExec exec = new FakeExec().answer(kernel);
        IpvsBackend backend = backend(exec, IpFamily.IPV4);
        RuleSet rules = render(V4, web(false), slice("10.244.1.2"));
        backend.apply(rules);
        exec.calls.clear();

        backend.apply(rules);

        assertThat(exec.lines()).noneMatch(l -> l.equals("ipvsadm -R") || l.startsWith("ipset") || l.equals("ip -batch -")
                || l.startsWith("sysctl") || l.equals("ipvsadm -S -n"));
    }

    @Test
    void aChangeSendsOnlyTheDifference() throws Exception {
        FakeIpvsKernel kernel = new FakeIpvsKernel();
        FakeExec exec = new FakeExec().answer(kernel);
        IpvsBackend backend = backend(exec, IpFamily.IPV4);
        Service other = Fixtures.service("ns2", "gone", "172.30.0.99", Fixtures.tcp("http", 80, "80"));
        backend.apply(render(V4, web(false), slice("10.244.1.2", "10.244.1.3"), other));
        exec.calls.clear();

        RuleSet next = render(V4, web(true), slice("10.244.1.3", "10.244.1.4"));
        backend.apply(next);

        FakeExec.Call restore = exec.calls.stream().filter(c -> c.line().equals("ipvsadm -R")).findFirst().orElseThrow();
        assertThat(restore.stdin().lines()).containsExactly(
                "-E -t 172.30.0.41:80 -s rr -p 600",
                "-a -t 172.30.0.41:80 -r 10.244.1.4:8080 -m -w 1",
                "-E -t 192.168.0.1:30080 -s rr -p 600",
                "-a -t 192.168.0.1:30080 -r 10.244.1.4:8080 -m -w 1",
                "-d -t 172.30.0.41:80 -r 10.244.1.2:8080",
                "-d -t 192.168.0.1:30080 -r 10.244.1.2:8080",
                "-D -t 172.30.0.99:80");
        FakeExec.Call sets = exec.calls.stream().filter(c -> c.line().equals("ipset restore -exist")).findFirst().orElseThrow();
        assertThat(sets.stdin().lines()).containsExactlyInAnyOrder(
                "add SLUICE-LOOP-BACK 10.244.1.4,tcp:8080,10.244.1.4",
                "del SLUICE-LOOP-BACK 10.244.1.2,tcp:8080,10.244.1.2",
                "del SLUICE-CLUSTER-IP 172.30.0.99,tcp:80",
                "del SLUICE-IPVS-IPS 172.30.0.99");
        FakeExec.Call unbind = exec.calls.stream().filter(c -> c.line().equals("ip -batch -")).findFirst().orElseThrow();
        assertThat(unbind.stdin()).isEqualTo("address del 172.30.0.99/32 dev sluice-ipvs0\n");
        assertThat(exec.lines().indexOf("ip -batch -")).isGreaterThan(exec.lines().indexOf("ipvsadm -R"));
        assertThat(kernel.table()).isEqualTo(IpvsRenderer.parts(next).ipvsTable());
    }

    @Test
    void eachFamilyTouchesOnlyItsOwnVirtualServersAndAddresses() throws Exception {
        FakeIpvsKernel kernel = new FakeIpvsKernel();
        FakeExec exec = new FakeExec().answer(kernel);
        IpvsBackend v4 = backend(exec, IpFamily.IPV4);
        IpvsBackend v6 = backend(exec, IpFamily.IPV6);
        EndpointSlice v6slice = new EndpointSlice("ns1", "web-6", "web", io.sluice.schema.model.AddressType.IPV6,
                List.of(Fixtures.epTcp("http", 8080)), List.of(Fixtures.readyOn("fd00:244:1::2", "node1")));
        v4.apply(render(V4, web(false), slice("10.244.1.2")));
        v6.apply(render(V6, web(false), v6slice));

        assertThat(kernel.services.keySet()).containsExactlyInAnyOrder(
                "-t 172.30.0.41:80", "-t 192.168.0.1:30080", "-t [fd00:30::41]:80", "-t [fd00:1::1]:30080");
        assertThat(kernel.addresses).containsExactlyInAnyOrder("172.30.0.41/32", "fd00:30::41/128");
        assertThat(kernel.setHeaders.keySet()).contains("SLUICE-CLUSTER-IP", "SLUICE-6-CLUSTER-IP");

        v4.apply(render(V4)); // IPv4 rules now empty: the IPv6 ones stay
        assertThat(kernel.services.keySet()).containsExactlyInAnyOrder("-t [fd00:30::41]:80", "-t [fd00:1::1]:30080");
        assertThat(kernel.addresses).containsExactly("fd00:30::41/128");
        assertThat(kernel.setMembers.get("SLUICE-6-CLUSTER-IP")).containsExactly("fd00:30::41,tcp:80");
        assertThat(exec.lines()).contains("ip6tables-restore --noflush -w");
    }

    @Test
    void aRefusedIpvsadmCommandFailsNamingToolExitAndStderrThenTheNextApplyRereads() throws Exception {
        FakeIpvsKernel kernel = new FakeIpvsKernel();
        kernel.failIpvsadmOn = "10.244.1.3";
        FakeExec exec = new FakeExec().answer(kernel);
        IpvsBackend backend = backend(exec, IpFamily.IPV4);
        RuleSet rules = render(V4, web(false), slice("10.244.1.2", "10.244.1.3"));

        assertThatThrownBy(() -> backend.apply(rules)).isInstanceOf(ApplyException.class)
                .hasMessageContaining("ipvs (ipv4) on the host: ipvsadm -R of 6 commands exited 1 but 2 differences remain")
                .hasMessageContaining("first: -a -t 172.30.0.41:80 -r 10.244.1.3:8080 -m -w 1")
                .hasMessageContaining("ipvsadm said: Memory allocation problem");

        kernel.failIpvsadmOn = null;
        exec.calls.clear();
        backend.apply(rules);
        assertThat(exec.lines()).startsWith("sysctl -w net.ipv4.vs.conntrack=1 net.ipv4.vs.expire_nodest_conn=1"
                + " net.ipv4.vs.expire_quiescent_template=1 net.ipv4.ip_forward=1");
        FakeExec.Call restore = exec.calls.stream().filter(c -> c.line().equals("ipvsadm -R")).findFirst().orElseThrow();
        assertThat(restore.stdin().lines()).containsExactly("-a -t 172.30.0.41:80 -r 10.244.1.3:8080 -m -w 1",
                "-a -t 192.168.0.1:30080 -r 10.244.1.3:8080 -m -w 1");
        assertThat(kernel.table()).isEqualTo(IpvsRenderer.parts(rules).ipvsTable());
    }

    @Test
    void aMissingKernelModuleIsReportedWithTheToolsOwnWords() {
        FakeExec exec = new FakeExec().answer(c -> c.command().get(0).equals("sysctl")
                ? FakeExec.result(c, 255, "", "sysctl: cannot stat /proc/sys/net/ipv4/vs/conntrack: No such file or directory")
                : FakeExec.result(c, 0, "", ""));
        assertThatThrownBy(() -> backend(exec, IpFamily.IPV4).apply(render(V4)))
                .hasMessage("ipvs (ipv4) on the host: cannot set kube-proxy's IPVS sysctls: sysctl -w net.ipv4.vs.conntrack=1"
                        + " net.ipv4.vs.expire_nodest_conn=1 net.ipv4.vs.expire_quiescent_template=1 net.ipv4.ip_forward=1"
                        + " exited 255: sysctl: cannot stat /proc/sys/net/ipv4/vs/conntrack: No such file or directory");
    }

    @Test
    void anIncompatibleExistingSetIsNamed() {
        FakeIpvsKernel kernel = new FakeIpvsKernel();
        kernel.setHeaders.put("SLUICE-CLUSTER-IP", "create SLUICE-CLUSTER-IP hash:ip family inet hashsize 1024 maxelem 65536");
        kernel.setMembers.put("SLUICE-CLUSTER-IP", new java.util.TreeSet<>());
        FakeExec exec = new FakeExec().answer(kernel);
        assertThatThrownBy(() -> backend(exec, IpFamily.IPV4).apply(render(V4)))
                .hasMessageContaining("set SLUICE-CLUSTER-IP exists as hash:ip family inet, Sluice needs hash:ip,port family inet");
    }

    @Test
    void refusesRuleSetsOfAnotherModeOrFamily() {
        FakeExec exec = new FakeExec();
        assertThatThrownBy(() -> backend(exec, IpFamily.IPV4).apply(new RuleSet("iptables", "", java.util.Set.of(), 0, 0)))
                .hasMessageContaining("cannot apply a rule set of mode iptables");
        assertThatThrownBy(() -> backend(exec, IpFamily.IPV4).apply(render(V6)))
                .hasMessageContaining("cannot apply a rule set of family IPV6");
        assertThat(exec.calls).isEmpty();
    }

    @Test
    void settingsAddStrictArpAndTimeouts() throws Exception {
        FakeIpvsKernel kernel = new FakeIpvsKernel();
        FakeExec exec = new FakeExec().answer(kernel);
        IpvsBackend backend = new IpvsBackend(exec, List.of("ip", "netns", "exec", "n1"), IpFamily.IPV4, true,
                Duration.ofSeconds(9), new IpvsBackend.Settings(true, Duration.ofSeconds(900), Duration.ZERO,
                        Duration.ofSeconds(300), List.of()));
        assertThat(backend.describe()).isEqualTo("ipvs (ipv4) in netns n1");
        backend.prepareNode();
        assertThat(exec.lines()).containsExactly(
                "ip netns exec n1 sysctl -w net.ipv4.vs.conntrack=1 net.ipv4.vs.expire_nodest_conn=1"
                        + " net.ipv4.vs.expire_quiescent_template=1 net.ipv4.ip_forward=1"
                        + " net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.all.arp_announce=2",
                "ip netns exec n1 ipvsadm --set 900 0 300");
        assertThatThrownBy(() -> new IpvsBackend.Settings(false, null, null, null, List.of("10.0.0.0")))
                .hasMessageContaining("'10.0.0.0' is not a CIDR");
    }

    @Test
    void excludedCidrsAreNeverDeleted() throws Exception {
        FakeIpvsKernel kernel = new FakeIpvsKernel();
        kernel.command("-A -t 10.200.0.1:443 -s wlc");
        kernel.command("-A -t 10.201.0.1:443 -s wlc");
        FakeExec exec = new FakeExec().answer(kernel);
        IpvsBackend backend = new IpvsBackend(exec, List.of(), IpFamily.IPV4, false, Duration.ofSeconds(9),
                new IpvsBackend.Settings(false, null, null, null, List.of("10.200.0.0/16")));
        backend.apply(render(V4));
        assertThat(kernel.services.keySet()).containsExactly("-t 10.200.0.1:443");
        backend.cleanup();
        assertThat(kernel.services.keySet()).containsExactly("-t 10.200.0.1:443");
    }

    @Test
    void cleanupRemovesEverythingOfTheFamily() throws Exception {
        FakeIpvsKernel kernel = new FakeIpvsKernel();
        FakeExec exec = new FakeExec().answer(kernel);
        IpvsBackend backend = backend(exec, IpFamily.IPV4);
        backend.apply(render(V4, web(true), slice("10.244.1.2")));
        kernel.command("-A -f 7 -s rr"); // not Sluice's: fwmark services are left alone

        backend.cleanup();

        assertThat(kernel.services.keySet()).containsExactly("-f 7");
        assertThat(kernel.setHeaders).isEmpty();
        assertThat(kernel.jumps).isEmpty();
        assertThat(kernel.dummy).isFalse();
        assertThat(exec.lines()).contains("ipset list -n", "ip link del sluice-ipvs0");
    }

    @Test
    void cleanupGoesOnAfterAFailingStepAndReportsIt() {
        FakeIpvsKernel kernel = new FakeIpvsKernel();
        kernel.dummy = true;
        FakeExec exec = new FakeExec().answer(c -> c.command().get(0).equals("ipvsadm")
                ? FakeExec.result(c, 2, "", "Can't initialize ipvs: Protocol not available")
                : kernel.apply(c));
        assertThatThrownBy(() -> backend(exec, IpFamily.IPV4).cleanup())
                .hasMessageContaining("cleanup incomplete").hasMessageContaining("ipvsadm -S -n exited 2: Can't initialize ipvs");
        assertThat(kernel.dummy).isFalse();
    }
}
