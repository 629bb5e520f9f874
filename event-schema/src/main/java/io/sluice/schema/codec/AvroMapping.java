package io.sluice.schema.codec;

import io.sluice.schema.avro.ChangeEventAvro;
import io.sluice.schema.avro.EndpointAvro;
import io.sluice.schema.avro.EndpointPortAvro;
import io.sluice.schema.avro.EndpointSliceAvro;
import io.sluice.schema.avro.NodeAddressAvro;
import io.sluice.schema.avro.NodeAvro;
import io.sluice.schema.avro.ServiceAvro;
import io.sluice.schema.avro.ServicePortAvro;
import io.sluice.schema.model.AddressType;
import io.sluice.schema.model.ChangeEvent;
import io.sluice.schema.model.Endpoint;
import io.sluice.schema.model.EndpointPort;
import io.sluice.schema.model.EndpointSlice;
import io.sluice.schema.model.IpFamily;
import io.sluice.schema.model.Kind;
import io.sluice.schema.model.Node;
import io.sluice.schema.model.NodeAddress;
import io.sluice.schema.model.ObjectKey;
import io.sluice.schema.model.Op;
import io.sluice.schema.model.Protocol;
import io.sluice.schema.model.Resource;
import io.sluice.schema.model.Service;
import io.sluice.schema.model.ServicePort;
import io.sluice.schema.model.ServiceType;
import io.sluice.schema.model.SessionAffinity;
import io.sluice.schema.model.TrafficPolicy;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;

/** Maps between the generated Avro classes and the domain records. Unknown enum spellings throw, naming the field. */
final class AvroMapping {
    private AvroMapping() {
    }

    static ChangeEventAvro toAvro(ChangeEvent e) {
        return ChangeEventAvro.newBuilder()
                .setClusterId(e.clusterId())
                .setSeq(e.seq())
                .setKind(e.key().kind().wireName())
                .setNamespace(e.key().namespace())
                .setName(e.key().name())
                .setOp(e.op().name())
                .setObservedAtMillis(e.observedAt().toEpochMilli())
                .setResourceVersion(e.resourceVersion())
                .setTriggerTimeMillis(e.triggerTime() == null ? null : e.triggerTime().toEpochMilli())
                .setPayload(e.object() == null ? null : payload(e.object()))
                .setSignature(null)
                .build();
    }

    static ChangeEvent fromAvro(ChangeEventAvro a) {
        ObjectKey key = new ObjectKey(Kind.fromWire(a.getKind()), a.getNamespace(), a.getName());
        Op op = Op.fromWire(a.getOp());
        Resource object = a.getPayload() == null ? null : resource(key, a.getPayload());
        return new ChangeEvent(a.getClusterId(), a.getSeq(), key, op, Instant.ofEpochMilli(a.getObservedAtMillis()),
                a.getResourceVersion(), a.getTriggerTimeMillis() == null ? null : Instant.ofEpochMilli(a.getTriggerTimeMillis()),
                object);
    }

    private static Object payload(Resource r) {
        if (r instanceof Service s) {
            return service(s);
        } else if (r instanceof EndpointSlice es) {
            return slice(es);
        } else if (r instanceof Node n) {
            return node(n);
        }
        throw new IllegalArgumentException("unknown resource type " + r.getClass().getName());
    }

    private static Resource resource(ObjectKey key, Object payload) {
        if (payload instanceof ServiceAvro s && key.kind() == Kind.SERVICE) {
            return service(key, s);
        } else if (payload instanceof EndpointSliceAvro es && key.kind() == Kind.ENDPOINT_SLICE) {
            return slice(key, es);
        } else if (payload instanceof NodeAvro n && key.kind() == Kind.NODE) {
            return node(key, n);
        }
        throw new IllegalArgumentException("payload " + payload.getClass().getSimpleName() + " does not match kind " + key.kind().wireName());
    }

    private static ServiceAvro service(Service s) {
        return ServiceAvro.newBuilder()
                .setType(s.type().wireName())
                .setClusterIPs(s.clusterIPs())
                .setHeadless(s.headless())
                .setIpFamilies(map(s.ipFamilies(), IpFamily::wireName))
                .setIpFamilyPolicy(s.ipFamilyPolicy())
                .setPorts(map(s.ports(), p -> ServicePortAvro.newBuilder().setName(p.name()).setProtocol(p.protocol().wireName())
                        .setPort(p.port()).setTargetPort(p.targetPort()).setNodePort(p.nodePort()).setAppProtocol(p.appProtocol()).build()))
                .setSessionAffinity(s.sessionAffinity().wireName())
                .setSessionAffinityTimeoutSeconds(s.sessionAffinityTimeoutSeconds())
                .setExternalIPs(s.externalIPs())
                .setLoadBalancerIngressIPs(s.loadBalancerIngressIPs())
                .setLoadBalancerSourceRanges(s.loadBalancerSourceRanges())
                .setExternalTrafficPolicy(s.externalTrafficPolicy().wireName())
                .setInternalTrafficPolicy(s.internalTrafficPolicy().wireName())
                .setHealthCheckNodePort(s.healthCheckNodePort())
                .setTrafficDistribution(s.trafficDistribution())
                .setExternalName(s.externalName())
                .setAnnotations(new TreeMap<>(s.annotations()))
                .build();
    }

