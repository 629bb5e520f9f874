package io.sluice.applier.render;

import static io.sluice.applier.render.Fixtures.epTcp;
import static io.sluice.applier.render.Fixtures.image;
import static io.sluice.applier.render.Fixtures.ready;
import static io.sluice.applier.render.Fixtures.service;
import static io.sluice.applier.render.Fixtures.slice;
import static io.sluice.applier.render.Fixtures.tcp;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

import io.sluice.applier.render.nft.NftChain;
import io.sluice.applier.render.nft.NftScript;
import io.sluice.applier.render.nft.NftSet;
import io.sluice.applier.render.nft.NftTable;
import io.sluice.schema.model.Endpoint;
import io.sluice.schema.model.EndpointSlice;
import io.sluice.schema.model.IpFamily;
import io.sluice.schema.model.Resource;
import io.sluice.schema.model.Service;
import io.sluice.schema.model.ServiceType;
import io.sluice.schema.model.SessionAffinity;
import io.sluice.schema.model.TrafficPolicy;
import io.sluice.store.image.ClusterImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Golden files under src/test/resources/golden/nftables/ hold the full expected output of each
 * case (the same behaviours as the iptables goldens). A mismatch fails; after checking the change
 * is intended, regenerate them with
 * {@code ./mvnw -pl node-applier test -Dtest=NftablesRendererTest -Dgolden.update=true}.
 */
class NftablesRendererTest {
    private static final Path GOLDEN_DIR = Path.of("src/test/resources/golden/nftables");
    private static final String CLUSTER_CIDR = Behaviours.CLUSTER_CIDR;
    private static final NodeContext NODE = NodeContext.of("node1");
    private static final Set<String> VERDICTS = Set.of("accept", "drop", "return", "reject", "continue");

    record Case(String name, ClusterImage image, NodeContext node, RenderOptions options, RuleRenderer renderer) {
        @Override
        public String toString() {
            return name;
        }

        RuleSet render() {
            return renderer.render(image, node, options);
        }
    }

