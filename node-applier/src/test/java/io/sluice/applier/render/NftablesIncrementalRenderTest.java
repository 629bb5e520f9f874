package io.sluice.applier.render;

import static io.sluice.applier.render.Fixtures.epTcp;
import static io.sluice.applier.render.Fixtures.ready;
import static io.sluice.applier.render.Fixtures.slice;
import static io.sluice.applier.render.Fixtures.tcp;
import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.applier.render.nft.NftChange;
import io.sluice.applier.render.nft.NftDiff;
import io.sluice.applier.render.nft.NftScript;
import io.sluice.applier.render.nft.NftTableModel;
import io.sluice.schema.model.IpFamily;
import io.sluice.schema.model.ObjectKey;
import io.sluice.schema.model.Resource;
import io.sluice.schema.model.Service;
import io.sluice.schema.model.ServiceType;
import io.sluice.store.image.ClusterImage;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Incremental nftables renders equal full renders: from every kube-proxy behaviour of
 * {@link Behaviours} (plus Services that claim the same address and port, and a multi-port
 * Service), random steps take objects away, bring them back, shrink slices and change affinity
 * timeouts; after each step the render that reuses the previous rule set and re-renders only the
 * changed Services must give the text, chains, fingerprint and counts of a render from scratch,
 * and the transaction the backend derives from the two models must be the one derived from the
 * two texts.
 */
