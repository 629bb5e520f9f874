package io.sluice.applier.render;

import io.sluice.schema.model.IpFamily;
import java.util.List;
import java.util.Objects;

/**
 * What a renderer knows about the node it renders for.
 *
 * @param nodeName the Kubernetes node name (an endpoint is local when its nodeName equals it)
 * @param nodeIPs  the node's own addresses, either family, primary first (NodePorts on explicit
 *                 addresses, loadBalancerSourceRanges that admit the node); may be empty
 * @param zone     the node's topology.kubernetes.io/zone, or null (then zone hints are ignored)
 */
public record NodeContext(String nodeName, List<String> nodeIPs, String zone) {
    public NodeContext {
        Objects.requireNonNull(nodeName, "nodeName");
        nodeIPs = nodeIPs == null ? List.of() : List.copyOf(nodeIPs);
    }

    public static NodeContext of(String nodeName) {
        return new NodeContext(nodeName, List.of(), null);
    }

    /** The node's addresses of one family, in their given order. */
    public List<String> ipsOf(IpFamily family) {
        return nodeIPs.stream().filter(ip -> IpAddresses.isAddress(ip, family)).toList();
    }
}
