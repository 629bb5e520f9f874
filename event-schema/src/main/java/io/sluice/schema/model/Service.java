package io.sluice.schema.model;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;

/**
 * A Kubernetes Service reduced to what a Service proxy uses (kube-proxy's ServicePort view),
 * including the fields later backends act on. Immutable; collections are copies.
 *
 * @param clusterIPs   the Service's virtual IPs, primary family first; empty when {@code headless}
 * @param annotations  only the annotations Sluice reads
 */
public record Service(
        String namespace,
        String name,
        ServiceType type,
        List<String> clusterIPs,
        boolean headless,
        List<IpFamily> ipFamilies,
        String ipFamilyPolicy,
        List<ServicePort> ports,
        SessionAffinity sessionAffinity,
        int sessionAffinityTimeoutSeconds,
        List<String> externalIPs,
        List<String> loadBalancerIngressIPs,
        List<String> loadBalancerSourceRanges,
        TrafficPolicy externalTrafficPolicy,
        TrafficPolicy internalTrafficPolicy,
        int healthCheckNodePort,
        String trafficDistribution,
        String externalName,
        SortedMap<String, String> annotations) implements Resource {

    /** kube-proxy's default ClientIP affinity timeout (3 hours). */
    public static final int DEFAULT_AFFINITY_TIMEOUT_SECONDS = 10800;

    public Service {
        Objects.requireNonNull(namespace, "namespace");
        Objects.requireNonNull(name, "name");
        type = type == null ? ServiceType.CLUSTER_IP : type;
        clusterIPs = Lists.copy(clusterIPs);
        ipFamilies = Lists.copy(ipFamilies);
        ports = Lists.copy(ports);
        sessionAffinity = sessionAffinity == null ? SessionAffinity.NONE : sessionAffinity;
        externalIPs = Lists.copy(externalIPs);
        loadBalancerIngressIPs = Lists.copy(loadBalancerIngressIPs);
        loadBalancerSourceRanges = Lists.copy(loadBalancerSourceRanges);
        externalTrafficPolicy = externalTrafficPolicy == null ? TrafficPolicy.CLUSTER : externalTrafficPolicy;
        internalTrafficPolicy = internalTrafficPolicy == null ? TrafficPolicy.CLUSTER : internalTrafficPolicy;
        annotations = Lists.sorted(annotations);
    }

    @Override
    public ObjectKey key() {
        return ObjectKey.service(namespace, name);
    }

    /** True when a proxy programs nothing for this Service (headless or ExternalName), as kube-proxy. */
    public boolean ignoredByProxy() {
        return headless || type == ServiceType.EXTERNAL_NAME || clusterIPs.isEmpty();
    }

    public static Builder builder(String namespace, String name) {
        return new Builder(namespace, name);
    }

    public Builder toBuilder() {
        Builder b = new Builder(namespace, name);
        b.type = type;
        b.clusterIPs = clusterIPs;
        b.headless = headless;
        b.ipFamilies = ipFamilies;
        b.ipFamilyPolicy = ipFamilyPolicy;
        b.ports = ports;
        b.sessionAffinity = sessionAffinity;
        b.sessionAffinityTimeoutSeconds = sessionAffinityTimeoutSeconds;
        b.externalIPs = externalIPs;
        b.loadBalancerIngressIPs = loadBalancerIngressIPs;
        b.loadBalancerSourceRanges = loadBalancerSourceRanges;
        b.externalTrafficPolicy = externalTrafficPolicy;
        b.internalTrafficPolicy = internalTrafficPolicy;
        b.healthCheckNodePort = healthCheckNodePort;
        b.trafficDistribution = trafficDistribution;
        b.externalName = externalName;
        b.annotations = annotations;
        return b;
    }

    /** Builder with Kubernetes' defaults; for normalisers and tests. */
    public static final class Builder {
        private final String namespace;
        private final String name;
        private ServiceType type = ServiceType.CLUSTER_IP;
        private List<String> clusterIPs = List.of();
        private boolean headless;
        private List<IpFamily> ipFamilies = List.of();
        private String ipFamilyPolicy;
        private List<ServicePort> ports = List.of();
        private SessionAffinity sessionAffinity = SessionAffinity.NONE;
        private int sessionAffinityTimeoutSeconds = DEFAULT_AFFINITY_TIMEOUT_SECONDS;
        private List<String> externalIPs = List.of();
        private List<String> loadBalancerIngressIPs = List.of();
        private List<String> loadBalancerSourceRanges = List.of();
        private TrafficPolicy externalTrafficPolicy = TrafficPolicy.CLUSTER;
        private TrafficPolicy internalTrafficPolicy = TrafficPolicy.CLUSTER;
        private int healthCheckNodePort;
        private String trafficDistribution;
        private String externalName;
        private Map<String, String> annotations = Map.of();

        private Builder(String namespace, String name) {
            this.namespace = namespace;
            this.name = name;
        }

        public Builder type(ServiceType v) { this.type = v; return this; }
        public Builder clusterIPs(List<String> v) { this.clusterIPs = v; return this; }
        public Builder clusterIP(String v) { this.clusterIPs = List.of(v); return this; }
        public Builder headless(boolean v) { this.headless = v; return this; }
        public Builder ipFamilies(List<IpFamily> v) { this.ipFamilies = v; return this; }
        public Builder ipFamilyPolicy(String v) { this.ipFamilyPolicy = v; return this; }
        public Builder ports(List<ServicePort> v) { this.ports = v; return this; }
        public Builder ports(ServicePort... v) { this.ports = List.of(v); return this; }
        public Builder sessionAffinity(SessionAffinity v) { this.sessionAffinity = v; return this; }
        public Builder sessionAffinityTimeoutSeconds(int v) { this.sessionAffinityTimeoutSeconds = v; return this; }
        public Builder externalIPs(List<String> v) { this.externalIPs = v; return this; }
        public Builder loadBalancerIngressIPs(List<String> v) { this.loadBalancerIngressIPs = v; return this; }
        public Builder loadBalancerSourceRanges(List<String> v) { this.loadBalancerSourceRanges = v; return this; }
        public Builder externalTrafficPolicy(TrafficPolicy v) { this.externalTrafficPolicy = v; return this; }
        public Builder internalTrafficPolicy(TrafficPolicy v) { this.internalTrafficPolicy = v; return this; }
        public Builder healthCheckNodePort(int v) { this.healthCheckNodePort = v; return this; }
        public Builder trafficDistribution(String v) { this.trafficDistribution = v; return this; }
        public Builder externalName(String v) { this.externalName = v; return this; }
        public Builder annotations(Map<String, String> v) { this.annotations = v; return this; }

        public Service build() {
            return new Service(namespace, name, type, clusterIPs, headless, ipFamilies, ipFamilyPolicy, ports,
                    sessionAffinity, sessionAffinityTimeoutSeconds, externalIPs, loadBalancerIngressIPs,
                    loadBalancerSourceRanges, externalTrafficPolicy, internalTrafficPolicy, healthCheckNodePort,
                    trafficDistribution, externalName, annotations == null ? null : Lists.sorted(annotations));
        }
    }
}
