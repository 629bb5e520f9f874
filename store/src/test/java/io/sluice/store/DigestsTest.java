package io.sluice.store;

import static io.sluice.store.Fixtures.CLUSTER;
import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.schema.model.AddressType;
import io.sluice.schema.model.ChangeEvent;
import io.sluice.schema.model.Endpoint;
import io.sluice.schema.model.EndpointPort;
import io.sluice.schema.model.EndpointSlice;
import io.sluice.schema.model.IpFamily;
import io.sluice.schema.model.Node;
import io.sluice.schema.model.NodeAddress;
import io.sluice.schema.model.Protocol;
import io.sluice.schema.model.Resource;
import io.sluice.schema.model.Service;
import io.sluice.schema.model.ServicePort;
import io.sluice.schema.model.ServiceType;
import io.sluice.schema.model.SessionAffinity;
import io.sluice.schema.model.TrafficPolicy;
import io.sluice.store.image.ClusterImage;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class DigestsTest {
    private static final Instant T = Instant.parse("2025-01-01T00:00:00Z");

    private static final Service SERVICE = Service.builder("ns", "web").type(ServiceType.LOAD_BALANCER)
            .clusterIPs(List.of("10.96.0.10", "fd00::10")).ipFamilies(List.of(IpFamily.IPV4, IpFamily.IPV6))
            .ipFamilyPolicy("PreferDualStack")
            .ports(new ServicePort("http", Protocol.TCP, 80, "8080", 30080, "http"))
            .sessionAffinity(SessionAffinity.CLIENT_IP).sessionAffinityTimeoutSeconds(60)
            .externalIPs(List.of("203.0.113.5")).loadBalancerIngressIPs(List.of("198.51.100.7"))
            .loadBalancerSourceRanges(List.of("10.0.0.0/8")).externalTrafficPolicy(TrafficPolicy.LOCAL)
            .internalTrafficPolicy(TrafficPolicy.CLUSTER).healthCheckNodePort(32000).trafficDistribution("PreferClose")
            .externalName("").annotations(Map.of("a", "1")).build();
    private static final EndpointSlice SLICE = new EndpointSlice("ns", "web-abc", "web", AddressType.IPV4,
            List.of(new EndpointPort("http", Protocol.TCP, 8080, "http")),
            List.of(new Endpoint(List.of("10.244.0.5"), true, true, false, "node1", "zone-a", List.of("zone-a"), List.of("node1"))));
    private static final Node NODE = new Node("node1", List.of(new NodeAddress("InternalIP", "192.168.0.1")), "zone-a",
            List.of("10.244.0.0/24"));

    /**
     * One change per record component of every domain record. {@link #everyComponentOfEveryRecordHasAMutation}
     * fails when a field is added to the model without a line here, so "any field change changes the
     * digest" stays proved for new fields too.
     */
    private static Map<String, UnaryOperator<Resource>> mutations() {
        Map<String, UnaryOperator<Resource>> m = new LinkedHashMap<>();
        svc(m, "Service.namespace", s -> new Service("ns2", s.name(), s.type(), s.clusterIPs(), s.headless(), s.ipFamilies(),
                s.ipFamilyPolicy(), s.ports(), s.sessionAffinity(), s.sessionAffinityTimeoutSeconds(), s.externalIPs(),
                s.loadBalancerIngressIPs(), s.loadBalancerSourceRanges(), s.externalTrafficPolicy(), s.internalTrafficPolicy(),
                s.healthCheckNodePort(), s.trafficDistribution(), s.externalName(), s.annotations()));
        svc(m, "Service.name", s -> new Service(s.namespace(), "web2", s.type(), s.clusterIPs(), s.headless(), s.ipFamilies(),
                s.ipFamilyPolicy(), s.ports(), s.sessionAffinity(), s.sessionAffinityTimeoutSeconds(), s.externalIPs(),
                s.loadBalancerIngressIPs(), s.loadBalancerSourceRanges(), s.externalTrafficPolicy(), s.internalTrafficPolicy(),
                s.healthCheckNodePort(), s.trafficDistribution(), s.externalName(), s.annotations()));
        svc(m, "Service.type", s -> s.toBuilder().type(ServiceType.NODE_PORT).build());
        svc(m, "Service.clusterIPs", s -> s.toBuilder().clusterIPs(List.of("fd00::10", "10.96.0.10")).build());
        svc(m, "Service.headless", s -> s.toBuilder().headless(true).build());
        svc(m, "Service.ipFamilies", s -> s.toBuilder().ipFamilies(List.of(IpFamily.IPV4)).build());
        svc(m, "Service.ipFamilyPolicy", s -> s.toBuilder().ipFamilyPolicy(null).build());
        svc(m, "Service.ports", s -> s.toBuilder().ports(List.of()).build());
        svc(m, "Service.sessionAffinity", s -> s.toBuilder().sessionAffinity(SessionAffinity.NONE).build());
        svc(m, "Service.sessionAffinityTimeoutSeconds", s -> s.toBuilder().sessionAffinityTimeoutSeconds(61).build());
        svc(m, "Service.externalIPs", s -> s.toBuilder().externalIPs(List.of("203.0.113.6")).build());
        svc(m, "Service.loadBalancerIngressIPs", s -> s.toBuilder().loadBalancerIngressIPs(List.of()).build());
        svc(m, "Service.loadBalancerSourceRanges", s -> s.toBuilder().loadBalancerSourceRanges(List.of("10.0.0.0/9")).build());
        svc(m, "Service.externalTrafficPolicy", s -> s.toBuilder().externalTrafficPolicy(TrafficPolicy.CLUSTER).build());
        svc(m, "Service.internalTrafficPolicy", s -> s.toBuilder().internalTrafficPolicy(TrafficPolicy.LOCAL).build());
        svc(m, "Service.healthCheckNodePort", s -> s.toBuilder().healthCheckNodePort(32001).build());
        svc(m, "Service.trafficDistribution", s -> s.toBuilder().trafficDistribution(null).build());
        svc(m, "Service.externalName", s -> s.toBuilder().externalName(null).build());
        svc(m, "Service.annotations", s -> s.toBuilder().annotations(Map.of("a", "2")).build());
        svc(m, "ServicePort.name", s -> withPort(s, new ServicePort("web", Protocol.TCP, 80, "8080", 30080, "http")));
        svc(m, "ServicePort.protocol", s -> withPort(s, new ServicePort("http", Protocol.UDP, 80, "8080", 30080, "http")));
        svc(m, "ServicePort.port", s -> withPort(s, new ServicePort("http", Protocol.TCP, 81, "8080", 30080, "http")));
        svc(m, "ServicePort.targetPort", s -> withPort(s, new ServicePort("http", Protocol.TCP, 80, "http", 30080, "http")));
        svc(m, "ServicePort.nodePort", s -> withPort(s, new ServicePort("http", Protocol.TCP, 80, "8080", 0, "http")));
        svc(m, "ServicePort.appProtocol", s -> withPort(s, new ServicePort("http", Protocol.TCP, 80, "8080", 30080, null)));
        slice(m, "EndpointSlice.namespace", e -> new EndpointSlice("ns2", e.name(), e.serviceName(), e.addressType(), e.ports(), e.endpoints()));
        slice(m, "EndpointSlice.name", e -> new EndpointSlice(e.namespace(), "web-xyz", e.serviceName(), e.addressType(), e.ports(), e.endpoints()));
        slice(m, "EndpointSlice.serviceName", e -> new EndpointSlice(e.namespace(), e.name(), "api", e.addressType(), e.ports(), e.endpoints()));
        slice(m, "EndpointSlice.addressType", e -> new EndpointSlice(e.namespace(), e.name(), e.serviceName(), AddressType.FQDN, e.ports(), e.endpoints()));
        slice(m, "EndpointSlice.ports", e -> withSlicePort(e, null));
        slice(m, "EndpointSlice.endpoints", e -> new EndpointSlice(e.namespace(), e.name(), e.serviceName(), e.addressType(), e.ports(), List.of()));
        slice(m, "EndpointPort.name", e -> withSlicePort(e, new EndpointPort("", Protocol.TCP, 8080, "http")));
        slice(m, "EndpointPort.protocol", e -> withSlicePort(e, new EndpointPort("http", Protocol.SCTP, 8080, "http")));
        slice(m, "EndpointPort.port", e -> withSlicePort(e, new EndpointPort("http", Protocol.TCP, null, "http")));
        slice(m, "EndpointPort.appProtocol", e -> withSlicePort(e, new EndpointPort("http", Protocol.TCP, 8080, "h2c")));
        Endpoint ep = SLICE.endpoints().get(0);
        slice(m, "Endpoint.addresses", e -> withEndpoint(e, new Endpoint(List.of("10.244.0.6"), ep.ready(), ep.serving(),
                ep.terminating(), ep.nodeName(), ep.zone(), ep.hintsForZones(), ep.hintsForNodes())));
        slice(m, "Endpoint.ready", e -> withEndpoint(e, new Endpoint(ep.addresses(), false, ep.serving(), ep.terminating(),
                ep.nodeName(), ep.zone(), ep.hintsForZones(), ep.hintsForNodes())));
        slice(m, "Endpoint.serving", e -> withEndpoint(e, new Endpoint(ep.addresses(), ep.ready(), false, ep.terminating(),
                ep.nodeName(), ep.zone(), ep.hintsForZones(), ep.hintsForNodes())));
        slice(m, "Endpoint.terminating", e -> withEndpoint(e, new Endpoint(ep.addresses(), ep.ready(), ep.serving(), true,
                ep.nodeName(), ep.zone(), ep.hintsForZones(), ep.hintsForNodes())));
        slice(m, "Endpoint.nodeName", e -> withEndpoint(e, new Endpoint(ep.addresses(), ep.ready(), ep.serving(), ep.terminating(),
                "node2", ep.zone(), ep.hintsForZones(), ep.hintsForNodes())));
        slice(m, "Endpoint.zone", e -> withEndpoint(e, new Endpoint(ep.addresses(), ep.ready(), ep.serving(), ep.terminating(),
                ep.nodeName(), null, ep.hintsForZones(), ep.hintsForNodes())));
        slice(m, "Endpoint.hintsForZones", e -> withEndpoint(e, new Endpoint(ep.addresses(), ep.ready(), ep.serving(), ep.terminating(),
                ep.nodeName(), ep.zone(), List.of("zone-b"), ep.hintsForNodes())));
        slice(m, "Endpoint.hintsForNodes", e -> withEndpoint(e, new Endpoint(ep.addresses(), ep.ready(), ep.serving(), ep.terminating(),
                ep.nodeName(), ep.zone(), ep.hintsForZones(), List.of())));
        node(m, "Node.name", n -> new Node("node2", n.addresses(), n.zone(), n.podCIDRs()));
        node(m, "Node.addresses", n -> new Node(n.name(), List.of(), n.zone(), n.podCIDRs()));
        node(m, "Node.zone", n -> new Node(n.name(), n.addresses(), "zone-b", n.podCIDRs()));
        node(m, "Node.podCIDRs", n -> new Node(n.name(), n.addresses(), n.zone(), List.of("10.244.0.0/25")));
        node(m, "NodeAddress.type", n -> new Node(n.name(), List.of(new NodeAddress("ExternalIP", "192.168.0.1")), n.zone(), n.podCIDRs()));
        node(m, "NodeAddress.address", n -> new Node(n.name(), List.of(new NodeAddress("InternalIP", "192.168.0.2")), n.zone(), n.podCIDRs()));
        return m;
    }

    static Stream<Map.Entry<String, UnaryOperator<Resource>>> fieldChanges() {
        return mutations().entrySet().stream();
    }

    @Test
    void equalImagesGiveEqualDigestsWhateverTheOrderAndSeqTheyWereBuiltIn() {
        // One object per key (the last version of each), so any order of upserts means the same state.
        Map<Object, Resource> byKey = new LinkedHashMap<>();
        Stream.concat(Stream.of(SERVICE, SLICE, NODE), Fixtures.randomEvents(1, 60).stream().map(ChangeEvent::object))
                .filter(o -> o != null).forEach(o -> byKey.put(o.key(), o));
        List<Resource> objects = List.copyOf(byKey.values());
        assertThat(objects).hasSizeGreaterThan(10);
        Random random = new Random(99);
        String first = null;
        for (int round = 0; round < 10; round++) {
            List<Resource> shuffled = new ArrayList<>(objects);
            Collections.shuffle(shuffled, random);
            long seqBase = 1000L * round;
            ClusterImage image = imageOf(seqBase, shuffled);
            String digest = Digests.stateDigest(image);
            if (first == null) {
                first = digest;
            }
            assertThat(digest).as("round %d", round).isEqualTo(first);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fieldChanges")
    void anyFieldChangeChangesTheDigest(Map.Entry<String, UnaryOperator<Resource>> change) {
        List<Resource> base = List.of(SERVICE, SLICE, NODE);
        Resource original = base.stream().filter(r -> r.getClass().getSimpleName().equals(owner(change.getKey()))
                || isNested(change.getKey(), r)).findFirst().orElseThrow();
        Resource changed = change.getValue().apply(original);
        assertThat(changed).as("the mutation itself must change the object").isNotEqualTo(original);

        List<Resource> mutated = new ArrayList<>(base);
        mutated.set(base.indexOf(original), changed);
        assertThat(Digests.stateDigest(imageOf(0, mutated))).isNotEqualTo(Digests.stateDigest(imageOf(0, base)));
    }

    @Test
    void everyComponentOfEveryRecordHasAMutation() {
        Set<String> components = new TreeSet<>();
        for (Class<?> type : List.of(Service.class, ServicePort.class, EndpointSlice.class, EndpointPort.class, Endpoint.class,
                Node.class, NodeAddress.class)) {
            Arrays.stream(type.getRecordComponents()).forEach(c -> components.add(type.getSimpleName() + "." + c.getName()));
        }
        assertThat(mutations().keySet()).containsExactlyInAnyOrderElementsOf(components);
    }

    @Test
    void valuesThatPrintAlikeStillDigestApart() {
        // toString() of these pairs is identical; a digest over toString would call them equal.
        Service oneAnnotation = SERVICE.toBuilder().annotations(Map.of("a", "b, c=d")).build();
        Service twoAnnotations = SERVICE.toBuilder().annotations(Map.of("a", "b", "c", "d")).build();
        assertThat(oneAnnotation.toString()).isEqualTo(twoAnnotations.toString());
        assertThat(digestOf(oneAnnotation)).isNotEqualTo(digestOf(twoAnnotations));

        Service oneIp = SERVICE.toBuilder().externalIPs(List.of("1.1.1.1, 2.2.2.2")).build();
        Service twoIps = SERVICE.toBuilder().externalIPs(List.of("1.1.1.1", "2.2.2.2")).build();
        assertThat(oneIp.toString()).isEqualTo(twoIps.toString());
        assertThat(digestOf(oneIp)).isNotEqualTo(digestOf(twoIps));
    }

    @Test
    void seqIsNotPartOfTheStateDigestButEveryObjectIs() {
        ClusterImage image = imageOf(0, List.of(SERVICE, SLICE, NODE));
        assertThat(Digests.stateDigest(image)).isEqualTo(Digests.stateDigest(advance(image, 500)));
        ClusterImage without = Fixtures.replay(image, List.of(ChangeEvent.delete(CLUSTER, image.seq() + 1, NODE.key(), T, "x")));
        assertThat(Digests.stateDigest(without)).isNotEqualTo(Digests.stateDigest(image));
    }

    /**
     * Pins the encoding: every node and the checker must compute the same digest, across versions of
     * Sluice running side by side. If this fails because the model changed on purpose, the digest
     * changed for the whole fleet: update the constant knowingly.
     */
    @Test
    void digestsAreStableAcrossBuilds() {
        assertThat(Digests.stateDigest(ClusterImage.empty())).isEqualTo(GOLDEN_EMPTY);
        assertThat(Digests.stateDigest(imageOf(0, List.of(SERVICE, SLICE, NODE)))).isEqualTo(GOLDEN_SAMPLE);
    }

    @Test
    void ruleDigestIsSha256OfTheUtf8Text() {
        assertThat(Digests.ruleDigest("")).isEqualTo("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        assertThat(Digests.ruleDigest("-A KUBE-SERVICES -j X\n")).isNotEqualTo(Digests.ruleDigest("-A KUBE-SERVICES -j X"));
        assertThat(Digests.ruleDigest("é")).isEqualTo(Digests.ruleDigest("\u00e9"));
    }

    private static final String GOLDEN_EMPTY = "0701279d91e3001afcac319a62ba6a8f7a6aad4d43896b5266a69a417362c7f6";
    private static final String GOLDEN_SAMPLE = "e69789c0806e4f9187956fed6b12adc19f077c669ed15d2b85726b1e06ec54b9";

    private static ClusterImage imageOf(long seqBase, List<Resource> objects) {
        List<ChangeEvent> events = new ArrayList<>();
        for (Resource r : objects) {
            events.add(ChangeEvent.upsert(CLUSTER, seqBase + events.size() + 1, r, T, "rv"));
        }
        return Fixtures.replay(ClusterImage.empty(), events);
    }

    private static ClusterImage advance(ClusterImage image, long seq) {
        var d = image.delta();
        d.advanceTo(seq);
        return d.apply();
    }

    private static String digestOf(Resource r) {
        return Digests.stateDigest(imageOf(0, List.of(r)));
    }

    private static String owner(String component) {
        return component.substring(0, component.indexOf('.'));
    }

    private static boolean isNested(String component, Resource r) {
        return switch (owner(component)) {
            case "ServicePort" -> r instanceof Service;
            case "EndpointPort", "Endpoint" -> r instanceof EndpointSlice;
            case "NodeAddress" -> r instanceof Node;
            default -> false;
        };
    }

    private static void svc(Map<String, UnaryOperator<Resource>> m, String name, UnaryOperator<Service> f) {
        m.put(name, r -> f.apply((Service) r));
    }

    private static void slice(Map<String, UnaryOperator<Resource>> m, String name, UnaryOperator<EndpointSlice> f) {
        m.put(name, r -> f.apply((EndpointSlice) r));
    }

    private static void node(Map<String, UnaryOperator<Resource>> m, String name, UnaryOperator<Node> f) {
        m.put(name, r -> f.apply((Node) r));
    }

    private static Service withPort(Service s, ServicePort p) {
        return s.toBuilder().ports(p).build();
    }

    private static EndpointSlice withSlicePort(EndpointSlice e, EndpointPort p) {
        return new EndpointSlice(e.namespace(), e.name(), e.serviceName(), e.addressType(), p == null ? List.of() : List.of(p), e.endpoints());
    }

    private static EndpointSlice withEndpoint(EndpointSlice e, Endpoint ep) {
        return new EndpointSlice(e.namespace(), e.name(), e.serviceName(), e.addressType(), e.ports(), List.of(ep));
    }
}
