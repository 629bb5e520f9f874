package io.sluice.applier.render;

import io.sluice.store.image.ClusterImage;

/**
 * Pure function from cluster state to one node's rules: no I/O, no clock, deterministic output and
 * deterministic chain names. Implementations live in this package, which must not import Kafka,
 * RocksDB, Vert.x or fabric8 (a test enforces it).
 */
public interface RuleRenderer {
    RuleSet render(ClusterImage image, NodeContext node, RenderOptions options);
}
