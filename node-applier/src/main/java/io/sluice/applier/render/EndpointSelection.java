package io.sluice.applier.render;

import java.util.List;

/**
 * Which endpoints of a Service port receive new connections. One small function on purpose:
 * kube-proxy's fallbacks (serving-and-terminating endpoints when none is ready, traffic policy
 * Local, topology hints) will all be added here, and every renderer calls it.
 */
public final class EndpointSelection {
    private EndpointSelection() {
    }

    /** The endpoints that get traffic: for now, the ready ones, in their given order. */
    public static List<EndpointTarget> usable(ResolvedServicePort port, NodeContext node) {
        return port.endpoints().stream().filter(EndpointTarget::ready).toList();
    }
}
