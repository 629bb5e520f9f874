package io.sluice.applier.render;

import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * One backend of a Service port as a proxy sees it: the endpoint's first address with the port
 * resolved from its EndpointSlice, and everything endpoint selection decides on (kube-proxy's
 * {@code BaseEndpointInfo}).
 *
 * @param nodeName  the node the endpoint runs on, or null when the slice does not say
 * @param zone      the endpoint's zone, or null (informational: topology uses hints, not zones)
 * @param zoneHints {@code hints.forZones}: zones whose nodes should use this endpoint
 * @param nodeHints {@code hints.forNodes}: nodes that should use this endpoint (PreferSameNode)
 */
public record EndpointTarget(String ip, int port, String nodeName, boolean ready, boolean serving,
        boolean terminating, String zone, Set<String> zoneHints, Set<String> nodeHints) {
    public EndpointTarget {
        Objects.requireNonNull(ip, "ip");
        zoneHints = Set.copyOf(zoneHints == null ? Set.of() : zoneHints);
        nodeHints = Set.copyOf(nodeHints == null ? Set.of() : nodeHints);
    }

    /** An endpoint without zone or hints. */
    public EndpointTarget(String ip, int port, String nodeName, boolean ready, boolean serving, boolean terminating) {
        this(ip, port, nodeName, ready, serving, terminating, null, Set.of(), Set.of());
    }

    /** Builds the hint sets from the slice's lists. */
    static EndpointTarget of(String ip, int port, String nodeName, boolean ready, boolean serving,
            boolean terminating, String zone, List<String> zoneHints, List<String> nodeHints) {
        return new EndpointTarget(ip, port, nodeName, ready, serving, terminating, zone,
                new TreeSet<>(zoneHints), new TreeSet<>(nodeHints));
    }

    /** kube-proxy's IsLocal: the endpoint runs on {@code node}. */
    public boolean isLocal(String node) {
        return nodeName != null && nodeName.equals(node);
    }

    /** kube-proxy's "serving and terminating": the fallback when no endpoint is ready. */
    public boolean servingTerminating() {
        return serving && terminating;
    }

    /** {@code ip:port} ({@code [ip]:port} for IPv6), kube-proxy's endpoint string, hashed into SEP chain names. */
    @Override
    public String toString() {
        return (ip.indexOf(':') >= 0 ? "[" + ip + "]" : ip) + ":" + port;
    }
}