    static Stream<Case> cases() {
        RenderOptions defaults = RenderOptions.defaults(CLUSTER_CIDR);
        NftablesRenderer r = new NftablesRenderer();
        List<Case> out = new ArrayList<>();
        Behaviours.all().forEach((name, objects) ->
                out.add(new Case(name, image(objects.toArray(new Resource[0])), Behaviours.NODE1, defaults, r)));
        ClusterImage web = image(Behaviours.all().get("cluster-ip").toArray(new Resource[0]));
        ClusterImage nodePort = image(Behaviours.all().get("node-port").toArray(new Resource[0]));
        ClusterImage everything = image(Behaviours.everything().toArray(new Resource[0]));
        RenderOptions v6 = new RenderOptions(IpFamily.IPV6, List.of(CLUSTER_CIDR, Behaviours.CLUSTER_CIDR6), 14, false,
                List.of());
        out.add(new Case("masquerade-all", web, NODE, defaults.withMasqueradeAll(true), r));
        out.add(new Case("no-cluster-cidr", image(Behaviours.all().get("external-traffic-policy-local")
                .toArray(new Resource[0])), Behaviours.NODE1, RenderOptions.defaults(null), r));
        out.add(new Case("custom-masquerade-bit", web, NODE, new RenderOptions(CLUSTER_CIDR, 5, false), r));
        out.add(new Case("node-port-addresses", nodePort, Behaviours.NODE1,
                defaults.withNodePortAddresses(List.of("192.168.0.0/24", "172.16.0.0/12", "fd00::/8")), r));
        out.add(new Case("ipv6-dual-stack", everything, Behaviours.NODE1, v6, r));
        out.add(new Case("both-families-one-rule-set", image(Behaviours.all().get("dual-stack").toArray(new Resource[0])),
                Behaviours.NODE1, new RenderOptions(IpFamily.IPV4, List.of(CLUSTER_CIDR, Behaviours.CLUSTER_CIDR6), 14,
                        false, List.of()), NftablesRenderer.dualStack()));
        out.add(new Case("empty-cluster", ClusterImage.empty(), NODE, defaults, r));
        return out.stream();
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

    /**
     * Every {@code jump}/{@code goto} (in rules, anonymous vmaps and map elements) names a regular
     * chain of the same table, every {@code @name} a set or map of it ({@code vmap @x} a map), and
     * every per-Service chain and set is used by something: no dangling and no orphan objects.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void everyReferenceNamesAnObjectOfTheTableAndEveryObjectIsReferenced(Case c) {
        for (NftTable t : NftScript.parse(c.render().text()).tables()) {
            Set<String> usedChains = new TreeSet<>();
            Set<String> usedSets = new TreeSet<>();
            for (NftChain chain : t.chains().values()) {
                for (String rule : chain.rules()) {
                    checkReferences(t, chain.name() + ": " + rule, words(rule), usedChains, usedSets);
                }
            }
            for (NftSet s : t.sets().values()) {
                for (String element : s.elements().values()) {
                    List<String> w = words(element.substring(element.indexOf(" : ") < 0 ? element.length()
                            : element.indexOf(" : ") + 3));
                    checkReferences(t, s.name() + " element " + element, w, usedChains, usedSets);
                    if (s.map()) {
                        assertThat(w.get(0)).as("verdict of %s", element).isIn("goto", "jump", "drop", "accept");
                    }
                }
            }
            // Per-Service objects exist only while used; the fixed ones (reject-chain…) always exist.
            Set<String> perService = new TreeSet<>();
            t.chains().keySet().stream().filter(NftablesChainNames::isServiceObject).forEach(perService::add);
            t.sets().keySet().stream().filter(NftablesChainNames::isServiceObject).forEach(perService::add);
            Set<String> used = new TreeSet<>(usedChains);
            used.addAll(usedSets);
            assertThat(used).as("objects referenced in %s", t.qualifiedName()).containsAll(perService);
        }
    }

    private static void checkReferences(NftTable t, String where, List<String> words, Set<String> usedChains,
            Set<String> usedSets) {
        for (int i = 0; i < words.size(); i++) {
            String w = words.get(i);
            if ((w.equals("jump") || w.equals("goto")) && i + 1 < words.size()) {
                String target = words.get(i + 1);
                assertThat(t.chains()).as("%s target of %s", w, where).containsKey(target);
                assertThat(t.chains().get(target).isBaseChain()).as("%s into a base chain: %s", w, where).isFalse();
                usedChains.add(target);
            } else if (w.startsWith("@")) {
                String set = w.substring(1);
                assertThat(t.sets()).as("set or map named in %s", where).containsKey(set);
                if (i > 0 && words.get(i - 1).equals("vmap")) {
                    assertThat(t.sets().get(set).map()).as("vmap @%s in %s is a map", set, where).isTrue();
                }
                usedSets.add(set);
            }
        }
    }

    private static List<String> words(String text) {
        return List.of(text.strip().split("[\\s{},]+")).stream().filter(s -> !s.isEmpty()).toList();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void textIsCanonicalAndChainsListsEveryChain(Case c) {
        RuleSet rules = c.render();
        NftScript parsed = NftScript.parse(rules.text());

        assertThat(parsed.toText()).as("parse and print again").isEqualTo(rules.text());
        Set<String> qualified = new TreeSet<>();
        parsed.tables().forEach(t -> t.chains().keySet().forEach(ch -> qualified.add(t.qualifiedName() + "/" + ch)));
        assertThat(rules.chains()).isEqualTo(qualified);
        assertThat(rules.mode()).isEqualTo("nftables");
        assertThat(parsed.tables()).allMatch(t -> t.name().equals("sluice") && t.family().matches("ip6?"));
        assertThat(rules.text()).doesNotContain("flush ").doesNotContain("delete ");
    }

    /** kube-proxy's own names (pkg/proxy/nftables/proxier_test.go, TestOverallNFTablesRules). */
    @ParameterizedTest
    @CsvSource({
        "ns1,svc1,p80,,service-ULMVA6XW-ns1/svc1/tcp/p80",
        "ns2,svc2,p80,,service-42NFTM6N-ns2/svc2/tcp/p80",
        "ns5,svc5,p80,,service-HVFWP5L3-ns5/svc5/tcp/p80",
        "ns1,svc1,p80,10.180.0.1,endpoint-5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80",
        "ns4,svc4,p80,10.180.0.4,endpoint-UNZV3OEC-ns4/svc4/tcp/p80__10.180.0.4/80",
        "ns4,svc4,p80,10.180.0.5,endpoint-5RFCDDV7-ns4/svc4/tcp/p80__10.180.0.5/80",
    })
    void namesAreKubeProxys(String ns, String name, String port, String endpointIp, String expected) {
        ServicePortName spn = new ServicePortName(ns, name, port);
        String actual = endpointIp == null ? NftablesChainNames.serviceChain(spn, "tcp")
                : NftablesChainNames.endpointChain(spn, "tcp", new EndpointTarget(endpointIp, 80, null, true, true, false));
        assertThat(actual).isEqualTo(expected);
    }

    @Test
    void namesOfOtherObjectsShareTheHashAndIpv6ColonsBecomeDots() {
        ServicePortName svc2 = new ServicePortName("ns2", "svc2", "p80");
        ServicePortName svc5 = new ServicePortName("ns5", "svc5", "p80");
        assertThat(NftablesChainNames.externalChain(svc2, "tcp")).isEqualTo("external-42NFTM6N-ns2/svc2/tcp/p80");
        assertThat(NftablesChainNames.firewallChain(svc5, "tcp")).isEqualTo("firewall-HVFWP5L3-ns5/svc5/tcp/p80");
        assertThat(NftablesChainNames.affinitySet(svc5, "tcp", new EndpointTarget("10.180.0.3", 80, null, true, true, false)))
                .isEqualTo("affinity-GTK6MW7G-ns5/svc5/tcp/p80__10.180.0.3/80");
        assertThat(NftablesChainNames.endpointChain(svc5, "udp", new EndpointTarget("fd00:10:180::2:1", 53, null, true,
                true, false))).matches("endpoint-[A-Z2-7]{8}-ns5/svc5/udp/p80__fd00.10.180..2.1/53");
        String longName = "n".repeat(63);
        String truncated = NftablesChainNames.endpointChain(new ServicePortName(longName, longName, longName), "sctp",
                new EndpointTarget("fd00:1111:2222:3333:4444:5555:6666:7777", 65535, null, true, true, false));
        assertThat(truncated).hasSize("endpoint-".length() + 240).endsWith("...");
    }

    /**
     * kube-proxy's TestOverallNFTablesRules (six Services: ClusterIP, LB with eTP Local, NodePort,
     * external IP, LB with source ranges and affinity, no endpoints) rendered by Sluice gives
     * kube-proxy's expected lines, table name aside, but for one line Sluice cannot write: the drop
     * of unallocated cluster IPs needs the Service CIDRs, which are not part of Sluice's input.
     */
    @Test
    void kubeProxysOverallRulesTestGivesKubeProxysLines() throws IOException {
        String nodeName = "test-node";
        Service svc2 = Service.builder("ns2", "svc2").type(ServiceType.LOAD_BALANCER).clusterIP("172.30.0.42")
                .externalTrafficPolicy(TrafficPolicy.LOCAL).loadBalancerIngressIPs(List.of("1.2.3.4"))
                .externalIPs(List.of("192.168.99.22")).healthCheckNodePort(30000)
                .ports(Fixtures.tcpNodePort("p80", 80, "80", 3001)).build();
        Service svc3 = Service.builder("ns3", "svc3").type(ServiceType.NODE_PORT).clusterIP("172.30.0.43")
                .ports(Fixtures.tcpNodePort("p80", 80, "80", 3003)).build();
        Service svc4 = Service.builder("ns4", "svc4").type(ServiceType.NODE_PORT).clusterIP("172.30.0.44")
                .externalIPs(List.of("192.168.99.33")).ports(tcp("p80", 80, "80")).build();
        Service svc5 = Service.builder("ns5", "svc5").type(ServiceType.LOAD_BALANCER).clusterIP("172.30.0.45")
                .loadBalancerIngressIPs(List.of("5.6.7.8")).healthCheckNodePort(30000)
                .loadBalancerSourceRanges(List.of(" 203.0.113.0/25")).sessionAffinity(SessionAffinity.CLIENT_IP)
                .sessionAffinityTimeoutSeconds(10800).ports(Fixtures.tcpNodePort("p80", 80, "80", 3002)).build();
        ClusterImage img = image(
                service("ns1", "svc1", "172.30.0.41", tcp("p80", 80, "80")),
                slice("ns1", "svc1-1", "svc1", List.of(epTcp("p80", 80)), noNode("10.180.0.1")),
                svc2, slice("ns2", "svc2-1", "svc2", List.of(epTcp("p80", 80)), noNode("10.180.0.2")),
                svc3, slice("ns3", "svc3-1", "svc3", List.of(epTcp("p80", 80)), noNode("10.180.0.3")),
                svc4, slice("ns4", "svc4-1", "svc4", List.of(epTcp("p80", 80)), noNode("10.180.0.4"),
                        Endpoint.ready("10.180.0.5", nodeName)),
                svc5, slice("ns5", "svc5-1", "svc5", List.of(epTcp("p80", 80)), noNode("10.180.0.3")),
                service("ns6", "svc6", "172.30.0.46", tcp("p80", 80, "80")));
        RuleSet rules = new NftablesRenderer().render(img, new NodeContext(nodeName, List.of("192.168.0.2"), null),
                RenderOptions.defaults("10.0.0.0/8").withNodePortAddresses(List.of("192.168.0.2/32")));

        Set<String> expected = lines(Files.readString(Path.of("src/test/resources/nftables/kube-proxy-overall.txt")));
        expected.removeIf(l -> l.contains("Drop traffic to unallocated ClusterIPs"));
        assertThat(lines(rules.text().replace(" sluice ", " kube-proxy ")))
                .containsExactlyInAnyOrderElementsOf(expected);
    }

    private static Endpoint noNode(String ip) {
        return new Endpoint(List.of(ip), true, true, false, null, null, List.of(), List.of());
    }

    private static Set<String> lines(String text) {
        Set<String> out = new HashSet<>();
        text.lines().map(String::strip).filter(l -> !l.isEmpty() && !l.startsWith("#"))
                .map(l -> l.replace("sluice", "kube-proxy")).forEach(out::add);
        return out;
    }

    @Test
    void renderingIsDeterministicWhateverTheReplayOrder() {
        Service a = service("a", "svc", "172.30.1.1", tcp("x", 80, "80"), tcp("y", 81, "81"));
        Service b = service("b", "svc", "172.30.1.2", tcp("", 80, "80"));
        EndpointSlice sa1 = slice("a", "svc-1", "svc", List.of(epTcp("x", 8080), epTcp("y", 8081)),
                ready("10.244.1.9"), ready("10.244.1.10"));
        EndpointSlice sa2 = slice("a", "svc-2", "svc", List.of(epTcp("x", 8080)), ready("10.244.1.9"), ready("10.244.3.1"));
        EndpointSlice sb = slice("b", "svc-1", "svc", List.of(epTcp("", 9000)), ready("10.244.2.2"));
        RenderOptions o = RenderOptions.defaults(CLUSTER_CIDR);
        String first = new NftablesRenderer().render(image(a, b, sa1, sa2, sb), NODE, o).text();
        String second = new NftablesRenderer().render(image(sb, sa2, sa1, b, a), NODE, o).text();
        assertThat(second).isEqualTo(first);
        assertThat(first).containsOnlyOnce("dnat to 10.244.1.9:8080"); // same endpoint in two slices
    }

    @Test
    void countsProgrammedServicesAndEndpointChains() {
        RuleSet rules = new NftablesRenderer().render(image(Behaviours.all().get("multi-port-named-target-ports")
                .toArray(new Resource[0])), NODE, RenderOptions.defaults(CLUSTER_CIDR));
        assertThat(rules.serviceCount()).isEqualTo(1);
        assertThat(rules.endpointCount()).isEqualTo(3 + 2 + 2); // http on 3 pods, metrics and dns on 2
    }

    @Test
    void twoServicesClaimingOneExternalAddressAndPortKeepTheFirstInsteadOfFailing() {
        Service a = Service.builder("a", "one").clusterIP("172.30.1.1").externalIPs(List.of("198.51.100.1"))
                .ports(tcp("http", 80, "80")).build();
        Service b = Service.builder("b", "two").clusterIP("172.30.1.2").externalIPs(List.of("198.51.100.1"))
                .ports(tcp("http", 80, "80")).build();
        RuleSet rules = new NftablesRenderer().render(image(a, b,
                slice("a", "one-1", "one", List.of(epTcp("http", 80)), ready("10.244.1.1")),
                slice("b", "two-1", "two", List.of(epTcp("http", 80)), ready("10.244.1.2"))), NODE,
                RenderOptions.defaults(CLUSTER_CIDR));
        assertThat(rules.text()).containsOnlyOnce("198.51.100.1 . tcp . 80 :").contains("a/one/tcp/http");
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
