package io.sluice.compose;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * Configuration of the embedded dev stack.
 *
 * @param stateDir  where the broker, the appliers' RocksDB snapshots and dry-run rule files live
 * @param clusterId the cluster id events carry
 * @param seedYaml  Kubernetes YAML the mock API is seeded with; null: the bundled examples/lab.yaml
 * @param lab       true: build network namespaces and write real iptables rules (needs root);
 *                  false: dry-run backends write rule files
 * @param nodes     node names, one applier each; the lab has exactly two
 */
public record StackOptions(Path stateDir, String clusterId, Path seedYaml, boolean lab, List<String> nodes) {
    public StackOptions {
        Objects.requireNonNull(stateDir, "stateDir");
        if (clusterId == null || !clusterId.matches("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?")) {
            throw new IllegalArgumentException("cluster id '" + clusterId + "' must be a DNS label (lowercase letters, digits, '-')");
        }
        nodes = List.copyOf(nodes);
        if (lab && nodes.size() != 2) {
            throw new IllegalArgumentException("the lab has exactly two nodes, got " + nodes);
        }
    }

    public String eventsTopic() {
        return "sluice." + clusterId + ".events";
    }
}
