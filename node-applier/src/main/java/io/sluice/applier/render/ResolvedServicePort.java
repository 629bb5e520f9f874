package io.sluice.applier.render;

import io.sluice.schema.model.IpFamily;
import io.sluice.schema.model.Protocol;
import io.sluice.schema.model.Service;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * One port of one Service in one IP family, with everything a proxy needs resolved from the
 * cluster image (kube-proxy's {@code BaseServicePortInfo}). Shared by every renderer so that
 * iptables, nftables and IPVS program the same view. Addresses and ranges are of {@code family}
 * only; the other family's are dropped, as kube-proxy's per-family proxiers do.
 *
 * @param clusterIP                the Service's cluster IP of the family
 * @param nodePort                 0 when none
 * @param externalIPs              {@code spec.externalIPs} of the family
 * @param loadBalancerIPs          {@code status.loadBalancer.ingress[].ip} of the family
 * @param loadBalancerSourceRanges {@code spec.loadBalancerSourceRanges} of the family (CIDRs)
 * @param sessionAffinityClientIP  {@code sessionAffinity: ClientIP}
 * @param stickyMaxAgeSeconds      the ClientIP affinity timeout (0 without affinity)
 * @param externalPolicyLocal      externalTrafficPolicy Local on an externally reachable Service
 *                                 (kube-proxy's {@code ExternalPolicyLocal}; false otherwise)
 * @param internalPolicyLocal      internalTrafficPolicy Local
 * @param healthCheckNodePort      the health check port for LoadBalancer + eTP Local, else 0
 * @param trafficDistribution      {@code spec.trafficDistribution} (e.g. PreferClose), or null;
 *                                 informational: topology follows the slices' hints, as kube-proxy
 * @param endpoints                every endpoint of the port and family, usable or not,
 *                                 deduplicated, sorted by {@code ip:port}; {@link EndpointSelection} picks
 */
public record ResolvedServicePort(
        ServicePortName name,
        Protocol protocol,
        IpFamily family,
        String clusterIP,
        int port,
        int nodePort,
        List<String> externalIPs,
        List<String> loadBalancerIPs,
        List<String> loadBalancerSourceRanges,
        boolean sessionAffinityClientIP,
        int stickyMaxAgeSeconds,
        boolean externalPolicyLocal,
        boolean internalPolicyLocal,
        int healthCheckNodePort,
        String trafficDistribution,
        Service service,
        List<EndpointTarget> endpoints) {
    public ResolvedServicePort {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(protocol, "protocol");
        Objects.requireNonNull(family, "family");
        Objects.requireNonNull(clusterIP, "clusterIP");
        externalIPs = List.copyOf(externalIPs);
        loadBalancerIPs = List.copyOf(loadBalancerIPs);
        loadBalancerSourceRanges = List.copyOf(loadBalancerSourceRanges);
        endpoints = List.copyOf(endpoints);
    }

    /** The protocol as iptables and kube-proxy's hashes spell it: tcp, udp, sctp. */
    public String protocolName() {
        return protocol.wireName().toLowerCase(Locale.ROOT);
    }

    /** Reachable from outside the cluster: a NodePort, an external IP or a load-balancer IP. */
    public boolean externallyAccessible() {
        return nodePort != 0 || !externalIPs.isEmpty() || !loadBalancerIPs.isEmpty();
    }

    /**
     * kube-proxy's UsesClusterEndpoints: internal policy Cluster, or any external access (even
     * with eTP Local: pod and node traffic to external addresses short-circuits to all endpoints).
     */
    public boolean usesClusterEndpoints() {
        return !internalPolicyLocal || externallyAccessible();
    }

    /** kube-proxy's UsesLocalEndpoints: iTP Local, or eTP Local on an externally reachable port. */
    public boolean usesLocalEndpoints() {
        return internalPolicyLocal || (externalPolicyLocal && externallyAccessible());
    }

    /** Load-balancer IPs are firewalled: there are LB IPs and source ranges of this family. */
    public boolean hasFirewall() {
        return !loadBalancerIPs.isEmpty() && !loadBalancerSourceRanges.isEmpty();
    }
}
