package io.sluice.applier.render;

import io.sluice.schema.model.AddressType;
import io.sluice.schema.model.ChangeEvent;
import io.sluice.schema.model.Endpoint;
import io.sluice.schema.model.EndpointPort;
import io.sluice.schema.model.EndpointSlice;
import io.sluice.schema.model.ObjectKey;
import io.sluice.schema.model.Protocol;
import io.sluice.schema.model.Resource;
import io.sluice.schema.model.Service;
import io.sluice.schema.model.ServicePort;
import io.sluice.store.image.ClusterImage;
import io.sluice.store.image.ImageDelta;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/** Small builders for cluster images in renderer tests. */
public final class Fixtures {
    private Fixtures() {
    }

    /** An image holding exactly {@code objects}, replayed as upserts in order. */
    public static ClusterImage image(Resource... objects) {
        ImageDelta delta = ClusterImage.empty().delta();
        long seq = 0;
        for (Resource r : objects) {
            delta.replay(ChangeEvent.upsert("test", ++seq, r, Instant.EPOCH, Long.toString(seq)));
        }
        return delta.apply();
    }

    /** An image holding the objects of {@code state}, in its order. */
    public static ClusterImage image(Map<ObjectKey, Resource> state) {
        return image(state.values().toArray(new Resource[0]));
    }

    /**
     * What the change tracker reports between two states: the Services whose Service object or any
     * of whose EndpointSlices differ (a slice that moved names both Services).
     */
    public static Set<ObjectKey> changedServices(
            Map<ObjectKey, Resource> before,
            Map<ObjectKey, Resource> after) {
        Set<ObjectKey> keys = new HashSet<>(before.keySet());
        keys.addAll(after.keySet());
        Set<ObjectKey> out = new HashSet<>();
        for (ObjectKey k : keys) {
            Resource was = before.get(k);
            Resource is = after.get(k);
            if (Objects.equals(was, is)) {
                continue;
            }
            for (Resource r : new Resource[] {was, is}) {
                if (r instanceof Service s) {
                    out.add(s.key());
                } else if (r instanceof EndpointSlice s) {
                    out.add(s.serviceKey());
                }
            }
        }
        return out;
    }

    /**
     * One random step of the incremental-render property tests: 1–3 objects of {@code universe}
     * brought back, taken away, shrunk (a slice loses its last endpoint) or edited (a Service's
     * affinity timeout), on a copy of {@code state}.
     */
    public static Map<ObjectKey, Resource> randomStep(java.util.Random random, List<Resource> universe,
            Map<ObjectKey, Resource> state) {
        Map<ObjectKey, Resource> next = new java.util.LinkedHashMap<>(state);
        int changes = 1 + random.nextInt(3);
        for (int i = 0; i < changes; i++) {
            Resource r = universe.get(random.nextInt(universe.size()));
            Resource now = next.get(r.key());
            if (now == null) {
                next.put(r.key(), r);
            } else if (now instanceof EndpointSlice s && !s.endpoints().isEmpty() && random.nextBoolean()) {
                next.put(r.key(), new EndpointSlice(s.namespace(), s.name(), s.serviceName(), s.addressType(), s.ports(),
                        s.endpoints().subList(0, s.endpoints().size() - 1)));
            } else if (now instanceof Service s && random.nextBoolean()) {
                next.put(r.key(), s.toBuilder().sessionAffinityTimeoutSeconds(60 + random.nextInt(3)).build());
            } else {
                next.remove(r.key());
            }
        }
        return next;
    }

    public static Service service(String ns, String name, String clusterIP, ServicePort... ports) {
        return Service.builder(ns, name).clusterIP(clusterIP).ports(ports).build();
    }

    public static ServicePort tcp(String name, int port, String targetPort) {
        return new ServicePort(name, Protocol.TCP, port, targetPort, 0, null);
    }

    public static ServicePort udp(String name, int port, String targetPort) {
        return new ServicePort(name, Protocol.UDP, port, targetPort, 0, null);
    }

    public static EndpointPort epTcp(String name, int port) {
        return new EndpointPort(name, Protocol.TCP, port, null);
    }

    public static EndpointPort epUdp(String name, int port) {
        return new EndpointPort(name, Protocol.UDP, port, null);
    }

    /** An IPv4 slice of Service {@code ns/service}. */
    public static EndpointSlice slice(String ns, String name, String service, List<EndpointPort> ports,
            Endpoint... endpoints) {
        return new EndpointSlice(ns, name, service, AddressType.IPV4, ports, List.of(endpoints));
    }

    public static Endpoint ready(String ip) {
        return Endpoint.ready(ip, "node1");
    }

    public static Endpoint readyOn(String ip, String node) {
        return Endpoint.ready(ip, node);
    }

    /** A ready endpoint on {@code node} with zone hints (as the EndpointSlice controller writes for PreferClose). */
    public static Endpoint readyWithZoneHints(String ip, String node, String zone, String... hintZones) {
        return new Endpoint(List.of(ip), true, true, false, node, zone, List.of(hintZones), List.of());
    }

    /** A ready endpoint on {@code node} with node hints (PreferSameNode). */
    public static Endpoint readyWithNodeHints(String ip, String node, String... hintNodes) {
        return new Endpoint(List.of(ip), true, true, false, node, null, List.of(), List.of(hintNodes));
    }

    /** Terminating but serving on {@code node}. */
    public static Endpoint terminatingOn(String ip, String node) {
        return new Endpoint(List.of(ip), false, true, true, node, null, List.of(), List.of());
    }

    public static ServicePort sctp(String name, int port, String targetPort) {
        return new ServicePort(name, Protocol.SCTP, port, targetPort, 0, null);
    }

    public static EndpointPort epSctp(String name, int port) {
        return new EndpointPort(name, Protocol.SCTP, port, null);
    }

    /** A TCP port with a node port. */
    public static ServicePort tcpNodePort(String name, int port, String targetPort, int nodePort) {
        return new ServicePort(name, Protocol.TCP, port, targetPort, nodePort, null);
    }

    /** An IPv6 slice of Service {@code ns/service}. */
    public static EndpointSlice slice6(String ns, String name, String service, List<EndpointPort> ports,
            Endpoint... endpoints) {
        return new EndpointSlice(ns, name, service, AddressType.IPV6, ports, List.of(endpoints));
    }

    /** Terminating: not ready, still serving (kube-proxy's fallback candidates, not used yet). */
    public static Endpoint terminating(String ip) {
        return new Endpoint(List.of(ip), false, true, true, "node1", null, List.of(), List.of());
    }

    /** Not ready and not serving (e.g. failing its readiness probe). */
    public static Endpoint notReady(String ip) {
        return new Endpoint(List.of(ip), false, false, false, "node1", null, List.of(), List.of());
    }
}
