package io.sluice.applier.render;

import java.util.Objects;

/**
 * One backend of a Service port as a proxy sees it: the endpoint's first address with the port
 * resolved from its EndpointSlice, and the conditions endpoint selection decides on.
 *
 * @param nodeName the node the endpoint runs on, or null when the slice does not say
 */
public record EndpointTarget(String ip, int port, String nodeName, boolean ready, boolean serving, boolean terminating) {
    public EndpointTarget {
        Objects.requireNonNull(ip, "ip");
    }

    /** {@code ip:port}, kube-proxy's endpoint string (hashed into SEP chain names). */
    @Override
    public String toString() {
        return ip + ":" + port;
    }
}
