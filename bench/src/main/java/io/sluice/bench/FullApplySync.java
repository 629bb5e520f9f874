package io.sluice.bench;

import io.sluice.applier.backend.ApplyException;
import io.sluice.applier.backend.RuleBackend;
import io.sluice.applier.render.NodeContext;
import io.sluice.applier.render.RenderOptions;
import io.sluice.applier.render.RuleRenderer;
import io.sluice.applier.render.RuleSet;
import io.sluice.store.image.ClusterImage;

/** The applier's sync as main has it: render the whole image, hand the whole rule set to the backend. */
public final class FullApplySync implements SluiceSync {
    private final RuleRenderer renderer;
    private final RuleBackend backend;
    private final NodeContext node;
    private final RenderOptions options;

    public FullApplySync(RuleRenderer renderer, RuleBackend backend, NodeContext node, RenderOptions options) {
        this.renderer = renderer;
        this.backend = backend;
        this.node = node;
        this.options = options;
    }

    @Override
    public Breakdown sync(ClusterImage image, java.util.Set<io.sluice.schema.model.ObjectKey> changedServices)
            throws ApplyException {
        long t0 = System.nanoTime();
        RuleSet rules = renderer.render(image, node, options);
        long t1 = System.nanoTime();
        backend.apply(rules);
        return new Breakdown(t1 - t0, System.nanoTime() - t1, "whole rule set");
    }

    @Override
    public String describe() {
        return "full render + backend.apply (NodeApplier.syncOnce as on main): " + backend.describe();
    }

    @Override
    public void close() {
        backend.close();
    }
}
