package io.sluice.watcher;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.LoadBalancerIngress;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.ServiceSpec;
import io.fabric8.kubernetes.api.model.ServiceStatus;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointConditions;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointHints;
import io.fabric8.kubernetes.api.model.discovery.v1.ForNode;
import io.fabric8.kubernetes.api.model.discovery.v1.ForZone;
import io.sluice.schema.model.AddressType;
import io.sluice.schema.model.Endpoint;
import io.sluice.schema.model.EndpointPort;
import io.sluice.schema.model.EndpointSlice;
import io.sluice.schema.model.IpFamily;
import io.sluice.schema.model.Node;
import io.sluice.schema.model.NodeAddress;
import io.sluice.schema.model.ObjectKey;
import io.sluice.schema.model.Protocol;
import io.sluice.schema.model.Resource;
import io.sluice.schema.model.Service;
import io.sluice.schema.model.ServicePort;
import io.sluice.schema.model.ServiceType;
import io.sluice.schema.model.SessionAffinity;
import io.sluice.schema.model.TrafficPolicy;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Pure functions from fabric8 objects to Sluice's domain records, reading each field the way
 * kube-proxy does ({@code pkg/proxy/serviceport.go}, {@code endpointslicecache.go}). Defaults are
 * filled in as the API server would, so two objects that mean the same to a proxy normalise equal,
 * whatever their status, labels, resourceVersion or managed fields.
 *
 * <p>Errors: a value outside an enumeration the schema models (protocol, type, address type, ...)
 * throws {@link IllegalArgumentException} naming the object, the field and the value. Range and
 * syntax checks (IPs, ports) are left to {@link io.sluice.schema.validate.Validator}.
 */
public final class Normalizer {
    /** Label naming the Service an EndpointSlice belongs to (discovery.LabelServiceName). */
    public static final String SERVICE_NAME_LABEL = "kubernetes.io/service-name";
    /** Node label holding its zone (v1.LabelTopologyZone). */
    public static final String ZONE_LABEL = "topology.kubernetes.io/zone";
    /** Annotation carrying the time of the change that caused this object's last update. */
    public static final String TRIGGER_TIME_ANNOTATION = "endpoints.kubernetes.io/last-change-trigger-time";
    /** Only annotations with these prefixes are kept on a Service. */
    public static final List<String> KEPT_ANNOTATION_PREFIXES = List.of("service.kubernetes.io/", "sluice.io/");

    private static final String NONE = "None";
    private static final String IP_MODE_PROXY = "Proxy";

    private Normalizer() {
    }

    /**
     * Normalises any supported object: Service, discovery/v1 EndpointSlice or Node. Empty when
     * kube-proxy would ignore the object altogether (an EndpointSlice without its service-name label).
     */
    public static Optional<Resource> normalize(HasMetadata object) {
        if (object instanceof io.fabric8.kubernetes.api.model.Service s) {
            return Optional.of(service(s));
        } else if (object instanceof io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice es) {
            return endpointSlice(es).map(Resource.class::cast);
        } else if (object instanceof io.fabric8.kubernetes.api.model.Node n) {
            return Optional.of(node(n));
        }
        throw new IllegalArgumentException("cannot normalise " + object.getClass().getName()
                + " (expected Service, discovery/v1 EndpointSlice or Node)");
    }

    /** The key the object is logged and produced under. */
    public static ObjectKey key(HasMetadata object) {
        ObjectMeta m = object.getMetadata();
        if (object instanceof io.fabric8.kubernetes.api.model.Service) {
            return ObjectKey.service(m.getNamespace(), m.getName());
        } else if (object instanceof io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice) {
            return ObjectKey.endpointSlice(m.getNamespace(), m.getName());
        } else if (object instanceof io.fabric8.kubernetes.api.model.Node) {
            return ObjectKey.node(m.getName());
        }
        throw new IllegalArgumentException("no object key for " + object.getClass().getName());
    }

    // ---------------------------------------------------------------- Service