class NftablesIncrementalRenderTest {
    /** Two Services claiming 203.0.113.7:80 as external IP (the first in order wins), one of them with two ports. */
    private static final List<Resource> CLASHING = List.of(
            Service.builder("ns9", "a").type(ServiceType.CLUSTER_IP).clusterIP("172.30.9.1")
                    .externalIPs(List.of("203.0.113.7")).ports(tcp("http", 80, "8080"), tcp("alt", 81, "8081")).build(),
            slice("ns9", "a-1", "a", List.of(epTcp("http", 8080), epTcp("alt", 8081)), ready("10.244.9.1")),
            Service.builder("ns9", "b").type(ServiceType.CLUSTER_IP).clusterIP("172.30.9.2")
                    .externalIPs(List.of("203.0.113.7")).ports(tcp("http", 80, "8080")).build(),
            slice("ns9", "b-1", "b", List.of(epTcp("http", 8080)), ready("10.244.9.2")),
            Service.builder("ns9", "c").type(ServiceType.CLUSTER_IP).clusterIP("172.30.9.3")
                    .externalIPs(List.of("203.0.113.7")).ports(tcp("http", 80, "8080")).build());

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12})
    void incrementalRendersEqualFullRenders(long seed) {
        Random random = new Random(seed);
        RenderOptions options = seed % 3 == 0 ? RenderOptions.defaults(null) : RenderOptions.defaults(Behaviours.CLUSTER_CIDR);
        NftablesRenderer renderer = new NftablesRenderer();
        if (seed % 4 == 0) {
            options = RenderOptions.defaults(Behaviours.CLUSTER_CIDR6).withFamily(IpFamily.IPV6);
        } else if (seed % 4 == 1) {
            renderer = NftablesRenderer.dualStack();
        }
        List<Resource> universe = new ArrayList<>(Behaviours.everything());
        universe.addAll(CLASHING);
        Map<ObjectKey, Resource> state = new LinkedHashMap<>();
        universe.forEach(r -> state.put(r.key(), r));
        RuleSet rules = renderer.render(Fixtures.image(state), Behaviours.NODE1, options);
        for (int step = 0; step < 40; step++) {
            Map<ObjectKey, Resource> next = Fixtures.randomStep(random, universe, state);
            Set<ObjectKey> changed = Fixtures.changedServices(state, next);
            RuleSet incremental = renderer.render(Fixtures.image(next), Behaviours.NODE1, options, rules, changed);
            RuleSet full = renderer.render(Fixtures.image(next), Behaviours.NODE1, options);
            String what = "seed " + seed + " step " + step + ", changed " + changed;
            assertThat(incremental.text()).as(what).isEqualTo(full.text());
            assertThat(incremental.chains()).as(what).isEqualTo(full.chains());
            assertThat(incremental.fingerprint()).as(what).isEqualTo(full.fingerprint());
            assertThat(incremental.serviceCount()).as(what).isEqualTo(full.serviceCount());
            assertThat(incremental.endpointCount()).as(what).isEqualTo(full.endpointCount());
            assertThat(modelDiff(rules, incremental).script()).as(what)
                    .isEqualTo(NftDiff.between(NftScript.parse(rules.text()).byName(), NftScript.parse(full.text())).script());
            state.clear();
            state.putAll(next);
            rules = incremental;
        }
    }

    @Test
    void theFullRenderStillGivesTheOldTextAndAFingerprintOfItsRules() {
        RenderOptions options = RenderOptions.defaults(Behaviours.CLUSTER_CIDR);
        ClusterImage image = Fixtures.image(Behaviours.everything().toArray(new Resource[0]));
        RuleSet rules = new NftablesRenderer().render(image, Behaviours.NODE1, options);

        NftablesModel model = rules.structure(NftablesModel.class).orElseThrow();
        assertThat(rules.text()).isEqualTo(NftScript.parse(rules.text()).toText());
        assertThat(model.tables()).hasSize(1);
        assertThat(model.tables().get(0).toTable().toText()).isEqualTo(rules.text());
        // The same tables, however built, have the same fingerprint.
        NftTableModel<?> parsed = NftTableModel.<String>of(NftScript.parse(rules.text()).tables().get(0));
        assertThat(String.format("nft-fnv64:%016x", parsed.fingerprintHash())).isEqualTo(rules.fingerprint());
    }

    @Test
    void whenTheServiceHoldingAClashingAddressGoesTheNextInOrderTakesIt() {
        RenderOptions options = RenderOptions.defaults(Behaviours.CLUSTER_CIDR);
        NftablesRenderer renderer = new NftablesRenderer();
        RuleSet all = renderer.render(Fixtures.image(CLASHING.toArray(new Resource[0])), Behaviours.NODE1, options);
        assertThat(all.text()).contains("service-ips { 203.0.113.7 . tcp . 80 : goto external-")
                .containsOnlyOnce("203.0.113.7 . tcp . 80 :");
        String holder = line(all.text(), "service-ips { 203.0.113.7 . tcp . 80");
        assertThat(holder).contains("ns9/a/tcp/http");

        List<Resource> withoutA = CLASHING.subList(2, CLASHING.size());
        RuleSet after = renderer.render(Fixtures.image(withoutA.toArray(new Resource[0])), Behaviours.NODE1, options, all,
                Set.of(ObjectKey.service("ns9", "a")));

        assertThat(line(after.text(), "service-ips { 203.0.113.7 . tcp . 80")).contains("ns9/b/tcp/http");
        assertThat(after.text()).isEqualTo(renderer.render(Fixtures.image(withoutA.toArray(new Resource[0])),
                Behaviours.NODE1, options).text());
        NftChange change = modelDiff(all, after);
        assertThat(change.script()).contains("delete element ip sluice service-ips { 203.0.113.7 . tcp . 80 }")
                .contains("add element ip sluice service-ips { 203.0.113.7 . tcp . 80 : goto external-")
                .doesNotContain("ns9/c");
    }

    @Test
    void unchangedServicesShareTheirPartsAndTheDiffTouchesOnlyTheChangedService() {
        RenderOptions options = RenderOptions.defaults(Behaviours.CLUSTER_CIDR);
        NftablesRenderer renderer = new NftablesRenderer();
        List<Resource> all = new ArrayList<>(NftablesFixtures.services(300, 3));
        RuleSet before = renderer.render(Fixtures.image(all.toArray(new Resource[0])), Behaviours.NODE1, options);
        List<Resource> changed = new ArrayList<>(all);
        changed.removeAll(NftablesFixtures.service(7, 3));
        changed.addAll(NftablesFixtures.service(7, 2));
        RuleSet after = renderer.render(Fixtures.image(changed.toArray(new Resource[0])), Behaviours.NODE1, options,
                before, Set.of(ObjectKey.service("ns7", "svc7")));

        NftablesModel b = before.structure(NftablesModel.class).orElseThrow();
        NftablesModel a = after.structure(NftablesModel.class).orElseThrow();
        assertThat(a.table(0).base()).isSameAs(b.table(0).base());
        for (int i = 0; i < 300; i++) {
            NftablesModel.PortKey k = new NftablesModel.PortKey(new ServicePortName("ns" + i, "svc" + i, "http"),
                    io.sluice.schema.model.Protocol.TCP);
            if (i == 7) {
                assertThat(a.table(0).fragment(k)).isNotSameAs(b.table(0).fragment(k));
            } else {
                assertThat(a.table(0).fragment(k)).as("svc%d", i).isSameAs(b.table(0).fragment(k));
            }
        }
        NftChange change = modelDiff(before, after);
        assertThat(change.script().lines()).allMatch(l -> l.contains("ns7/svc7"));
        // Its three endpoints went, two new ones came (other addresses), its service chain was refilled.
        assertThat(change.chainsRemoved()).hasSize(3).allMatch(c -> c.startsWith("ip sluice/endpoint-") && c.contains("ns7/svc7"));
        assertThat(change.chainsWritten()).hasSize(3).allMatch(c -> c.contains("ns7/svc7"))
                .filteredOn(c -> c.startsWith("ip sluice/service-")).hasSize(1);
        assertThat(change.rulesWritten()).containsEntry("ip sluice", 2 + 2 * 2);
        assertThat(after.text()).isEqualTo(renderer.render(Fixtures.image(changed.toArray(new Resource[0])),
                Behaviours.NODE1, options).text());
    }

    @Test
    void aRuleSetForAnotherNodeOtherOptionsOrOtherFamiliesIsNotReused() {
        RenderOptions options = RenderOptions.defaults(Behaviours.CLUSTER_CIDR);
        NftablesRenderer renderer = new NftablesRenderer();
        ClusterImage image = Fixtures.image(Behaviours.everything().toArray(new Resource[0]));
        RuleSet node1 = renderer.render(image, Behaviours.NODE1, options);
        NodeContext node2 = new NodeContext("node2", List.of("192.168.0.2"), "zone-b");
        RuleSet reused = renderer.render(image, node2, options, node1, Set.of());
        assertThat(reused.text()).isEqualTo(renderer.render(image, node2, options).text()).isNotEqualTo(node1.text());
        RuleSet masqAll = renderer.render(image, Behaviours.NODE1, options.withMasqueradeAll(true), node1, Set.of());
        assertThat(masqAll.text()).isEqualTo(renderer.render(image, Behaviours.NODE1, options.withMasqueradeAll(true)).text());
        RuleSet dual = NftablesRenderer.dualStack().render(image, Behaviours.NODE1, options, node1, Set.of());
        assertThat(dual.text()).isEqualTo(NftablesRenderer.dualStack().render(image, Behaviours.NODE1, options).text());
    }

    private static String line(String text, String containing) {
        return text.lines().filter(l -> l.contains(containing)).findFirst().orElseThrow();
    }

    /** The backend's way: the models of both rule sets, diffed without text. */
    private static NftChange modelDiff(RuleSet installed, RuleSet wanted) {
        Map<String, NftTableModel<?>> before = new LinkedHashMap<>();
        installed.structure(NftablesModel.class).orElseThrow().tables().forEach(t -> before.put(t.qualifiedName(), t));
        return NftDiff.between(before, wanted.structure(NftablesModel.class).orElseThrow().tables());
    }
}
