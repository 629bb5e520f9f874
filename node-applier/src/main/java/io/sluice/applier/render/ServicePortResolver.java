package io.sluice.applier.render;

import io.sluice.schema.model.AddressType;
import io.sluice.schema.model.Endpoint;
import io.sluice.schema.model.EndpointPort;
import io.sluice.schema.model.EndpointSlice;
import io.sluice.schema.model.Service;
import io.sluice.schema.model.ServicePort;
import io.sluice.store.image.ClusterImage;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Turns the cluster image into the IPv4 Service ports a proxy programs, with kube-proxy's
 * semantics: ignored Services (headless, ExternalName, no cluster IP) give nothing; an endpoint's
 * port is the number of the EndpointSlice port whose name and protocol equal the Service port's
 * (the Service's targetPort is never read: the EndpointSlice controller already resolved it);
 * an endpoint is its first address; the same {@code ip:port} from two slices counts once (the
 * slice first by name wins). Pure and deterministic: output sorted by port name and protocol.
 */
public final class ServicePortResolver {
    private ServicePortResolver() {
    }

    /** Every IPv4 Service port of the image, sorted by {@code ns/name:port} and protocol. */
    public static List<ResolvedServicePort> resolve(ClusterImage image) {
        List<ResolvedServicePort> out = new ArrayList<>();
        for (Service svc : image.services()) {
            if (svc.ignoredByProxy()) {
                continue;
            }
            // One cluster IP per family, as Kubernetes allocates them; IPv6 waits for dual-stack.
            Optional<String> vip = svc.clusterIPs().stream().filter(Ipv4::isAddress).findFirst();
            if (vip.isEmpty()) {
                continue;
            }
            List<EndpointSlice> slices = image.slicesFor(svc.key());
            for (ServicePort sp : svc.ports()) {
                ServicePortName name = new ServicePortName(svc.namespace(), svc.name(), sp.name());
                List<EndpointTarget> endpoints = endpointsFor(sp, slices);
                out.add(new ResolvedServicePort(name, sp.protocol(), vip.get(), sp.port(), svc, endpoints));
            }
        }
        out.sort(Comparator.comparing(ResolvedServicePort::name)
                .thenComparing(ResolvedServicePort::protocol));
        return out;
    }

    static List<EndpointTarget> endpointsFor(ServicePort sp, List<EndpointSlice> slices) {
        Map<String, EndpointTarget> byIpPort = new LinkedHashMap<>();
        for (EndpointSlice slice : slices) {
            if (slice.addressType() != AddressType.IPV4) {
                continue;
            }
            Optional<Integer> port = portOf(sp, slice);
            if (port.isEmpty()) {
                continue;
            }
            for (Endpoint ep : slice.endpoints()) {
                if (ep.addresses().isEmpty() || !Ipv4.isAddress(ep.addresses().get(0))) {
                    continue;
                }
                EndpointTarget t = new EndpointTarget(ep.addresses().get(0), port.get(), ep.nodeName(),
                        ep.ready(), ep.serving(), ep.terminating());
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