    public static Service service(io.fabric8.kubernetes.api.model.Service s) {
        ObjectKey key = key(s);
        ServiceSpec spec = s.getSpec() == null ? new ServiceSpec() : s.getSpec();
        ServiceType type = spec.getType() == null
                ? ServiceType.CLUSTER_IP : wire(key, "spec.type", spec.getType(), ServiceType::fromWire);
        List<String> clusterIPs = nonNull(spec.getClusterIPs()).isEmpty()
                ? (isBlank(spec.getClusterIP()) ? List.of() : List.of(spec.getClusterIP()))
                : nonNull(spec.getClusterIPs());
        boolean headless = !clusterIPs.isEmpty() && NONE.equals(clusterIPs.get(0));
        SessionAffinity affinity = spec.getSessionAffinity() == null
                ? SessionAffinity.NONE : wire(key, "spec.sessionAffinity", spec.getSessionAffinity(), SessionAffinity::fromWire);
        return Service.builder(s.getMetadata().getNamespace(), s.getMetadata().getName())
                .type(type)
                .clusterIPs(headless ? List.of() : clusterIPs)
                .headless(headless)
                .ipFamilies(ipFamilies(key, spec.getIpFamilies()))
                .ipFamilyPolicy(emptyToNull(spec.getIpFamilyPolicy()))
                .ports(servicePorts(key, spec.getPorts()))
                .sessionAffinity(affinity)
                .sessionAffinityTimeoutSeconds(affinity == SessionAffinity.CLIENT_IP
                        ? affinityTimeout(spec) : Service.DEFAULT_AFFINITY_TIMEOUT_SECONDS)
                .externalIPs(nonNull(spec.getExternalIPs()))
                .loadBalancerIngressIPs(loadBalancerIngressIPs(s.getStatus()))
                .loadBalancerSourceRanges(nonNull(spec.getLoadBalancerSourceRanges()).stream().map(String::trim).toList())
                .externalTrafficPolicy(trafficPolicy(key, "spec.externalTrafficPolicy", spec.getExternalTrafficPolicy()))
                .internalTrafficPolicy(trafficPolicy(key, "spec.internalTrafficPolicy", spec.getInternalTrafficPolicy()))
                .healthCheckNodePort(spec.getHealthCheckNodePort() == null ? 0 : spec.getHealthCheckNodePort())
                .trafficDistribution(emptyToNull(spec.getTrafficDistribution()))
                .externalName(type == ServiceType.EXTERNAL_NAME ? emptyToNull(spec.getExternalName()) : null)
                .annotations(keptAnnotations(s.getMetadata().getAnnotations()))
                .build();
    }

    private static List<IpFamily> ipFamilies(ObjectKey key, List<String> families) {
        List<IpFamily> out = new ArrayList<>();
        List<String> in = nonNull(families);
        for (int i = 0; i < in.size(); i++) {
            out.add(wire(key, "spec.ipFamilies[" + i + "]", in.get(i), IpFamily::fromWire));
        }
        return out;
    }

    private static List<ServicePort> servicePorts(ObjectKey key, List<io.fabric8.kubernetes.api.model.ServicePort> ports) {
        List<ServicePort> out = new ArrayList<>();
        List<io.fabric8.kubernetes.api.model.ServicePort> in = nonNull(ports);
        for (int i = 0; i < in.size(); i++) {
            io.fabric8.kubernetes.api.model.ServicePort p = in.get(i);
            String f = "spec.ports[" + i + "]";
            int port = p.getPort() == null ? 0 : p.getPort();
            out.add(new ServicePort(p.getName(), protocol(key, f + ".protocol", p.getProtocol()), port,
                    targetPort(p.getTargetPort(), port), p.getNodePort() == null ? 0 : p.getNodePort(),
                    emptyToNull(p.getAppProtocol())));
        }
        return out;
    }

