package io.sluice.applier.render;

import java.util.List;
import java.util.Objects;

/**
 * What a renderer knows about the node it renders for.
 *
 * @param nodeName the Kubernetes node name (matches Endpoint.nodeName)
 * @param nodeIPs  the node's own addresses (for NodePort and local-traffic rules); may be empty
 * @param zone     the node's topology zone, or null
 */
public record NodeContext(String nodeName, List<String> nodeIPs, String zone) {
    public NodeContext {
        Objects.requireNonNull(nodeName, "nodeName");
        nodeIPs = nodeIPs == null ? List.of() : List.copyOf(nodeIPs);
    }

    public static NodeContext of(String nodeName) {
        return new NodeContext(nodeName, List.of(), null);
    }
}
