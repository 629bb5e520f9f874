package io.sluice.applier.render;

import static io.sluice.applier.render.Fixtures.epTcp;
import static io.sluice.applier.render.Fixtures.epUdp;
import static io.sluice.applier.render.Fixtures.image;
import static io.sluice.applier.render.Fixtures.notReady;
import static io.sluice.applier.render.Fixtures.ready;
import static io.sluice.applier.render.Fixtures.service;
import static io.sluice.applier.render.Fixtures.slice;
import static io.sluice.applier.render.Fixtures.tcp;
import static io.sluice.applier.render.Fixtures.terminating;
import static io.sluice.applier.render.Fixtures.udp;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.fail;

import io.sluice.applier.backend.IptablesJump;
import io.sluice.schema.model.AddressType;
import io.sluice.schema.model.IpFamily;
import io.sluice.schema.model.Resource;
import io.sluice.schema.model.EndpointSlice;
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
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Golden files under src/test/resources/golden/iptables/ hold the full expected output of each
 * case. A mismatch fails; after checking the change is intended, regenerate them with
 * {@code ./mvnw -pl node-applier test -Dtest=IptablesRendererTest -Dgolden.update=true}.
 */
class IptablesRendererTest {
    private static final Path GOLDEN_DIR = Path.of("src/test/resources/golden/iptables");
    private static final String CLUSTER_CIDR = "10.244.0.0/16";
    private static final NodeContext NODE = NodeContext.of("node1");
    private static final Set<String> BUILT_IN_TARGETS =
            Set.of("ACCEPT", "DROP", "RETURN", "REJECT", "DNAT", "SNAT", "MASQUERADE", "MARK");

    record Case(String name, ClusterImage image, NodeContext node, RenderOptions options) {
        @Override
        public String toString() {
            return name;
        }
    }