    /** IntOrString as text; unset (or 0, as the API server defaults it) means "same as port". */
    private static String targetPort(IntOrString target, int port) {
        if (target == null) {
            return Integer.toString(port);
        }
        if (target.getIntVal() != null) {
            return target.getIntVal() == 0 ? Integer.toString(port) : Integer.toString(target.getIntVal());
        }
        return isBlank(target.getStrVal()) ? Integer.toString(port) : target.getStrVal();
    }

    private static int affinityTimeout(ServiceSpec spec) {
        if (spec.getSessionAffinityConfig() == null || spec.getSessionAffinityConfig().getClientIP() == null
                || spec.getSessionAffinityConfig().getClientIP().getTimeoutSeconds() == null) {
            return Service.DEFAULT_AFFINITY_TIMEOUT_SECONDS;
        }
        return spec.getSessionAffinityConfig().getClientIP().getTimeoutSeconds();
    }

    /** status.loadBalancer.ingress[].ip, skipping hostname-only and Proxy-mode ingress as kube-proxy does. */
    private static List<String> loadBalancerIngressIPs(ServiceStatus status) {
        if (status == null || status.getLoadBalancer() == null) {
            return List.of();
        }
        List<String> out = new ArrayList<>();
        for (LoadBalancerIngress ing : nonNull(status.getLoadBalancer().getIngress())) {
            if (!isBlank(ing.getIp()) && !IP_MODE_PROXY.equals(ing.getIpMode())) {
                out.add(ing.getIp());
            }
        }
        return out;
    }

    private static TrafficPolicy trafficPolicy(ObjectKey key, String field, String value) {
        return isBlank(value) ? TrafficPolicy.CLUSTER : wire(key, field, value, TrafficPolicy::fromWire);
    }

    private static Map<String, String> keptAnnotations(Map<String, String> annotations) {
        Map<String, String> out = new TreeMap<>();
        if (annotations != null) {
            annotations.forEach((k, v) -> {
                if (KEPT_ANNOTATION_PREFIXES.stream().anyMatch(k::startsWith)) {
                    out.put(k, v == null ? "" : v);
                }
            });
        }
        return out;
    }

    // ---------------------------------------------------------- EndpointSlice

    /** Empty when the slice has no {@value #SERVICE_NAME_LABEL} label: kube-proxy ignores such slices. */
    public static Optional<EndpointSlice> endpointSlice(io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice es) {
        ObjectKey key = key(es);
        Map<String, String> labels = es.getMetadata().getLabels();
        String serviceName = labels == null ? null : labels.get(SERVICE_NAME_LABEL);
        if (isBlank(serviceName)) {
            return Optional.empty();
        }
        if (es.getAddressType() == null) {
            throw new IllegalArgumentException(key + " addressType: must be set (expected one of IPv4, IPv6, FQDN)");
        }
        AddressType addressType = wire(key, "addressType", es.getAddressType(), AddressType::fromWire);
        return Optional.of(new EndpointSlice(es.getMetadata().getNamespace(), es.getMetadata().getName(), serviceName,
                addressType, endpointPorts(key, es.getPorts()), endpoints(es.getEndpoints())));
    }

    private static List<EndpointPort> endpointPorts(ObjectKey key, List<io.fabric8.kubernetes.api.model.discovery.v1.EndpointPort> ports) {
        List<EndpointPort> out = new ArrayList<>();
        List<io.fabric8.kubernetes.api.model.discovery.v1.EndpointPort> in = nonNull(ports);
        for (int i = 0; i < in.size(); i++) {
            var p = in.get(i);
            out.add(new EndpointPort(p.getName(), protocol(key, "ports[" + i + "].protocol", p.getProtocol()),
                    p.getPort(), emptyToNull(p.getAppProtocol())));
        }
        return out;
    }

