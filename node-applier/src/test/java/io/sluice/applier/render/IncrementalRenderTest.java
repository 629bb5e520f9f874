package io.sluice.applier.render;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.schema.model.IpFamily;
import io.sluice.schema.model.ObjectKey;
import io.sluice.schema.model.Resource;
import io.sluice.schema.model.Service;
import io.sluice.store.image.ClusterImage;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Incremental iptables renders equal full renders: from every kube-proxy behaviour of
 * {@link Behaviours}, random steps take objects away, bring them back and shrink slices; after each
 * step the render that reuses the previous rule set and re-renders only the changed Services must
 * give the text, chains and fingerprint of a render from scratch.
 */
class IncrementalRenderTest {
    private static final IptablesRenderer RENDERER = new IptablesRenderer();

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12})
    void incrementalRendersEqualFullRenders(long seed) {
        Random random = new Random(seed);
        RenderOptions options = seed % 3 == 0 ? RenderOptions.defaults(null) : RenderOptions.defaults(Behaviours.CLUSTER_CIDR);
        if (seed % 4 == 0) {
            options = RenderOptions.defaults(Behaviours.CLUSTER_CIDR6).withFamily(IpFamily.IPV6);
        }
        List<Resource> universe = Behaviours.everything();
        Map<ObjectKey, Resource> state = new LinkedHashMap<>();
        universe.forEach(r -> state.put(r.key(), r));
        ClusterImage image = Fixtures.image(state);
        RuleSet rules = RENDERER.render(image, Behaviours.NODE1, options);
        for (int step = 0; step < 40; step++) {
            Map<ObjectKey, Resource> next = Fixtures.randomStep(random, universe, state);
            ClusterImage after = Fixtures.image(next);
            Set<ObjectKey> changed = Fixtures.changedServices(state, next);
            RuleSet incremental = RENDERER.render(after, Behaviours.NODE1, options, rules, changed);
            RuleSet full = RENDERER.render(after, Behaviours.NODE1, options);
            assertThat(incremental.text()).as("seed %d step %d, changed %s", seed, step, changed).isEqualTo(full.text());
            assertThat(incremental.chains()).isEqualTo(full.chains());
            assertThat(incremental.fingerprint()).isEqualTo(full.fingerprint());
            assertThat(incremental.serviceCount()).isEqualTo(full.serviceCount());
            assertThat(incremental.endpointCount()).isEqualTo(full.endpointCount());
            assertThat(incremental.rulesPerTable()).isEqualTo(full.rulesPerTable());
            assertTouchedCoversEveryDifference(rules, incremental);
            state.clear();
            state.putAll(next);
            rules = incremental;
        }
    }

    @Test
    void unchangedServicesShareTheirChainsWithThePreviousRuleSet() {
        RenderOptions options = RenderOptions.defaults(Behaviours.CLUSTER_CIDR);
        List<Resource> all = Behaviours.everything();
        ClusterImage image = Fixtures.image(all.toArray(new Resource[0]));
        RuleSet before = RENDERER.render(image, Behaviours.NODE1, options);
        Service web = (Service) all.get(0);
        List<Resource> without = new ArrayList<>(all);
        without.removeIf(r -> r.key().equals(web.key()));
        RuleSet after = RENDERER.render(Fixtures.image(without.toArray(new Resource[0])), Behaviours.NODE1, options,
                before, Set.of(web.key()));

        IptablesChains b = before.structure(IptablesChains.class).orElseThrow();
        IptablesChains a = after.structure(IptablesChains.class).orElseThrow();
        int shared = 0;
        int differs = 0;
        for (String table : a.tables().keySet()) {
            for (Map.Entry<String, List<String>> e : a.tables().get(table).entrySet()) {
                List<String> old = b.rules(table, e.getKey());
                if (old == e.getValue()) {
                    shared++;
                } else {
                    differs++;
                }
            }
        }
        assertThat(shared).as("chains shared by reference").isGreaterThan(50);
        // Only the dispatch chains the removed Service had rules in are new lists.
        assertThat(differs).as("chains rebuilt").isLessThanOrEqualTo(2);
        assertThat(a.qualifiedChains()).noneMatch(c -> c.contains("ns1/web")).hasSizeLessThan(b.qualifiedChains().size());
        assertThat(after.text()).isEqualTo(RENDERER.render(Fixtures.image(without.toArray(new Resource[0])),
                Behaviours.NODE1, options).text());
    }

    @Test
    void aRuleSetForAnotherNodeOrOtherOptionsIsNotReused() {
        RenderOptions options = RenderOptions.defaults(Behaviours.CLUSTER_CIDR);
        ClusterImage image = Fixtures.image(Behaviours.everything().toArray(new Resource[0]));
        RuleSet node1 = RENDERER.render(image, Behaviours.NODE1, options);
        NodeContext node2 = new NodeContext("node2", List.of("192.168.0.2"), "zone-b");
        RuleSet reused = RENDERER.render(image, node2, options, node1, Set.of());
        assertThat(reused.text()).isEqualTo(RENDERER.render(image, node2, options).text()).isNotEqualTo(node1.text());
        RuleSet masqAll = RENDERER.render(image, Behaviours.NODE1, options.withMasqueradeAll(true), node1, Set.of());
        assertThat(masqAll.text()).isEqualTo(RENDERER.render(image, Behaviours.NODE1, options.withMasqueradeAll(true)).text());
    }

    /** Every chain whose lines differ between the two models is among those the patch says it touched. */
    private static void assertTouchedCoversEveryDifference(RuleSet before, RuleSet after) {
        IptablesChains b = before.structure(IptablesChains.class).orElseThrow();
        IptablesChains a = after.structure(IptablesChains.class).orElseThrow();
        Set<String> touched = a.touchedSince(b).orElseThrow();
        assertThat(a.touchedSince(a)).isEmpty();
        Set<String> all = new HashSet<>(a.qualifiedChains());
        all.addAll(b.qualifiedChains());
        for (String q : all) {
            String t = q.substring(0, q.indexOf('/'));
            String c = q.substring(q.indexOf('/') + 1);
            if (!Objects.equals(a.rules(t, c), b.rules(t, c))) {
                assertThat(touched).as("chains the patch touched").contains(q);
            } else if (!touched.contains(q)) {
                assertThat(a.rules(t, c)).as("an untouched chain is shared by reference: %s", q).isSameAs(b.rules(t, c));
            }
        }
    }
}
