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
 * The applier's sync with the backend's sync kinds (issue 4): render, then
 * {@code backend.apply(rules, FULL)} for the first sync and {@code PARTIAL} with the changed
 * Services after it, so the backend sends the kernel only what those Services changed.
 */
public final class PartialSync implements SluiceSync {
    private final RuleRenderer renderer;
    private final RuleBackend backend;
    private final NodeContext node;
    private final RenderOptions options;

    public PartialSync(RuleRenderer renderer, RuleBackend backend, NodeContext node, RenderOptions options) {
        this.renderer = renderer;
        this.backend = backend;
        this.node = node;
        this.options = options;
    }

    @Override
    public Breakdown sync(ClusterImage image, Set<ObjectKey> changedServices) throws ApplyException {
        long t0 = System.nanoTime();
        RuleSet rules = renderer.render(image, node, options);
        long t1 = System.nanoTime();
        ApplyReport r = changedServices == null ? backend.apply(rules, SyncKind.FULL, Set.of())
                : backend.apply(rules, SyncKind.PARTIAL, changedServices);
        return new Breakdown(t1 - t0, System.nanoTime() - t1, r.describe());
    }

    @Override
    public String describe() {
        return "full render + backend.apply(rules, PARTIAL, changed Services): " + backend.describe();
    }

    @Override
    public void close() {
        backend.close();
    }
}
