package io.sluice.applier.render;

import io.sluice.schema.model.AddressType;
import io.sluice.schema.model.Endpoint;
import io.sluice.schema.model.EndpointPort;
import io.sluice.schema.model.EndpointSlice;
import io.sluice.schema.model.IpFamily;
import io.sluice.schema.model.ObjectKey;
import io.sluice.schema.model.Service;
import io.sluice.schema.model.ServicePort;
import io.sluice.schema.model.ServiceType;
import io.sluice.schema.model.SessionAffinity;
import io.sluice.schema.model.TrafficPolicy;
import io.sluice.store.image.ClusterImage;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Turns the cluster image into the Service ports of one IP family a proxy programs, with
 * kube-proxy's semantics ({@code newBaseServiceInfo}, {@code endpointslicecache.go}):
 * <ul>
 *   <li>ignored Services (headless, ExternalName, no cluster IP) give nothing, and so does a
 *       Service without a cluster IP of the family;</li>
 *   <li>external IPs, load-balancer IPs and source ranges are kept for the family only;</li>
 *   <li>externalTrafficPolicy Local counts only on an externally reachable Service (NodePort,
 *       LoadBalancer, or ClusterIP with external IPs); healthCheckNodePort only for LoadBalancer
 *       with eTP Local;</li>
 *   <li>an endpoint's port is the number of the EndpointSlice port whose name and protocol equal
 *       the Service port's (targetPort is never read); only slices of the family's address type
 *       count; an endpoint is its first address; the same {@code ip:port} from two slices counts
 *       once (the slice first by name wins).</li>
 * </ul>
 * Pure and deterministic: output sorted by port name and protocol, endpoints by {@code ip:port}.
 */
public final class ServicePortResolver {
    private ServicePortResolver() {
    }

    /** Every IPv4 Service port of the image. */
    public static List<ResolvedServicePort> resolve(ClusterImage image) {
        return resolve(image, IpFamily.IPV4);
    }

    /** Every Service port of the image in {@code family}, sorted by {@code ns/name:port} and protocol. */
    public static List<ResolvedServicePort> resolve(ClusterImage image, IpFamily family) {
        List<ResolvedServicePort> out = new ArrayList<>();
        for (Service svc : image.services()) {
            resolveInto(image, svc, family, out);
        }
        out.sort(ORDER);
        return out;
    }

    /** The order of {@link #resolve(ClusterImage, IpFamily)}: {@code ns/name:port}, then protocol. */
    public static final Comparator<ResolvedServicePort> ORDER =
            Comparator.comparing(ResolvedServicePort::name).thenComparing(ResolvedServicePort::protocol);

    /**
     * The Service ports of one Service in {@code family}, in {@link #ORDER}: exactly the ones
     * {@link #resolve(ClusterImage, IpFamily)} gives for it; empty when the image lacks the Service
     * or a proxy ignores it. What incremental renders use for the Services that changed.
     */
    public static List<ResolvedServicePort> resolveService(ClusterImage image, ObjectKey serviceKey, IpFamily family) {
        List<ResolvedServicePort> out = new ArrayList<>();
        image.get(serviceKey).filter(Service.class::isInstance).map(Service.class::cast)
                .ifPresent(svc -> resolveInto(image, svc, family, out));
        out.sort(ORDER);
        return out;
    }

    private static void resolveInto(ClusterImage image, Service svc, IpFamily family, List<ResolvedServicePort> out) {
        if (svc.ignoredByProxy()) {
            return;
        }
        Optional<String> vip = svc.clusterIPs().stream().filter(ip -> IpAddresses.isAddress(ip, family)).findFirst();
        if (vip.isEmpty()) {
            return;
        }
        List<EndpointSlice> slices = image.slicesFor(svc.key());
        for (ServicePort sp : svc.ports()) {
            out.add(resolvePort(svc, sp, vip.get(), family, endpointsFor(sp, slices, family)));
        }
    }

    private static ResolvedServicePort resolvePort(Service svc, ServicePort sp, String vip, IpFamily family,
            List<EndpointTarget> endpoints) {
        boolean affinity = svc.sessionAffinity() == SessionAffinity.CLIENT_IP;
        int timeout = svc.sessionAffinityTimeoutSeconds() > 0 ? svc.sessionAffinityTimeoutSeconds()
                : Service.DEFAULT_AFFINITY_TIMEOUT_SECONDS;
        boolean etpLocal = externallyAccessible(svc) && svc.externalTrafficPolicy() == TrafficPolicy.LOCAL;
        boolean needsHealthCheck = svc.type() == ServiceType.LOAD_BALANCER && etpLocal;
        return new ResolvedServicePort(
                new ServicePortName(svc.namespace(), svc.name(), sp.name()), sp.protocol(), family, vip, sp.port(),
                sp.nodePort(),
                ofFamily(svc.externalIPs(), family),
                ofFamily(svc.loadBalancerIngressIPs(), family),
                svc.loadBalancerSourceRanges().stream().map(String::strip)
                        .filter(c -> IpAddresses.cidrFamily(c).filter(f -> f == family).isPresent()).toList(),
                affinity, affinity ? timeout : 0,
                etpLocal,
                svc.internalTrafficPolicy() == TrafficPolicy.LOCAL,
                needsHealthCheck ? svc.healthCheckNodePort() : 0,
                svc.trafficDistribution(),
                svc, endpoints);
    }

    /** Kubernetes' apiservice.ExternallyAccessible: by type, or a ClusterIP with external IPs. */
    static boolean externallyAccessible(Service svc) {
        return svc.type() == ServiceType.LOAD_BALANCER || svc.type() == ServiceType.NODE_PORT
                || (svc.type() == ServiceType.CLUSTER_IP && !svc.externalIPs().isEmpty());
    }

    private static List<String> ofFamily(List<String> ips, IpFamily family) {
        return ips.stream().filter(ip -> IpAddresses.isAddress(ip, family)).toList();
    }

    static List<EndpointTarget> endpointsFor(ServicePort sp, List<EndpointSlice> slices, IpFamily family) {
        AddressType type = family == IpFamily.IPV4 ? AddressType.IPV4 : AddressType.IPV6;
        Map<String, EndpointTarget> byIpPort = new LinkedHashMap<>();
        for (EndpointSlice slice : slices) {
            if (slice.addressType() != type) {
                continue;
            }
            Optional<Integer> port = portOf(sp, slice);
            if (port.isEmpty()) {
                continue;
            }
            for (Endpoint ep : slice.endpoints()) {
                if (ep.addresses().isEmpty() || !IpAddresses.isAddress(ep.addresses().get(0), family)) {
                    continue;
                }
                EndpointTarget t = EndpointTarget.of(ep.addresses().get(0), port.get(), ep.nodeName(),
                        ep.ready(), ep.serving(), ep.terminating(), ep.zone(), ep.hintsForZones(), ep.hintsForNodes());
                byIpPort.putIfAbsent(t.toString(), t);
            }
        }
        return byIpPort.values().stream().sorted(Comparator.comparing(EndpointTarget::toString)).toList();
    }

    /** The slice's port number for the Service port: same name and protocol, number present. */
    private static Optional<Integer> portOf(ServicePort sp, EndpointSlice slice) {
        for (EndpointPort p : slice.ports()) {
            if (p.name().equals(sp.name()) && p.protocol() == sp.protocol() && p.port() != null
                    && p.port() > 0 && p.port() < 65536) {
                return Optional.of(p.port());
            }
        }
        return Optional.empty();
    }
}
