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
 * <p>{@code nodeName}: the node the endpoint runs on, or null when the slice does not say;
 * {@code zone}: the endpoint's zone, or null (informational: topology uses hints, not zones);
 * {@code zoneHints}: {@code hints.forZones}, zones whose nodes should use this endpoint;
 * {@code nodeHints}: {@code hints.forNodes}, nodes that should use this endpoint (PreferSameNode).
 * A value class (equality over every field) whose {@code ip:port} string is built once.
 */
public final class EndpointTarget {
    private final String ip;
    private final int port;
    private final String nodeName;
    private final boolean ready;
    private final boolean serving;
    private final boolean terminating;
    private final String zone;
    private final Set<String> zoneHints;
    private final Set<String> nodeHints;
    /** {@link #toString()}, built once: renders use it for chain names, comments and sorting. */
    private final String text;

    public EndpointTarget(String ip, int port, String nodeName, boolean ready, boolean serving,
            boolean terminating, String zone, Set<String> zoneHints, Set<String> nodeHints) {
        this.ip = Objects.requireNonNull(ip, "ip");
        this.port = port;
        this.nodeName = nodeName;
        this.ready = ready;
        this.serving = serving;
        this.terminating = terminating;
        this.zone = zone;
        this.zoneHints = zoneHints == null || zoneHints.isEmpty() ? Set.of() : Set.copyOf(zoneHints);
        this.nodeHints = nodeHints == null || nodeHints.isEmpty() ? Set.of() : Set.copyOf(nodeHints);
        this.text = (ip.indexOf(':') >= 0 ? "[" + ip + "]" : ip) + ":" + port;
    }

    public String ip() {
        return ip;
    }

    public int port() {
        return port;
    }

    public String nodeName() {
        return nodeName;
    }

    public boolean ready() {
        return ready;
    }

    public boolean serving() {
        return serving;
    }

    public boolean terminating() {
        return terminating;
    }

    public String zone() {
        return zone;
    }

    public Set<String> zoneHints() {
        return zoneHints;
    }

    public Set<String> nodeHints() {
        return nodeHints;
    }

    /** An endpoint without zone or hints. */
    public EndpointTarget(String ip, int port, String nodeName, boolean ready, boolean serving, boolean terminating) {
        this(ip, port, nodeName, ready, serving, terminating, null, Set.of(), Set.of());
    }

    /** Builds the hint sets from the slice's lists. */
    static EndpointTarget of(String ip, int port, String nodeName, boolean ready, boolean serving,
            boolean terminating, String zone, List<String> zoneHints, List<String> nodeHints) {
        return new EndpointTarget(ip, port, nodeName, ready, serving, terminating, zone,
                zoneHints.isEmpty() ? Set.of() : new TreeSet<>(zoneHints), nodeHints.isEmpty() ? Set.of() : new TreeSet<>(nodeHints));
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
        return text;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof EndpointTarget e && port == e.port && ready == e.ready && serving == e.serving
                && terminating == e.terminating && ip.equals(e.ip) && Objects.equals(nodeName, e.nodeName)
                && Objects.equals(zone, e.zone) && zoneHints.equals(e.zoneHints) && nodeHints.equals(e.nodeHints);
    }

    @Override
    public int hashCode() {
        return Objects.hash(ip, port, nodeName, ready, serving, terminating, zone, zoneHints, nodeHints);
    }
}