    /** One golden per behaviour of {@link Behaviours}, plus the option variants, plus IPv6. */
    static Stream<Case> cases() {
        RenderOptions defaults = RenderOptions.defaults(CLUSTER_CIDR);
        List<Case> out = new ArrayList<>();
        Behaviours.all().forEach((name, objects) ->
                out.add(new Case(name, image(objects.toArray(new Resource[0])), Behaviours.NODE1, defaults)));
        ClusterImage web = image(Behaviours.all().get("cluster-ip").toArray(new Resource[0]));
        ClusterImage nodePort = image(Behaviours.all().get("node-port").toArray(new Resource[0]));
        out.add(new Case("masquerade-all", web, NODE, new RenderOptions(CLUSTER_CIDR, 14, true)));
        out.add(new Case("no-cluster-cidr", image(Behaviours.all().get("external-traffic-policy-local")
                .toArray(new Resource[0])), Behaviours.NODE1, RenderOptions.defaults(null)));
        out.add(new Case("custom-masquerade-bit", web, NODE, new RenderOptions(CLUSTER_CIDR, 5, false)));
        out.add(new Case("node-port-addresses", nodePort, Behaviours.NODE1,
                defaults.withNodePortAddresses(List.of("192.168.0.0/24", "172.16.0.0/12", "fd00::/8"))));
        out.add(new Case("ipv6-dual-stack", image(Behaviours.everything().toArray(new Resource[0])), Behaviours.NODE1,
                new RenderOptions(IpFamily.IPV6, List.of(CLUSTER_CIDR, "fd00:244::/32"), 14, false, List.of())));
        return out.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void rendersGoldenOutput(Case c) throws IOException {
        String actual = new IptablesRenderer().render(c.image(), c.node(), c.options()).text();
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
    void everyJumpTargetIsADeclaredChainOrABuiltInTarget(Case c) {
        RuleSet rules = new IptablesRenderer().render(c.image(), c.node(), c.options());
        Map<String, Set<String>> declared = declaredChains(rules.text());
        String table = null;
        for (String line : rules.lines()) {
            if (line.startsWith("*")) {
                table = line.substring(1);
            } else if (line.startsWith("-A ")) {
                String chain = line.split(" ")[1];
                assertThat(declared.get(table)).as("chain of %s", line).contains(chain);
                Matcher m = Pattern.compile(" (?:-j|--jump) (\\S+)").matcher(line);
                if (!m.find()) {
                    assertThat(line).as("only comment-only rules may have no target").matches("-A \\S+ -m comment --comment \"[^\"]*\"");
                    continue;
                }
                String target = m.group(1);
                assertThat(BUILT_IN_TARGETS.contains(target) || declared.get(table).contains(target))
                        .as("target %s of %s in table %s", target, line, table).isTrue();
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void chainsListsExactlyTheDeclaredChains(Case c) {
        RuleSet rules = new IptablesRenderer().render(c.image(), c.node(), c.options());
        Set<String> qualified = new TreeSet<>();
        declaredChains(rules.text()).forEach((t, chains) -> chains.forEach(ch -> qualified.add(t + "/" + ch)));
        assertThat(rules.chains()).isEqualTo(qualified);
        assertThat(rules.chains()).allMatch(ch -> ch.matches("(nat|filter)/SLUICE-[A-Z0-9-]+") && ch.length() <= 28 + 7);
        assertThat(rules.text()).endsWith("COMMIT\n");
    }

    @Test
    void countsProgrammedServicesAndEndpointChains() {
        RuleSet rules = new IptablesRenderer().render(cases().filter(c -> c.name().equals("multi-port-named-target-ports"))
                .findFirst().orElseThrow().image(), NODE, RenderOptions.defaults(CLUSTER_CIDR));
        assertThat(rules.serviceCount()).isEqualTo(1);
        assertThat(rules.endpointCount()).isEqualTo(3 + 2 + 2); // http on 3 pods, metrics and dns on 2
        assertThat(rules.mode()).isEqualTo("iptables");
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
        String first = new IptablesRenderer().render(image(a, b, sa1, sa2, sb), NODE, o).text();
        String second = new IptablesRenderer().render(image(sb, sa2, sa1, b, a), NODE, o).text();
        assertThat(second).isEqualTo(first);
        assertThat(first).containsOnlyOnce("--to-destination 10.244.1.9:8080"); // same endpoint in two slices
    }

    @Test
    void everyJumpFromABuiltInChainTargetsARenderedChain() {
        RuleSet rules = new IptablesRenderer().render(ClusterImage.empty(), NODE, RenderOptions.defaults(CLUSTER_CIDR));
        for (IptablesJump j : IptablesJump.defaults()) {
            assertThat(rules.chains()).as("target of jump %s", j.rule()).contains(j.qualifiedTarget());
        }
    }

    @Test
    void sessionAffinityTimeoutComesFromTheService() {
        String text = new IptablesRenderer().render(image(Behaviours.all().get("session-affinity").toArray(new Resource[0])),
                NODE, RenderOptions.defaults(CLUSTER_CIDR)).text();
        assertThat(text).contains("--rcheck --seconds 600 --reap").contains("--set");
    }

    /** kube-proxy writes fmt.Sprintf("%0.10f", 1.0/n); Go rounds exact halves to even. */
    @ParameterizedTest
    @CsvSource({"2,0.5000000000", "3,0.3333333333", "6,0.1666666667", "7,0.1428571429", "2048,0.0004882812",
            "1000,0.0010000000"})
    void probabilitiesAreFormattedLikeKubeProxy(int n, String expected) {
        assertThat(IptablesRenderer.probability(n)).isEqualTo(expected);
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

    private static String firstDifference(String name, String expected, String actual) {
        List<String> e = expected.lines().toList();
        List<String> a = actual.lines().toList();
        List<String> out = new ArrayList<>();
        for (int i = 0; i < Math.max(e.size(), a.size()); i++) {
            String el = i < e.size() ? e.get(i) : "<end of golden file>";
            String al = i < a.size() ? a.get(i) : "<end of output>";
            if (!el.equals(al)) {
                out.add("golden " + name + ".txt differs at line " + (i + 1) + ":\n  expected: " + el + "\n  actual:   " + al);
                break;
            }
        }
        return out.isEmpty() ? "golden " + name + ".txt differs in line endings" : out.get(0);
    }
}
