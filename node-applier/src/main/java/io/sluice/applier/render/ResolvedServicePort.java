package io.sluice.applier.render;

import io.sluice.schema.model.Protocol;
import io.sluice.schema.model.Service;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * One Service port with everything a renderer needs resolved from the cluster image: its IPv4
 * cluster IP and all its endpoints (usable or not; {@link EndpointSelection} decides). Shared by
 * every renderer so that iptables, nftables and IPVS program the same view.
 *
 * @param service   the Service it belongs to (for NodePort, affinity and traffic policies later)
 * @param clusterIP the IPv4 virtual IP
 * @param endpoints every endpoint of the port, deduplicated and sorted by {@code ip:port}
 */
public record ResolvedServicePort(
        ServicePortName name,
        Protocol protocol,
        String clusterIP,
        int port,
        Service service,
        List<EndpointTarget> endpoints) {
    public ResolvedServicePort {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(protocol, "protocol");
        Objects.requireNonNull(clusterIP, "clusterIP");
        endpoints = List.copyOf(endpoints);
    }

    /** The protocol as iptables and kube-proxy's hashes spell it: tcp, udp, sctp. */
    public String protocolName() {
        return protocol.wireName().toLowerCase(Locale.ROOT);
    }
}
