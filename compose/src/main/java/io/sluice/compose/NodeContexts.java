package io.sluice.compose;

import io.sluice.applier.render.NodeContext;
import io.sluice.compose.config.ProxyConfig;
import io.sluice.schema.model.Node;
import io.sluice.schema.model.NodeAddress;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/** The renderer's view of a node, built from its Node object as kube-proxy builds it. */
final class NodeContexts {
    private NodeContexts() {
    }

    /**
     * The node's addresses are its InternalIPs, then its ExternalIPs (kube-proxy's order); a
     * specific {@code bindAddress} in the configuration comes first, as kube-proxy takes it for the
     * node's primary IP. The zone is the node's topology.kubernetes.io/zone label.
     */
    static NodeContext fromNode(Node node, ProxyConfig config) {
        Set<String> ips = new LinkedHashSet<>();
        config.primaryNodeIp().ifPresent(ips::add);
        for (String type : List.of("InternalIP", "ExternalIP")) {
            for (NodeAddress a : node.addresses()) {
                if (a.type().equals(type)) {
                    ips.add(a.address());
                }
            }
        }
        return new NodeContext(node.name(), new ArrayList<>(ips), node.zone());
    }
}
