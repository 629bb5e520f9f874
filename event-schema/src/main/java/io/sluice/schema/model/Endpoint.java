package io.sluice.schema.model;

import java.util.List;

/**
 * One endpoint of an EndpointSlice, with its conditions already defaulted the way Kubernetes
 * defines them in discovery/v1 (a missing {@code ready} means ready, a missing {@code serving} means serving,
 * a missing {@code terminating} means not terminating), as kube-proxy reads them.
 */
public record Endpoint(
        List<String> addresses,
        boolean ready,
        boolean serving,
        boolean terminating,
        String nodeName,
        String zone,
        List<String> hintsForZones,
        List<String> hintsForNodes) {
    public Endpoint {
        addresses = Lists.copy(addresses);
        hintsForZones = Lists.copy(hintsForZones);
        hintsForNodes = Lists.copy(hintsForNodes);
    }

    /** A ready, serving endpoint on a node, without zone or hints. */
    public static Endpoint ready(String address, String nodeName) {
        return new Endpoint(List.of(address), true, true, false, nodeName, null, List.of(), List.of());
    }
}
