package io.sluice.applier.render;

import io.sluice.schema.model.ObjectKey;
import io.sluice.store.image.ClusterImage;
import java.util.Set;

/**
 * Pure function from cluster state to one node's rules: no I/O, no clock, deterministic output and
 * deterministic chain names. Implementations live in this package, which must not import Kafka,
 * RocksDB, Vert.x or fabric8 (a test enforces it).
 */
public interface RuleRenderer {
    RuleSet render(ClusterImage image, NodeContext node, RenderOptions options);

    /**
     * Renders {@code image}, reusing what it can of {@code previous} (a rule set this renderer made,
     * or null): only the Services in {@code changedServices} need rendering again, provided it names
     * every Service whose Service object or EndpointSlices differ between {@code previous}'s image
     * and {@code image}. The result must equal {@link #render(ClusterImage, NodeContext,
     * RenderOptions)}'s. The default renders everything.
     */
    default RuleSet render(ClusterImage image, NodeContext node, RenderOptions options, RuleSet previous,
            Set<ObjectKey> changedServices) {
        return render(image, node, options);
    }
}