    private static List<Endpoint> endpoints(List<io.fabric8.kubernetes.api.model.discovery.v1.Endpoint> endpoints) {
        List<Endpoint> out = new ArrayList<>();
        for (var e : nonNull(endpoints)) {
            EndpointConditions c = e.getConditions();
            Boolean ready = c == null ? null : c.getReady();
            Boolean serving = c == null ? null : c.getServing();
            Boolean terminating = c == null ? null : c.getTerminating();
            EndpointHints hints = e.getHints();
            out.add(new Endpoint(nonNull(e.getAddresses()),
                    ready == null || ready,
                    // discovery/v1: "A nil value should be interpreted as true" (kube-proxy reads it so).
                    serving == null || serving,
                    terminating != null && terminating,
                    emptyToNull(e.getNodeName()),
                    emptyToNull(e.getZone()),
                    hints == null ? List.of() : nonNull(hints.getForZones()).stream().map(ForZone::getName).toList(),
                    hints == null ? List.of() : nonNull(hints.getForNodes()).stream().map(ForNode::getName).toList()));
        }
        return out;
    }

    // ------------------------------------------------------------------- Node

    public static Node node(io.fabric8.kubernetes.api.model.Node n) {
        ObjectKey key = key(n);
        List<NodeAddress> addresses = new ArrayList<>();
        List<io.fabric8.kubernetes.api.model.NodeAddress> in = n.getStatus() == null ? List.of() : nonNull(n.getStatus().getAddresses());
        for (int i = 0; i < in.size(); i++) {
            var a = in.get(i);
            if (isBlank(a.getType()) || isBlank(a.getAddress())) {
                throw new IllegalArgumentException(key + " status.addresses[" + i + "]: type and address must both be set, got type '"
                        + a.getType() + "' address '" + a.getAddress() + "'");
            }
            addresses.add(new NodeAddress(a.getType(), a.getAddress()));
        }
        Map<String, String> labels = n.getMetadata().getLabels();
        List<String> podCIDRs = List.of();
        if (n.getSpec() != null) {
            podCIDRs = nonNull(n.getSpec().getPodCIDRs()).isEmpty()
                    ? (isBlank(n.getSpec().getPodCIDR()) ? List.of() : List.of(n.getSpec().getPodCIDR()))
                    : nonNull(n.getSpec().getPodCIDRs());
        }
        return new Node(n.getMetadata().getName(), addresses,
                labels == null ? null : emptyToNull(labels.get(ZONE_LABEL)), podCIDRs);
    }

    // --------------------------------------------------------------- metadata

    /**
     * The {@value #TRIGGER_TIME_ANNOTATION} annotation (RFC 3339), or empty when absent. A value that
     * does not parse is treated as absent, as kube-proxy does; {@link #rawTriggerTime} tells the two apart.
     */
    public static Optional<Instant> triggerTime(HasMetadata object) {
        String raw = rawTriggerTime(object);
        if (isBlank(raw)) {
            return Optional.empty();
        }
        try {
            return Optional.of(OffsetDateTime.parse(raw).toInstant());
        } catch (DateTimeParseException e) {
            return Optional.empty();
        }
    }

    /** The trigger time annotation as written, or null. */
    public static String rawTriggerTime(HasMetadata object) {
        Map<String, String> a = object.getMetadata().getAnnotations();
        return a == null ? null : a.get(TRIGGER_TIME_ANNOTATION);
    }

    public static String resourceVersion(HasMetadata object) {
        String rv = object.getMetadata().getResourceVersion();
        return rv == null ? "" : rv;
    }

    // ---------------------------------------------------------------- helpers

    private static Protocol protocol(ObjectKey key, String field, String value) {
        return isBlank(value) ? Protocol.TCP : wire(key, field, value, Protocol::fromWire);
    }

    /** Parses a Kubernetes enum spelling, prefixing the schema's error (field, value, allowed) with the object. */
    private static <E> E wire(ObjectKey key, String field, String value, WireParser<E> parser) {
        try {
            return parser.parse(field, value);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(key + " " + e.getMessage(), e);
        }
    }

    @FunctionalInterface
    private interface WireParser<E> {
        E parse(String field, String value);
    }

    private static <T> List<T> nonNull(List<T> list) {
        return list == null ? List.of() : list;
    }

    private static boolean isBlank(String s) {
        return s == null || s.isBlank();
    }

    private static String emptyToNull(String s) {
        return isBlank(s) ? null : s;
    }
}
