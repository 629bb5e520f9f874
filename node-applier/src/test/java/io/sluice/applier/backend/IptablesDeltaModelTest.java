package io.sluice.applier.backend;

import static io.sluice.applier.render.Fixtures.epTcp;
import static io.sluice.applier.render.Fixtures.image;
import static io.sluice.applier.render.Fixtures.ready;
import static io.sluice.applier.render.Fixtures.service;
import static io.sluice.applier.render.Fixtures.slice;
import static io.sluice.applier.render.Fixtures.tcp;
import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.applier.render.IptablesChains;
import io.sluice.applier.render.IptablesRenderer;
import io.sluice.applier.render.NodeContext;
import io.sluice.applier.render.RenderOptions;
import io.sluice.applier.render.RuleSet;
import io.sluice.schema.model.ObjectKey;
import io.sluice.schema.model.Resource;
import io.sluice.store.image.ClusterImage;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The delta planned from two renderer models (the second patched from the first, so only the
 * chains it touched are compared) equals the delta planned from the same two rule sets' texts,
 * where every chain is compared.
 */
class IptablesDeltaModelTest {
    private static final IptablesRenderer RENDERER = new IptablesRenderer();
    private static final NodeContext NODE = new NodeContext("node1", List.of("192.168.0.1"), null);
    private static final RenderOptions OPTIONS = RenderOptions.defaults("10.244.0.0/16");

    @Test
    void aPatchedModelPlansTheSameInputAsTheFullComparison() {
        List<Resource> objects = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            objects.add(service("ns", "svc" + i, "172.30.1." + (i + 1), tcp("http", 80, "8080")));
            objects.add(slice("ns", "svc" + i + "-a", "svc" + i, List.of(epTcp("http", 8080)),
                    ready("10.244.1." + (i + 1)), ready("10.244.2." + (i + 1))));
        }
        ClusterImage before = image(objects.toArray(new Resource[0]));
        RuleSet first = RENDERER.render(before, NODE, OPTIONS);

        List<Resource> changed = new ArrayList<>(objects);
        changed.set(15, slice("ns", "svc7-a", "svc7", List.of(epTcp("http", 8080)), ready("10.244.3.7"))); // endpoints replaced
        changed.remove(20); // svc10 goes: its dispatch rule goes too
        changed.remove(20);
        ClusterImage after = image(changed.toArray(new Resource[0]));
        Set<ObjectKey> services = Set.of(ObjectKey.service("ns", "svc7"), ObjectKey.service("ns", "svc10"));
        RuleSet second = RENDERER.render(after, NODE, OPTIONS, first, services);

        IptablesChains a = first.structure(IptablesChains.class).orElseThrow();
        IptablesChains b = second.structure(IptablesChains.class).orElseThrow();
        assertThat(b.touchedSince(a)).isPresent();

        IptablesDelta.Plan fromModels = IptablesDelta.plan(IptablesRules.of(a), IptablesRules.of(b, IptablesRules.of(a)));
        IptablesDelta.Plan fromText = IptablesDelta.plan(IptablesRules.parseRendered(first.text()),
                IptablesRules.parseRendered(second.text()));
        assertThat(fromModels.input()).isEqualTo(fromText.input()).contains("-X ");
        assertThat(fromModels.written()).isEqualTo(fromText.written());
        assertThat(fromModels.deleted()).isEqualTo(fromText.deleted()).isNotEmpty();
        assertThat(fromModels.rulesWritten()).isEqualTo(fromText.rulesWritten());
    }
}
