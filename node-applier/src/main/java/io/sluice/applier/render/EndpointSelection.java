package io.sluice.applier.render;

import java.util.List;
import java.util.function.Predicate;

/**
 * Which endpoints of a Service port receive new connections on a node: kube-proxy's
 * {@code CategorizeEndpoints} (pkg/proxy/topology.go), the one function every renderer calls.
 *
 * <p>"Usable" means ready; when no endpoint is ready, serving-and-terminating endpoints are used
 * instead (independently for the cluster and the local set). Cluster endpoints follow topology:
 * when every ready endpoint has node hints and one is hinted for this node, only those
 * (PreferSameNode); else when every ready endpoint has zone hints and one is hinted for this
 * node's zone, only those (PreferSameZone, what the EndpointSlice controller writes for
 * trafficDistribution PreferClose); otherwise all. Local endpoints ignore topology.
 */
public final class EndpointSelection {
    /** kube-proxy's topology modes; NONE uses every ready endpoint. */
    public enum TopologyMode { NONE, PREFER_SAME_ZONE, PREFER_SAME_NODE }

    /**
     * The endpoints of one Service port on one node, as kube-proxy categorizes them.
     *
     * @param cluster         endpoints for Cluster traffic policy (topology applied); empty when
     *                        the port does not use them ({@link ResolvedServicePort#usesClusterEndpoints()})
     * @param local           endpoints on this node for Local traffic policy; empty when the port
     *                        does not use them ({@link ResolvedServicePort#usesLocalEndpoints()})
     * @param allReachable    union of both, in {@code ip:port} order: every endpoint this node may
     *                        send to (one SEP chain each in iptables)
     * @param hasAnyEndpoints the Service has a usable endpoint anywhere in the cluster (may be true
     *                        while {@code allReachable} is empty, e.g. iTP Local with only remote ones)
     * @param topology        the topology mode applied to the cluster endpoints
     */
    public record Categorized(List<EndpointTarget> cluster, List<EndpointTarget> local,
            List<EndpointTarget> allReachable, boolean hasAnyEndpoints, TopologyMode topology) {
        public Categorized {
            cluster = List.copyOf(cluster);
            local = List.copyOf(local);
            allReachable = List.copyOf(allReachable);
        }
    }

    private EndpointSelection() {
    }

    /** kube-proxy's CategorizeEndpoints for {@code port} on {@code node}. */
    public static Categorized categorize(ResolvedServicePort port, NodeContext node) {
        List<EndpointTarget> eps = port.endpoints();
        String nodeName = node.nodeName();
        List<EndpointTarget> cluster = List.of();
        TopologyMode mode = TopologyMode.NONE;
        boolean hasAny = false;
        if (port.usesClusterEndpoints()) {
            mode = topologyMode(eps, nodeName, node.zone());
            TopologyMode m = mode;
            cluster = filter(eps, ep -> ep.ready() && availableForTopology(ep, m, nodeName, node.zone()));
            if (cluster.isEmpty()) {
                // No ready endpoint anywhere (topology was already dropped if none fit it).
                cluster = filter(eps, EndpointTarget::servingTerminating);
            }
            hasAny = !cluster.isEmpty();
        }
        if (!port.usesLocalEndpoints()) {
            return new Categorized(cluster, List.of(), cluster, hasAny, mode);
        }
        boolean localReady = false;
        boolean localServingTerminating = false;
        for (EndpointTarget ep : eps) {
            if (ep.ready() || ep.servingTerminating()) {
                hasAny = true;
                localReady |= ep.ready() && ep.isLocal(nodeName);
                localServingTerminating |= !ep.ready() && ep.servingTerminating() && ep.isLocal(nodeName);
            }
        }
        List<EndpointTarget> local = List.of();
        if (localReady) {
            local = filter(eps, ep -> ep.isLocal(nodeName) && ep.ready());
        } else if (localServingTerminating) {
            local = filter(eps, ep -> ep.isLocal(nodeName) && ep.servingTerminating());
        }
        if (!port.usesClusterEndpoints()) {
            return new Categorized(List.of(), local, local, hasAny, mode);
        }
        List<EndpointTarget> c = cluster;
        List<EndpointTarget> l = local;
        List<EndpointTarget> all = filter(eps, ep -> c.contains(ep) || l.contains(ep));
        return new Categorized(cluster, local, all, hasAny, mode);
    }

    /** kube-proxy's topologyModeFromHints (PreferSameTrafficDistribution enabled, its 1.34 default). */
    static TopologyMode topologyMode(List<EndpointTarget> eps, String nodeName, String zone) {
        boolean hasReady = false;
        boolean allNodeHints = true;
        boolean forNode = false;
        boolean allZoneHints = true;
        boolean forZone = false;
        for (EndpointTarget ep : eps) {
            if (!ep.ready()) {
                continue;
            }
            hasReady = true;
            if (ep.nodeHints().isEmpty()) {
                allNodeHints = false;
            } else if (ep.nodeHints().contains(nodeName)) {
                forNode = true;
            }
            if (ep.zoneHints().isEmpty()) {
                allZoneHints = false;
            } else if (zone != null && ep.zoneHints().contains(zone)) {
                forZone = true;
            }
        }
        if (!hasReady) {
            return TopologyMode.NONE;
        }
        if (allNodeHints && forNode) {
            return TopologyMode.PREFER_SAME_NODE;
        }
        if (allZoneHints && forZone) {
            return TopologyMode.PREFER_SAME_ZONE;
        }
        return TopologyMode.NONE;
    }

    private static boolean availableForTopology(EndpointTarget ep, TopologyMode mode, String nodeName, String zone) {
        return switch (mode) {
            case NONE -> true;
            case PREFER_SAME_NODE -> ep.nodeHints().contains(nodeName);
            case PREFER_SAME_ZONE -> zone != null && ep.zoneHints().contains(zone);
        };
    }

    private static List<EndpointTarget> filter(List<EndpointTarget> eps, Predicate<EndpointTarget> p) {
        return eps.stream().filter(p).toList();
    }
}