    private static Service service(ObjectKey key, ServiceAvro a) {
        return new Service(key.namespace(), key.name(),
                ServiceType.fromWire("spec.type", a.getType()),
                a.getClusterIPs(), a.getHeadless(),
                map(a.getIpFamilies(), f -> IpFamily.fromWire("spec.ipFamilies", f)),
                a.getIpFamilyPolicy(),
                map(a.getPorts(), p -> new ServicePort(p.getName(), Protocol.fromWire("spec.ports.protocol", p.getProtocol()),
                        p.getPort(), p.getTargetPort(), p.getNodePort(), p.getAppProtocol())),
                SessionAffinity.fromWire("spec.sessionAffinity", a.getSessionAffinity()),
                a.getSessionAffinityTimeoutSeconds(),
                a.getExternalIPs(), a.getLoadBalancerIngressIPs(), a.getLoadBalancerSourceRanges(),
                TrafficPolicy.fromWire("spec.externalTrafficPolicy", a.getExternalTrafficPolicy()),
                TrafficPolicy.fromWire("spec.internalTrafficPolicy", a.getInternalTrafficPolicy()),
                a.getHealthCheckNodePort(), a.getTrafficDistribution(), a.getExternalName(),
                new TreeMap<>(a.getAnnotations() == null ? Map.of() : a.getAnnotations()));
    }

    private static EndpointSliceAvro slice(EndpointSlice s) {
        return EndpointSliceAvro.newBuilder()
                .setServiceName(s.serviceName())
                .setAddressType(s.addressType().wireName())
                .setPorts(map(s.ports(), p -> EndpointPortAvro.newBuilder().setName(p.name()).setProtocol(p.protocol().wireName())
                        .setPort(p.port()).setAppProtocol(p.appProtocol()).build()))
                .setEndpoints(map(s.endpoints(), e -> EndpointAvro.newBuilder().setAddresses(e.addresses()).setReady(e.ready())
                        .setServing(e.serving()).setTerminating(e.terminating()).setNodeName(e.nodeName()).setZone(e.zone())
                        .setHintsForZones(e.hintsForZones()).setHintsForNodes(e.hintsForNodes()).build()))
                .build();
    }

    private static EndpointSlice slice(ObjectKey key, EndpointSliceAvro a) {
        return new EndpointSlice(key.namespace(), key.name(), a.getServiceName(),
                AddressType.fromWire("addressType", a.getAddressType()),
                map(a.getPorts(), p -> new EndpointPort(p.getName(), Protocol.fromWire("ports.protocol", p.getProtocol()),
                        p.getPort(), p.getAppProtocol())),
                map(a.getEndpoints(), e -> new Endpoint(e.getAddresses(), e.getReady(), e.getServing(), e.getTerminating(),
                        e.getNodeName(), e.getZone(), e.getHintsForZones(), e.getHintsForNodes())));
    }

    private static NodeAvro node(Node n) {
        return NodeAvro.newBuilder()
                .setAddresses(map(n.addresses(), a -> NodeAddressAvro.newBuilder().setType(a.type()).setAddress(a.address()).build()))
                .setZone(n.zone())
                .setPodCIDRs(n.podCIDRs())
                .build();
    }

    private static Node node(ObjectKey key, NodeAvro a) {
        return new Node(key.name(), map(a.getAddresses(), x -> new NodeAddress(x.getType(), x.getAddress())), a.getZone(), a.getPodCIDRs());
    }

    /** An immutable list of f over in; the records take it without copying it again (decoding is hot on replay). */
    private static <A, B> List<B> map(List<A> in, Function<A, B> f) {
        if (in == null || in.isEmpty()) {
            return List.of();
        }
        Object[] out = new Object[in.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = f.apply(in.get(i));
        }
        @SuppressWarnings("unchecked")
        List<B> list = (List<B>) List.of(out);
        return list;
    }

}
