package io.sluice.watcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.ConditionBuilder;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.sluice.schema.codec.EventCodec;
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
import io.sluice.schema.validate.InvalidObjectException;
import io.sluice.schema.validate.Validator;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class NormalizerTest {

    // ---------------------------------------------------------------- Service

    static ServiceBuilder fullLoadBalancer() {
        return new ServiceBuilder()
                .withNewMetadata().withNamespace("shop").withName("web").withResourceVersion("41")
                    .addToLabels("app", "web")
                    .addToAnnotations("service.kubernetes.io/topology-mode", "Auto")
                    .addToAnnotations("sluice.io/global", "true")
                    .addToAnnotations("kubectl.kubernetes.io/last-applied-configuration", "{}")
                .endMetadata()
                .withNewSpec()
                    .withType("LoadBalancer")
                    .withClusterIP("10.96.0.10").withClusterIPs("10.96.0.10", "fd00::10")
                    .withIpFamilies("IPv4", "IPv6").withIpFamilyPolicy("PreferDualStack")
                    .addNewPort().withName("http").withProtocol("TCP").withPort(80).withTargetPort(new IntOrString(8080))
                        .withNodePort(30080).withAppProtocol("http").endPort()
                    .addNewPort().withName("dns").withProtocol("UDP").withPort(53).withTargetPort(new IntOrString("dns"))
                        .withNodePort(30053).endPort()
                    .withSessionAffinity("ClientIP")
                    .withNewSessionAffinityConfig().withNewClientIP().withTimeoutSeconds(600).endClientIP().endSessionAffinityConfig()
                    .withExternalIPs("192.0.2.7")
                    .withLoadBalancerSourceRanges(" 203.0.113.0/24 ")
                    .withExternalTrafficPolicy("Local").withInternalTrafficPolicy("Local")
                    .withHealthCheckNodePort(32000)
                    .withTrafficDistribution("PreferClose")
                .endSpec()
                .withNewStatus().withNewLoadBalancer()
                    .addNewIngress().withIp("198.51.100.1").endIngress()
                    .addNewIngress().withIp("198.51.100.2").withIpMode("VIP").endIngress()
                    .addNewIngress().withIp("198.51.100.3").withIpMode("Proxy").endIngress()
                    .addNewIngress().withHostname("lb.example.com").endIngress()
                .endLoadBalancer().endStatus();
    }

    @Test
    void serviceMapsEveryFieldKubeProxyReads() {
        Service s = Normalizer.service(fullLoadBalancer().build());

        assertThat(s).isEqualTo(Service.builder("shop", "web")
                .type(ServiceType.LOAD_BALANCER)
                .clusterIPs(List.of("10.96.0.10", "fd00::10"))
                .headless(false)
                .ipFamilies(List.of(IpFamily.IPV4, IpFamily.IPV6))
                .ipFamilyPolicy("PreferDualStack")
                .ports(new ServicePort("http", Protocol.TCP, 80, "8080", 30080, "http"),
                        new ServicePort("dns", Protocol.UDP, 53, "dns", 30053, null))
                .sessionAffinity(SessionAffinity.CLIENT_IP)
                .sessionAffinityTimeoutSeconds(600)
                .externalIPs(List.of("192.0.2.7"))
                .loadBalancerIngressIPs(List.of("198.51.100.1", "198.51.100.2"))
                .loadBalancerSourceRanges(List.of("203.0.113.0/24"))
                .externalTrafficPolicy(TrafficPolicy.LOCAL)
                .internalTrafficPolicy(TrafficPolicy.LOCAL)
                .healthCheckNodePort(32000)
                .trafficDistribution("PreferClose")
                .annotations(Map.of("service.kubernetes.io/topology-mode", "Auto", "sluice.io/global", "true"))
                .build());
    }

    @Test
    void minimalServiceGetsKubernetesDefaults() {
        Service s = Normalizer.service(new ServiceBuilder()
                .withNewMetadata().withNamespace("default").withName("api").endMetadata()
                .withNewSpec().withClusterIP("10.96.0.1").addNewPort().withPort(443).endPort().endSpec()
                .build());

        assertThat(s.type()).isEqualTo(ServiceType.CLUSTER_IP);
        assertThat(s.clusterIPs()).containsExactly("10.96.0.1");
        assertThat(s.headless()).isFalse();
        assertThat(s.ports()).containsExactly(new ServicePort("", Protocol.TCP, 443, "443", 0, null));
        assertThat(s.sessionAffinity()).isEqualTo(SessionAffinity.NONE);
        assertThat(s.sessionAffinityTimeoutSeconds()).isEqualTo(10800);
        assertThat(s.externalTrafficPolicy()).isEqualTo(TrafficPolicy.CLUSTER);
        assertThat(s.internalTrafficPolicy()).isEqualTo(TrafficPolicy.CLUSTER);
        assertThat(s.healthCheckNodePort()).isZero();
        assertThat(s.trafficDistribution()).isNull();
        assertThat(s.externalName()).isNull();
        assertThat(s.annotations()).isEmpty();
        assertThat(s.ignoredByProxy()).isFalse();
    }

    @Test
    void clientIPAffinityWithoutConfigUsesTheThreeHourDefault() {
        Service s = Normalizer.service(new ServiceBuilder()
                .withNewMetadata().withNamespace("default").withName("sticky").endMetadata()
                .withNewSpec().withClusterIP("10.96.0.2").withSessionAffinity("ClientIP").endSpec().build());

        assertThat(s.sessionAffinity()).isEqualTo(SessionAffinity.CLIENT_IP);
        assertThat(s.sessionAffinityTimeoutSeconds()).isEqualTo(Service.DEFAULT_AFFINITY_TIMEOUT_SECONDS);
    }

    @Test
    void headlessServiceHasNoClusterIPsAndIsIgnoredByTheProxy() {
        for (var spec : List.of(
                new ServiceBuilder().withNewSpec().withClusterIP("None").endSpec(),
                new ServiceBuilder().withNewSpec().withClusterIP("None").withClusterIPs("None").endSpec())) {
            Service s = Normalizer.service(spec.withNewMetadata().withNamespace("db").withName("pg").endMetadata().build());

            assertThat(s.headless()).isTrue();
            assertThat(s.clusterIPs()).isEmpty();
            assertThat(s.ignoredByProxy()).isTrue();
        }
    }

    @Test
    void externalNameServiceKeepsItsNameAndIsIgnoredByTheProxy() {
        Service s = Normalizer.service(new ServiceBuilder()
                .withNewMetadata().withNamespace("default").withName("ext").endMetadata()
                .withNewSpec().withType("ExternalName").withExternalName("db.example.com").endSpec().build());

        assertThat(s.type()).isEqualTo(ServiceType.EXTERNAL_NAME);
        assertThat(s.externalName()).isEqualTo("db.example.com");
        assertThat(s.clusterIPs()).isEmpty();
        assertThat(s.ignoredByProxy()).isTrue();
    }

    @Test
    void clusterIPIsUsedWhenClusterIPsIsEmpty() {
        Service s = Normalizer.service(new ServiceBuilder()
                .withNewMetadata().withNamespace("default").withName("old").endMetadata()
                .withNewSpec().withClusterIP("10.96.0.3").withClusterIPs(List.of()).endSpec().build());

        assertThat(s.clusterIPs()).containsExactly("10.96.0.3");
    }

    @Test
    void statusLabelsResourceVersionAndForeignAnnotationsDoNotChangeTheNormalisedService() {
        var before = fullLoadBalancer().build();
        var after = fullLoadBalancer()
                .editMetadata().withResourceVersion("42").addToLabels("team", "blue").withGeneration(7L)
                    .addToAnnotations("example.com/owner", "me").endMetadata()
                .editStatus().addToConditions(new ConditionBuilder().withType("Ready").withStatus("True").build()).endStatus()
                .build();

        assertThat(Normalizer.service(after)).isEqualTo(Normalizer.service(before));
    }

    @Test
    void unknownEnumValuesNameTheObjectTheFieldAndTheValue() {
        assertThatThrownBy(() -> Normalizer.service(fullLoadBalancer().editSpec().editFirstPort().withProtocol("QUIC").endPort().endSpec().build()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("Service/shop/web")
                .hasMessageContaining("spec.ports[0].protocol")
                .hasMessageContaining("'QUIC'");
        assertThatThrownBy(() -> Normalizer.service(fullLoadBalancer().editSpec().withType("Magic").endSpec().build()))
                .hasMessageContaining("Service/shop/web").hasMessageContaining("spec.type").hasMessageContaining("'Magic'");
        assertThatThrownBy(() -> Normalizer.service(fullLoadBalancer().editSpec().withIpFamilies("IPv4", "IPv5").endSpec().build()))
                .hasMessageContaining("spec.ipFamilies[1]").hasMessageContaining("'IPv5'");
        assertThatThrownBy(() -> Normalizer.service(fullLoadBalancer().editSpec().withExternalTrafficPolicy("Nearby").endSpec().build()))
                .hasMessageContaining("spec.externalTrafficPolicy").hasMessageContaining("'Nearby'");
        assertThatThrownBy(() -> Normalizer.service(fullLoadBalancer().editSpec().withSessionAffinity("Cookie").endSpec().build()))
                .hasMessageContaining("spec.sessionAffinity").hasMessageContaining("'Cookie'");
    }

    @Test
    void outOfRangeValuesNormaliseButFailValidationNamingFieldAndValue() {
        Service badIp = Normalizer.service(fullLoadBalancer().editSpec().withClusterIP("10.96.0.999").withClusterIPs("10.96.0.999").endSpec().build());
        Service badPort = Normalizer.service(fullLoadBalancer().editSpec().editFirstPort().withPort(70000).endPort().endSpec().build());

        assertThatThrownBy(() -> Validator.requireValid(badIp)).isInstanceOf(InvalidObjectException.class)
                .hasMessageContaining("Service/shop/web").hasMessageContaining("spec.clusterIPs[0]").hasMessageContaining("10.96.0.999");
        assertThatThrownBy(() -> Validator.requireValid(badPort)).isInstanceOf(InvalidObjectException.class)
                .hasMessageContaining("spec.ports[0].port").hasMessageContaining("70000");
    }

    // ---------------------------------------------------------- EndpointSlice

    static EndpointSliceBuilder slice() {
        return new EndpointSliceBuilder()
                .withNewMetadata().withNamespace("shop").withName("web-abc12").withResourceVersion("7")
                    .addToLabels(Normalizer.SERVICE_NAME_LABEL, "web")
                    .addToAnnotations(Normalizer.TRIGGER_TIME_ANNOTATION, "2026-01-02T03:04:05Z")
                .endMetadata()
                .withAddressType("IPv4")
                .addNewPort().withName("http").withProtocol("TCP").withPort(8080).withAppProtocol("http").endPort()
                .addNewPort().withName("dns").withProtocol("UDP").withPort(53).endPort()
                .addNewEndpoint().withAddresses("10.0.0.1").withNodeName("node-a").withZone("z1")
                    .withNewConditions().withReady(true).withServing(true).withTerminating(false).endConditions()
                    .withNewHints().addNewForZone("z1").addNewForNode("node-a").endHints()
                .endEndpoint()
                .addNewEndpoint().withAddresses("10.0.0.2").withNodeName("node-b")
                    .withNewConditions().withReady(false).withServing(true).withTerminating(true).endConditions()
                .endEndpoint();
    }

    @Test
    void endpointSliceMapsEveryFieldKubeProxyReads() {
        EndpointSlice es = Normalizer.endpointSlice(slice().build()).orElseThrow();

        assertThat(es).isEqualTo(new EndpointSlice("shop", "web-abc12", "web", AddressType.IPV4,
                List.of(new EndpointPort("http", Protocol.TCP, 8080, "http"), new EndpointPort("dns", Protocol.UDP, 53, null)),
                List.of(new Endpoint(List.of("10.0.0.1"), true, true, false, "node-a", "z1", List.of("z1"), List.of("node-a")),
                        new Endpoint(List.of("10.0.0.2"), false, true, true, "node-b", null, List.of(), List.of()))));
        assertThat(es.serviceKey().toString()).isEqualTo("Service/shop/web");
    }

    @Test
    void sliceWithoutServiceNameLabelIsSkippedAsKubeProxyDoes() {
        var unlabelled = slice().editMetadata().withLabels(Map.of("app", "web")).endMetadata().build();

        assertThat(Normalizer.endpointSlice(unlabelled)).isEmpty();
        assertThat(Normalizer.normalize(unlabelled)).isEmpty();
    }

    @ParameterizedTest(name = "ready={0} serving={1} terminating={2} -> {3}/{4}/{5}")
    @CsvSource(nullValues = "nil", value = {
            // ready, serving, terminating -> ready, serving, terminating
            "nil,   nil,   nil,   true,  true,  false",
            "true,  nil,   nil,   true,  true,  false",
            "false, nil,   nil,   false, true,  false",
            "false, false, true,  false, false, true",
            "false, true,  true,  false, true,  true",
            "nil,   false, nil,   true,  false, false"})
    void endpointConditionsAreDefaultedAsTheDiscoveryApiDefinesThem(Boolean ready, Boolean serving, Boolean terminating,
                                                                    boolean wantReady, boolean wantServing, boolean wantTerminating) {
        var in = slice().withEndpoints().addNewEndpoint().withAddresses("10.0.0.9")
                .withNewConditions().withReady(ready).withServing(serving).withTerminating(terminating).endConditions()
                .endEndpoint().build();

        Endpoint e = Normalizer.endpointSlice(in).orElseThrow().endpoints().get(0);

        assertThat(List.of(e.ready(), e.serving(), e.terminating())).containsExactly(wantReady, wantServing, wantTerminating);
    }

    @Test
    void endpointWithoutConditionsIsReadyServingAndNotTerminating() {
        var in = slice().withEndpoints().addNewEndpoint().withAddresses("10.0.0.9").endEndpoint().build();

        Endpoint e = Normalizer.endpointSlice(in).orElseThrow().endpoints().get(0);

        assertThat(e).isEqualTo(new Endpoint(List.of("10.0.0.9"), true, true, false, null, null, List.of(), List.of()));
    }

    @Test
    void sliceErrorsNameTheObjectTheFieldAndTheValue() {
        assertThatThrownBy(() -> Normalizer.endpointSlice(slice().withAddressType("IPv7").build()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("EndpointSlice/shop/web-abc12").hasMessageContaining("addressType").hasMessageContaining("'IPv7'");
        assertThatThrownBy(() -> Normalizer.endpointSlice(slice().editFirstPort().withProtocol("ICMP").endPort().build()))
                .hasMessageContaining("EndpointSlice/shop/web-abc12").hasMessageContaining("ports[0].protocol").hasMessageContaining("'ICMP'");
        assertThatThrownBy(() -> Normalizer.endpointSlice(slice().withAddressType(null).build()))
                .hasMessageContaining("EndpointSlice/shop/web-abc12").hasMessageContaining("addressType");
        EndpointSlice wrongFamily = Normalizer.endpointSlice(slice().editFirstEndpoint().withAddresses("fd00::1").endEndpoint().build()).orElseThrow();
        assertThatThrownBy(() -> Validator.requireValid(wrongFamily))
                .hasMessageContaining("endpoints[0].addresses[0]").hasMessageContaining("fd00::1");
    }

    @Test
    void triggerTimeIsReadFromTheAnnotation() {
        assertThat(Normalizer.triggerTime(slice().build())).contains(Instant.parse("2026-01-02T03:04:05Z"));
        assertThat(Normalizer.triggerTime(slice().editMetadata()
                .addToAnnotations(Normalizer.TRIGGER_TIME_ANNOTATION, "2026-01-02T05:04:05.25+02:00").endMetadata().build()))
                .contains(Instant.parse("2026-01-02T03:04:05.25Z"));
        assertThat(Normalizer.triggerTime(slice().editMetadata().withAnnotations(Map.of()).endMetadata().build())).isEmpty();
        assertThat(Normalizer.triggerTime(slice().editMetadata()
                .addToAnnotations(Normalizer.TRIGGER_TIME_ANNOTATION, "yesterday").endMetadata().build())).isEmpty();
    }

    @Test
    void sliceUpdateThatOnlyTouchesMetadataNormalisesEqual() {
        var after = slice().editMetadata().withResourceVersion("8").addToLabels("endpointslice.kubernetes.io/managed-by", "x")
                .addToAnnotations(Normalizer.TRIGGER_TIME_ANNOTATION, "2026-01-02T03:09:00Z").endMetadata().build();

        assertThat(Normalizer.endpointSlice(after)).isEqualTo(Normalizer.endpointSlice(slice().build()));
    }

    // ------------------------------------------------------------------- Node

    static NodeBuilder node() {
        return new NodeBuilder()
                .withNewMetadata().withName("node-a").withResourceVersion("3").addToLabels(Normalizer.ZONE_LABEL, "z1").endMetadata()
                .withNewSpec().withPodCIDR("10.244.1.0/24").withPodCIDRs("10.244.1.0/24", "fd00:244:1::/64").endSpec()
                .withNewStatus()
                    .addNewAddress().withType("InternalIP").withAddress("192.168.1.10").endAddress()
                    .addNewAddress().withType("Hostname").withAddress("node-a").endAddress()
                .endStatus();
    }

    @Test
    void nodeMapsAddressesZoneAndPodCIDRs() {
        assertThat(Normalizer.node(node().build())).isEqualTo(new Node("node-a",
                List.of(NodeAddress.internalIP("192.168.1.10"), new NodeAddress("Hostname", "node-a")),
                "z1", List.of("10.244.1.0/24", "fd00:244:1::/64")));
    }

    @Test
    void nodePodCIDRFallsBackToTheSingularField() {
        var n = node().editSpec().withPodCIDRs(List.of()).endSpec().build();

        assertThat(Normalizer.node(n).podCIDRs()).containsExactly("10.244.1.0/24");
    }

    @Test
    void nodeHeartbeatsAndConditionsDoNotChangeTheNormalisedNode() {
        var after = node().editMetadata().withResourceVersion("99").endMetadata()
                .editStatus().addNewCondition().withType("Ready").withStatus("True").withLastHeartbeatTime("2026-01-01T00:00:00Z").endCondition()
                .endStatus().build();

        assertThat(Normalizer.node(after)).isEqualTo(Normalizer.node(node().build()));
    }

    @Test
    void nodeAddressWithoutTypeIsAnError() {
        assertThatThrownBy(() -> Normalizer.node(node().editStatus().addNewAddress().withAddress("10.1.1.1").endAddress().endStatus().build()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("Node//node-a").hasMessageContaining("status.addresses[2]").hasMessageContaining("10.1.1.1");
    }

    // --------------------------------------------------------------- codec

    @Test
    void normalisedObjectsSurviveTheCodecUnchanged() throws Exception {
        // The restart diff compares decoded log state with freshly normalised objects: they must be equal.
        EventCodec codec = new EventCodec();
        List<Resource> objects = List.of(
                Normalizer.service(fullLoadBalancer().build()),
                Normalizer.service(new ServiceBuilder().withNewMetadata().withNamespace("a").withName("b").endMetadata()
                        .withNewSpec().withClusterIP("None").endSpec().build()),
                Normalizer.endpointSlice(slice().build()).orElseThrow(),
                Normalizer.node(node().build()));
        for (Resource r : objects) {
            Validator.requireValid(r);
            ChangeEvent e = ChangeEvent.upsert("c1", 1, r, Instant.EPOCH, "1");

            assertThat(codec.decode(codec.encode(e)).object()).isEqualTo(r);
        }
    }

    @Test
    void normalizeDispatchesOnTheFabric8Type() {
        assertThat(Normalizer.normalize(node().build())).map(Resource::key).map(Object::toString).isEqualTo(Optional.of("Node//node-a"));
        assertThat(Normalizer.normalize(slice().build())).map(Resource::key).map(Object::toString)
                .isEqualTo(Optional.of("EndpointSlice/shop/web-abc12"));
        assertThat(Normalizer.normalize(fullLoadBalancer().build())).map(Resource::key).map(Object::toString)
                .isEqualTo(Optional.of("Service/shop/web"));
    }
}
