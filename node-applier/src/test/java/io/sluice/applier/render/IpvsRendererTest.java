package io.sluice.applier.render;

import static io.sluice.applier.render.Fixtures.epTcp;
import static io.sluice.applier.render.Fixtures.readyOn;
import static io.sluice.applier.render.Fixtures.service;
import static io.sluice.applier.render.Fixtures.slice;
import static io.sluice.applier.render.Fixtures.tcp;
import static io.sluice.applier.render.Fixtures.tcpNodePort;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.fail;

import io.sluice.applier.render.IpvsNames.Ipset;
import io.sluice.applier.render.IpvsTable.RealServer;
import io.sluice.schema.model.EndpointSlice;
import io.sluice.schema.model.IpFamily;
import io.sluice.schema.model.Resource;
import io.sluice.schema.model.Service;
import io.sluice.schema.model.ServiceType;
import io.sluice.store.image.ClusterImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * IPVS mode, one golden file per behaviour of {@link Behaviours} (the same clusters the iptables
 * goldens render, so both backends are checked against one view) plus option variants. Golden
 * files under src/test/resources/golden/ipvs/ hold the whole rule text (all four parts). After
 * checking a change is intended, regenerate them with
 * {@code ./mvnw -pl node-applier test -Dtest=IpvsRendererTest -Dgolden.update=true}.
 */
class IpvsRendererTest {
    private static final Path GOLDEN_DIR = Path.of("src/test/resources/golden/ipvs");
    private static final String CLUSTER_CIDR = Behaviours.CLUSTER_CIDR;
    private static final NodeContext NODE1 = Behaviours.NODE1;
    private static final Set<String> BUILT_IN_TARGETS =
            Set.of("ACCEPT", "DROP", "RETURN", "REJECT", "MASQUERADE", "MARK");
    private static final Set<String> BUILT_IN_CHAINS = Set.of("PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING");

    record Case(String name, ClusterImage image, NodeContext node, RenderOptions options, IpvsOptions ipvs) {
        @Override
        public String toString() {
            return name;
        }

        RuleSet render() {
            return new IpvsRenderer(ipvs).render(image, node, options);
        }
    }

    static Stream<Case> cases() {
        RenderOptions defaults = RenderOptions.defaults(CLUSTER_CIDR);
        IpvsOptions rr = IpvsOptions.defaults();
        List<Case> out = new ArrayList<>();
        Behaviours.all().forEach((name, objects) -> out.add(new Case(name, image(objects), NODE1, defaults, rr)));
        ClusterImage web = image(Behaviours.all().get("cluster-ip"));
        out.add(new Case("masquerade-all", web, NODE1, new RenderOptions(CLUSTER_CIDR, 14, true), rr));
        out.add(new Case("no-cluster-cidr", web, NODE1, RenderOptions.defaults(null), rr));
        out.add(new Case("scheduler-mh", image(Behaviours.all().get("session-affinity")), NODE1, defaults,
                new IpvsOptions("mh")));
        out.add(new Case("node-port-addresses", image(Behaviours.all().get("node-port")), NODE1,
                defaults.withNodePortAddresses(List.of("192.168.0.0/24", "fd00::/8")), rr));
        out.add(new Case("node-without-addresses-has-no-node-ports", image(Behaviours.all().get("node-port")),
                NodeContext.of("node1"), defaults, rr));
        out.add(new Case("load-balancer-source-ranges-admit-node", image(lbAdmittingNode()), NODE1, defaults, rr));
        out.add(new Case("everything-ipv4", image(Behaviours.everything()), NODE1, defaults, rr));
        out.add(new Case("everything-ipv6", image(Behaviours.everything()), NODE1,
                new RenderOptions(IpFamily.IPV6, List.of(CLUSTER_CIDR, Behaviours.CLUSTER_CIDR6), 14, false, List.of()), rr));
        return out.stream();
    }

