package io.sluice.bench;

import io.sluice.applier.backend.ApplyException;
import io.sluice.applier.backend.ApplyReport;
import io.sluice.applier.backend.RuleBackend;
import io.sluice.applier.backend.SyncKind;
import io.sluice.applier.render.NodeContext;
import io.sluice.applier.render.RenderOptions;
import io.sluice.applier.render.RuleRenderer;
import io.sluice.applier.render.RuleSet;
import io.sluice.schema.model.ObjectKey;
import io.sluice.store.image.ClusterImage;
import java.util.Set;

/**
 * The applier's sync as {@code RuleSyncer} does it: the first sync renders everything and applies
 * it FULL; after it, the renderer re-renders only the changed Services on top of the rule set the
 * kernel holds (renderers that cannot, render everything) and the backend applies it PARTIAL with
 * the changed Services, sending the kernel only what those Services changed.
 */
public final class PartialSync implements SluiceSync {
    private final RuleRenderer renderer;
    private final RuleBackend backend;
    private final NodeContext node;
    private final RenderOptions options;
    /** The rule set the kernel holds; null before the first sync and after a failure. */
    private RuleSet kernel;

    public PartialSync(RuleRenderer renderer, RuleBackend backend, NodeContext node, RenderOptions options) {
        this.renderer = renderer;
        this.backend = backend;
        this.node = node;
        this.options = options;
    }

    @Override
    public Breakdown sync(ClusterImage image, Set<ObjectKey> changedServices) throws ApplyException {
        long t0 = System.nanoTime();
        boolean partial = changedServices != null && kernel != null;
        RuleSet rules = partial ? renderer.render(image, node, options, kernel, changedServices)
                : renderer.render(image, node, options);
        long t1 = System.nanoTime();
        kernel = null;
        ApplyReport r = partial ? backend.apply(rules, SyncKind.PARTIAL, changedServices)
                : backend.apply(rules, SyncKind.FULL, Set.of());
        kernel = rules;
        return new Breakdown(t1 - t0, System.nanoTime() - t1, r.describe());
    }

    @Override
    public String describe() {
        return "render of the changed Services + backend.apply(rules, PARTIAL, changed Services): " + backend.describe();
    }

    @Override
    public void close() {
        backend.close();
    }
}