    /** A load balancer whose source ranges hold the node's primary IP: the node may use the LB IP. */
    static List<Resource> lbAdmittingNode() {
        return List.of(
                Service.builder("ns30", "lbnode").type(ServiceType.LOAD_BALANCER).clusterIP("172.30.0.70")
                        .loadBalancerIngressIPs(List.of("192.0.2.70"))
                        .loadBalancerSourceRanges(List.of("203.0.113.0/28", "192.168.0.0/24", "203.0.113.77/24"))
                        .ports(tcpNodePort("http", 80, "8080", 30170)).build(),
                slice("ns30", "lbnode-1", "lbnode", List.of(epTcp("http", 8080)), readyOn("10.244.1.70", "node1")));
    }

    private static ClusterImage image(List<Resource> objects) {
        return Fixtures.image(objects.toArray(new Resource[0]));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void rendersGoldenOutput(Case c) throws IOException {
        String actual = c.render().text();
        Path golden = GOLDEN_DIR.resolve(c.name() + ".txt");
        if (Boolean.getBoolean("golden.update")) {
            Files.createDirectories(GOLDEN_DIR);
            Files.writeString(golden, actual, StandardCharsets.UTF_8);
            return;
        }
        if (!Files.exists(golden)) {
            fail("golden file " + golden.toAbsolutePath() + " is missing; create it with -Dgolden.update=true. Output:\n"
                    + actual);
        }
        String expected = Files.readString(golden, StandardCharsets.UTF_8);
        if (!expected.equals(actual)) {
            fail(firstDifference(c.name(), expected, actual)
                    + "\nIf the change is intended, regenerate with -Dgolden.update=true. Full output:\n" + actual);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void everyJumpTargetsAnExistingChain(Case c) {
        String iptables = IpvsRenderer.parts(c.render()).iptables();
        Map<String, Set<String>> declared = declaredChains(iptables);
        String table = null;
        int rules = 0;
        for (String line : iptables.lines().toList()) {
            if (line.startsWith("*")) {
                table = line.substring(1);
            } else if (line.startsWith("-A ")) {
                rules++;
                String chain = line.split(" ")[1];
                assertThat(BUILT_IN_CHAINS.contains(chain) || declared.get(table).contains(chain))
                        .as("chain of %s", line).isTrue();
                Matcher m = Pattern.compile(" -j (\\S+)").matcher(line);
                assertThat(m.find()).as("rule %s has a target", line).isTrue();
                String target = m.group(1);
                assertThat(BUILT_IN_TARGETS.contains(target) || declared.get(table).contains(target))
                        .as("target %s of %s in table %s", target, line, table).isTrue();
            }
        }
        assertThat(rules).isGreaterThan(10);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void everySetTheRulesMatchIsCreatedInTheIpsetPart(Case c) {
        IpvsParts parts = IpvsRenderer.parts(c.render());
        IpsetContent sets = parts.ipsetContent();
        Matcher m = Pattern.compile("--match-set (\\S+) (\\S+)").matcher(parts.iptables());
        int references = 0;
        while (m.find()) {
            references++;
            String name = m.group(1);
            assertThat(sets.sets()).as("set %s referenced by the iptables part", name).containsKey(name);
            int dims = sets.sets().get(name).type().split(",").length;
            assertThat(m.group(2).split(",")).as("direction flags of %s", name).hasSize(dims);
        }
        assertThat(references).isGreaterThanOrEqualTo(7); // the SLUICE-IPVS-FILTER rules and health-check rule at least
        for (String line : parts.ipset().lines().toList()) {
            assertThat(line).matches("(create|add) SLUICE-(6-)?[A-Z-]+ .+");
        }
        assertThat(sets.sets().keySet()).containsExactlyElementsOf(IpvsNames.setNames(c.options().family()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void partsSurviveTheOneTextForm(Case c) {
        RuleSet rules = c.render();
        IpvsParts parts = IpvsRenderer.parts(rules);
        assertThat(IpvsParts.parse(parts.toText())).isEqualTo(parts);
        assertThat(parts.toText()).isEqualTo(rules.text());
        assertThat(parts.ipvsTable().render()).isEqualTo(parts.ipvsadm());
        assertThat(parts.ipsetContent().render()).isEqualTo(parts.ipset());
        assertThat(parts.family()).isEqualTo(c.options().family());
        assertThat(rules.mode()).isEqualTo("ipvs");
        assertThat(rules.endpointCount()).isEqualTo(parts.ipvsTable().realServerCount());
        assertThat(rules.chains()).isEqualTo(qualified(declaredChains(parts.iptables())));
        // the ipvsadm part is exactly what ipvsadm-restore reads: every line a comment, -A or -a
        assertThat(parts.ipvsadm().lines()).allMatch(l -> l.startsWith("# ") || l.startsWith("-A ") || l.startsWith("-a "));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void boundAddressesAreTheServiceVipsThatAreNotNodeAddresses(Case c) {
        IpvsParts parts = IpvsRenderer.parts(c.render());
        Set<String> vsAddresses = new TreeSet<>();
        parts.ipvsTable().services().values().forEach(s -> vsAddresses.add(s.virtualServer().address()));
        List<String> nodeIps = c.node().ipsOf(c.options().family());
        assertThat(parts.boundAddresses()).doesNotHaveDuplicates().allMatch(vsAddresses::contains)
                .noneMatch(nodeIps::contains);
        Set<String> unbound = new TreeSet<>(vsAddresses);
        parts.boundAddresses().forEach(unbound::remove);
        assertThat(unbound).allMatch(nodeIps::contains);
        assertThat(parts.ipsetContent().members(Ipset.IPVS_IPS.name(c.options().family())))
                .containsExactlyInAnyOrderElementsOf(parts.boundAddresses());
    }

    @Test
    void namesFitTheKernelLimits() {
        for (IpFamily f : IpFamily.values()) {
            assertThat(IpvsNames.setNames(f)).allMatch(n -> n.length() <= 31).doesNotHaveDuplicates();
        }
        RuleSet rules = new IpvsRenderer().render(ClusterImage.empty(), NODE1, RenderOptions.defaults(CLUSTER_CIDR));
        assertThat(rules.chains()).allMatch(ch -> ch.substring(ch.indexOf('/') + 1).length() <= 28);
        for (IpvsIptables.Jump j : IpvsIptables.jumps()) {
            assertThat(rules.chains()).as("target of %s", j.rule()).contains(j.table() + "/" + j.rule().target());
        }
    }

    @Test
    void clusterIpServiceGetsOneVirtualServerWithEveryReadyEndpoint() {
        IpvsParts parts = IpvsRenderer.parts(new IpvsRenderer().render(image(Behaviours.all().get("cluster-ip")), NODE1,
                RenderOptions.defaults(CLUSTER_CIDR)));
        assertThat(parts.ipvsadm()).isEqualTo("""
                # ns1/web:http cluster IP
                -A -t 172.30.0.41:80 -s rr
                -a -t 172.30.0.41:80 -r 10.244.1.2:8080 -m -w 1
                -a -t 172.30.0.41:80 -r 10.244.2.3:8080 -m -w 1
                """);
        assertThat(parts.boundAddresses()).containsExactly("172.30.0.41");
    }

    @Test
    void terminatingEndpointsAreQuiescedOrUsedAsTheFallback() {
        IpvsTable t = IpvsRenderer.parts(new IpvsRenderer().render(
                image(Behaviours.all().get("not-ready-excluded-terminating-fallback")), NODE1,
                RenderOptions.defaults(CLUSTER_CIDR))).ipvsTable();
        // a ready endpoint exists: the terminating one keeps its connections at weight 0
        assertThat(t.services().get("-t 172.30.0.44:80").realServers().values()).containsExactly(
                RealServer.masquerade("10.244.1.4", 8080, 1), RealServer.masquerade("10.244.1.5", 8080, 0));
        // none is ready: serving-and-terminating endpoints take new connections
        assertThat(t.services().get("-t 172.30.0.66:80").realServers().values()).containsExactly(
                RealServer.masquerade("10.244.1.28", 8080, 1), RealServer.masquerade("10.244.2.28", 8080, 1));
        // nothing usable: a virtual server without real servers, which IPVS answers with ICMP port unreachable
        assertThat(t.services().get("-t 172.30.0.46:80").realServers()).isEmpty();
    }

    @Test
    void externalTrafficPolicyLocalUsesLocalEndpointsAndFallsBackToClusterOnes() {
        IpvsTable local = IpvsRenderer.parts(new IpvsRenderer().render(
                image(Behaviours.all().get("external-traffic-policy-local")), NODE1,
                RenderOptions.defaults(CLUSTER_CIDR))).ipvsTable();
        assertThat(local.services().get("-t 198.51.100.8:80").realServers()).containsOnlyKeys("10.244.1.21:8080");
        assertThat(local.services().get("-t 192.168.0.1:30090").realServers()).containsOnlyKeys("10.244.1.21:8080");
        assertThat(local.services().get("-t 172.30.0.48:80").realServers())
                .containsOnlyKeys("10.244.1.21:8080", "10.244.2.21:8080");
        IpvsTable remote = IpvsRenderer.parts(new IpvsRenderer().render(
                image(Behaviours.all().get("external-traffic-policy-local-no-local-endpoints")), NODE1,
                RenderOptions.defaults(CLUSTER_CIDR))).ipvsTable();
        // kube-proxy #97081: pods may still use it; outside clients get no answer (no SNAT, see IPVS.md)
        assertThat(remote.services().get("-t 198.51.100.9:80").realServers()).containsOnlyKeys("10.244.2.22:8080");
    }

    @Test
    void sessionAffinityIsPersistenceWithTheServiceTimeoutAndMhGetsItsPortFlag() {
        ClusterImage sticky = image(Behaviours.all().get("session-affinity"));
        RenderOptions o = RenderOptions.defaults(CLUSTER_CIDR);
        assertThat(IpvsRenderer.parts(new IpvsRenderer().render(sticky, NODE1, o)).ipvsadm())
                .contains("-A -t 172.30.0.55:80 -s rr -p 600\n");
        assertThat(IpvsRenderer.parts(new IpvsRenderer(new IpvsOptions("mh")).render(sticky, NODE1, o)).ipvsadm())
                .contains("-A -t 172.30.0.55:80 -s mh -p 600 -b mh-port\n");
        assertThatThrownBy(() -> new IpvsOptions("fastest")).hasMessageContaining("'fastest'");
        assertThat(new IpvsOptions(null).scheduler()).isEqualTo("rr");
    }

    @Test
    void loadBalancerSourceRangesFillTheFirewallSetsAndBlockTheNodeUnlessARangeHoldsIt() {
        IpvsParts blocked = IpvsRenderer.parts(new IpvsRenderer().render(
                image(Behaviours.all().get("load-balancer-source-ranges")), NODE1, RenderOptions.defaults(CLUSTER_CIDR)));
        assertThat(blocked.ipsetContent().members("SLUICE-LOAD-BALANCER-SRC-CIDR"))
                .containsExactly("192.0.2.50,tcp:80,203.0.113.0/28");
        assertThat(blocked.ipsetContent().members("SLUICE-LOAD-BALANCER-SRC-IP")).isEmpty();
        assertThat(blocked.iptables()).contains("-A SLUICE-IPVS-OUT-FILTER -s 192.0.2.50/32 -m ipvs --vaddr 192.0.2.50/32"
                + " --vproto tcp --vport 80 -j DROP");
        IpvsParts admitted = IpvsRenderer.parts(new IpvsRenderer().render(image(lbAdmittingNode()), NODE1,
                RenderOptions.defaults(CLUSTER_CIDR)));
        assertThat(admitted.ipsetContent().members("SLUICE-LOAD-BALANCER-SRC-CIDR")).containsExactly(
                "192.0.2.70,tcp:80,192.168.0.0/24", "192.0.2.70,tcp:80,203.0.113.0/24", "192.0.2.70,tcp:80,203.0.113.0/28");
        assertThat(admitted.ipsetContent().members("SLUICE-LOAD-BALANCER-SRC-IP")).containsExactly("192.0.2.70,tcp:80,192.0.2.70");
        assertThat(admitted.iptables()).doesNotContain("-m ipvs");
    }

    @Test
    void anExternalIpThatIsANodeAddressIsNotBoundAndTwoServicesOnOneVipKeepTheFirst() {
        Service a = Service.builder("a", "svc").clusterIP("172.30.9.1").externalIPs(List.of("192.168.0.1", "198.51.100.99"))
                .ports(tcp("http", 80, "80")).build();
        Service b = Service.builder("b", "svc").clusterIP("172.30.9.2").externalIPs(List.of("198.51.100.99"))
                .ports(tcp("http", 80, "80")).build();
        EndpointSlice sa = slice("a", "svc-1", "svc", List.of(epTcp("http", 80)), readyOn("10.244.1.1", "node1"));
        EndpointSlice sb = slice("b", "svc-1", "svc", List.of(epTcp("http", 80)), readyOn("10.244.1.2", "node1"));
        IpvsParts parts = IpvsRenderer.parts(new IpvsRenderer().render(Fixtures.image(a, b, sa, sb), NODE1,
                RenderOptions.defaults(CLUSTER_CIDR)));
        assertThat(parts.boundAddresses()).containsExactly("172.30.9.1", "198.51.100.99", "172.30.9.2");
        assertThat(parts.ipvsTable().services().get("-t 198.51.100.99:80").realServers()).containsOnlyKeys("10.244.1.1:80");
        assertThat(parts.ipvsTable().services().get("-t 192.168.0.1:80").comment()).isEqualTo("a/svc:http external IP");
    }

    @Test
    void renderingIsDeterministicWhateverTheReplayOrder() {
        List<Resource> all = new ArrayList<>(Behaviours.everything());
        RenderOptions o = RenderOptions.defaults(CLUSTER_CIDR);
        String first = new IpvsRenderer().render(image(all), NODE1, o).text();
        java.util.Collections.reverse(all);
        assertThat(new IpvsRenderer().render(image(all), NODE1, o).text()).isEqualTo(first);
    }

    @Test
    void ipv6RenderingUsesIpv6SetsAddressesAndLoopback() {
        IpvsParts parts = IpvsRenderer.parts(new IpvsRenderer().render(image(Behaviours.all().get("dual-stack")), NODE1,
                new RenderOptions(IpFamily.IPV6, List.of(CLUSTER_CIDR, Behaviours.CLUSTER_CIDR6), 14, false, List.of())));
        assertThat(parts.ipvsadm()).contains("-A -t [fd00:30::62]:80 -s rr\n")
                .contains("-a -t [fd00:30::62]:80 -r [fd00:244:1::62]:8080 -m -w 1\n")
                .contains("-A -t [fd00:1::1]:30162 -s rr\n").doesNotContain("172.30.0.62");
        assertThat(parts.ipset()).contains("create SLUICE-6-CLUSTER-IP hash:ip,port family inet6 hashsize 1024 maxelem 65536")
                .contains("add SLUICE-6-NODE-PORT-TCP 30162");
        assertThat(parts.iptables()).contains("-A SLUICE-SERVICES -s ::1/128 -j RETURN")
                .contains("! -s fd00:244::/32 -m comment");
        assertThat(parts.boundAddresses()).containsExactly("fd00:30::62", "2001:db8::62", "fd00:30::63");
    }

    @Test
    void shellScriptFeedsEachPartToItsTool() {
        IpvsParts v4 = IpvsRenderer.parts(new IpvsRenderer().render(image(Behaviours.all().get("cluster-ip")), NODE1,
                RenderOptions.defaults(CLUSTER_CIDR)));
        String script = v4.shellScript();
        assertThat(script).startsWith("#!/bin/sh\n").contains("ip addr replace 172.30.0.41/32 dev sluice-ipvs0\n")
                .contains("ipset restore -exist <<'SLUICE_EOF'\n" + v4.ipset() + "SLUICE_EOF\n")
                .contains("iptables-restore --noflush -w <<'SLUICE_EOF'\n" + v4.iptables() + "SLUICE_EOF\n")
                .contains("ipvsadm -R <<'SLUICE_EOF'\n" + v4.ipvsadm() + "SLUICE_EOF\n")
                .doesNotContain("ipvsadm-restore");
        IpvsParts v6 = IpvsRenderer.parts(new IpvsRenderer().render(image(Behaviours.all().get("dual-stack")), NODE1,
                new RenderOptions(IpFamily.IPV6, List.of(CLUSTER_CIDR, Behaviours.CLUSTER_CIDR6), 14, false, List.of())));
        assertThat(v6.shellScript()).contains("ip6tables-restore --noflush -w <<").contains("ip addr replace fd00:30::62/128");
    }

    @Test
    void refusesToReadARuleSetOfAnotherMode() {
        RuleSet iptables = new IptablesRenderer().render(ClusterImage.empty(), NODE1, RenderOptions.defaults(CLUSTER_CIDR));
        assertThatThrownBy(() -> IpvsRenderer.parts(iptables)).hasMessageContaining("mode iptables");
    }

    @Test
    void emptyClusterStillCreatesEverySetAndChain() {
        RuleSet rules = new IpvsRenderer().render(ClusterImage.empty(), NODE1, RenderOptions.defaults(CLUSTER_CIDR));
        IpvsParts parts = IpvsRenderer.parts(rules);
        assertThat(parts.ipvsadm()).isEmpty();
        assertThat(parts.boundAddresses()).isEmpty();
        assertThat(parts.ipsetContent().entryCount()).isZero();
        assertThat(rules.serviceCount()).isZero();
        assertThat(rules.chains()).hasSize(11);
        assertThat(service("x", "y", "172.30.0.1").name()).isEqualTo("y"); // fixture sanity
    }

    private static Map<String, Set<String>> declaredChains(String text) {
        Map<String, Set<String>> declared = new HashMap<>();
        String table = null;
        for (String line : text.lines().toList()) {
            if (line.startsWith("*")) {
                table = line.substring(1);
                declared.put(table, new TreeSet<>());
            } else if (line.startsWith(":")) {
                declared.get(table).add(line.substring(1).split(" ")[0]);
            }
        }
        return declared;
    }

    private static Set<String> qualified(Map<String, Set<String>> declared) {
        Set<String> q = new TreeSet<>();
        declared.forEach((t, chains) -> chains.forEach(ch -> q.add(t + "/" + ch)));
        return q;
    }

    private static String firstDifference(String name, String expected, String actual) {
        List<String> e = expected.lines().toList();
        List<String> a = actual.lines().toList();
        for (int i = 0; i < Math.max(e.size(), a.size()); i++) {
            String el = i < e.size() ? e.get(i) : "<end of golden file>";
            String al = i < a.size() ? a.get(i) : "<end of output>";
            if (!el.equals(al)) {
                return "golden " + name + ".txt differs at line " + (i + 1) + ":\n  expected: " + el + "\n  actual:   " + al;
            }
        }
        return "golden " + name + ".txt differs in line endings";
    }
}
