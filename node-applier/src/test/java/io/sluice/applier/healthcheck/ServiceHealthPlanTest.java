package io.sluice.applier.healthcheck;

import static io.sluice.applier.render.Fixtures.epTcp;
import static io.sluice.applier.render.Fixtures.image;
import static io.sluice.applier.render.Fixtures.notReady;
import static io.sluice.applier.render.Fixtures.readyOn;
import static io.sluice.applier.render.Fixtures.slice;
import static io.sluice.applier.render.Fixtures.slice6;
import static io.sluice.applier.render.Fixtures.tcp;
import static io.sluice.applier.render.Fixtures.tcpNodePort;
import static io.sluice.applier.render.Fixtures.terminatingOn;
import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.applier.render.EndpointSelection;
import io.sluice.applier.render.EndpointTarget;
import io.sluice.applier.render.NodeContext;
import io.sluice.applier.render.ResolvedServicePort;
import io.sluice.applier.render.ServicePortResolver;
import io.sluice.schema.model.Endpoint;
import io.sluice.schema.model.EndpointPort;
import io.sluice.schema.model.IpFamily;
import io.sluice.schema.model.Service;
import io.sluice.schema.model.ServicePort;
import io.sluice.schema.model.ServiceType;
import io.sluice.schema.model.TrafficPolicy;
import io.sluice.store.image.ClusterImage;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import org.junit.jupiter.api.Test;

/** Which health check ports a node serves and the counts they answer: kube-proxy's LocalReadyEndpoints. */
class ServiceHealthPlanTest {
    private static final NodeContext NODE1 = NodeContext.of("node1");
    private static final List<EndpointPort> HTTP = List.of(epTcp("http", 8080));

    /** A LoadBalancer with externalTrafficPolicy Local and a health check node port, as the API server makes it. */
    private static Service.Builder lbLocal(String ns, String name, int healthCheckNodePort) {
        return Service.builder(ns, name).type(ServiceType.LOAD_BALANCER).clusterIP("172.30.0.10")
                .externalTrafficPolicy(TrafficPolicy.LOCAL).healthCheckNodePort(healthCheckNodePort)
                .loadBalancerIngressIPs(List.of("198.51.100.10"))
                .ports(tcpNodePort("http", 80, "8080", 30080));
    }

    private static SortedMap<Integer, ServiceHealth> plan(ClusterImage image) {
        return ServiceHealthPlan.compute(image, NODE1);
    }

    @Test
    void countsReadyEndpointsOnThisNodeOnly() {
        ClusterImage img = image(lbLocal("ns1", "web", 31000).build(),
                slice("ns1", "web-a", "web", HTTP, readyOn("10.244.1.2", "node1"), readyOn("10.244.1.3", "node1"),
                        readyOn("10.244.2.2", "node2")));

        assertThat(plan(img)).containsExactly(Map.entry(31000, ServiceHealth.of("ns1", "web", IpFamily.IPV4, 2)));
    }

    @Test
    void endpointsOnlyElsewhereGiveZeroButTheServiceKeepsItsPort() {
        ClusterImage img = image(lbLocal("ns1", "web", 31000).build(),
                slice("ns1", "web-a", "web", HTTP, readyOn("10.244.2.2", "node2")));

        assertThat(plan(img)).containsExactly(Map.entry(31000, ServiceHealth.of("ns1", "web", IpFamily.IPV4, 0)));
    }

    @Test
    void noEndpointsAtAllGiveZero() {
        assertThat(plan(image(lbLocal("ns1", "web", 31000).build())))
                .containsExactly(Map.entry(31000, ServiceHealth.of("ns1", "web", IpFamily.IPV4, 0)));
    }

    @Test
    void terminatingOnlyLocalEndpointsGiveZeroSoLoadBalancersDrainTheNode() {
        ClusterImage img = image(lbLocal("ns1", "web", 31000).build(),
                slice("ns1", "web-a", "web", HTTP, terminatingOn("10.244.1.2", "node1"), readyOn("10.244.2.2", "node2")));

        assertThat(plan(img).get(31000).localEndpoints()).isEqualTo(Map.of(IpFamily.IPV4, 0));
        // Traffic still goes to the terminating endpoint (kube-proxy's fallback); only the health check says 503.
        ResolvedServicePort sp = ServicePortResolver.resolve(img, IpFamily.IPV4).get(0);
        assertThat(EndpointSelection.categorize(sp, NODE1).local()).extracting(EndpointTarget::ip)
                .containsExactly("10.244.1.2");
    }

    @Test
    void terminatingLocalEndpointsBesideReadyOnesAreNotCounted() {
        ClusterImage img = image(lbLocal("ns1", "web", 31000).build(),
                slice("ns1", "web-a", "web", HTTP, terminatingOn("10.244.1.2", "node1"), readyOn("10.244.1.3", "node1")));

        assertThat(plan(img).get(31000).localEndpoints()).isEqualTo(Map.of(IpFamily.IPV4, 1));
    }

    @Test
    void notReadyLocalEndpointsAreNotCounted() {
        ClusterImage img = image(lbLocal("ns1", "web", 31000).build(),
                slice("ns1", "web-a", "web", HTTP, notReady("10.244.1.2"), readyOn("10.244.1.3", "node1")));

        assertThat(plan(img).get(31000).localEndpoints()).isEqualTo(Map.of(IpFamily.IPV4, 1));
    }

    @Test
    void endpointsWithoutANodeNameAreNotLocal() {
        Endpoint anywhere = new Endpoint(List.of("10.244.1.2"), true, true, false, null, null, List.of(), List.of());
        ClusterImage img = image(lbLocal("ns1", "web", 31000).build(), slice("ns1", "web-a", "web", HTTP, anywhere));

        assertThat(plan(img).get(31000).localEndpoints()).isEqualTo(Map.of(IpFamily.IPV4, 0));
    }

    @Test
    void onePodBehindTwoPortsCountsOnce() {
        Service svc = lbLocal("ns1", "web", 31000)
                .ports(tcpNodePort("http", 80, "8080", 30080), tcpNodePort("https", 443, "8443", 30443)).build();
        ClusterImage img = image(svc, slice("ns1", "web-a", "web", List.of(epTcp("http", 8080), epTcp("https", 8443)),
                readyOn("10.244.1.2", "node1")));

        assertThat(plan(img).get(31000).localEndpoints()).isEqualTo(Map.of(IpFamily.IPV4, 1));
    }

    @Test
    void endpointsInSeveralSlicesAreCountedOnceEach() {
        ClusterImage img = image(lbLocal("ns1", "web", 31000).build(),
                slice("ns1", "web-a", "web", HTTP, readyOn("10.244.1.2", "node1")),
                slice("ns1", "web-b", "web", HTTP, readyOn("10.244.1.2", "node1"), readyOn("10.244.1.3", "node1")));

        assertThat(plan(img).get(31000).localEndpoints()).isEqualTo(Map.of(IpFamily.IPV4, 2));
    }

    @Test
    void servicesWithoutLocalPolicyOrWithoutAPortAreIgnored() {
        ClusterImage img = image(
                // eTP Cluster: the API server clears the port, but an image could still carry one.
                lbLocal("ns1", "cluster-policy", 31001).externalTrafficPolicy(TrafficPolicy.CLUSTER).build(),
                // Local, but no health check port allocated.
                lbLocal("ns1", "no-port", 0).build(),
                // NodePort with eTP Local: no health check (kube-proxy's NeedsHealthCheck is LoadBalancer only).
                Service.builder("ns1", "nodeport").type(ServiceType.NODE_PORT).clusterIP("172.30.0.11")
                        .externalTrafficPolicy(TrafficPolicy.LOCAL).healthCheckNodePort(31002)
                        .ports(tcpNodePort("http", 80, "8080", 30081)).build(),
                // Headless: no proxying at all.
                lbLocal("ns1", "headless", 31003).headless(true).clusterIPs(List.of()).build(),
                slice("ns1", "c-a", "cluster-policy", HTTP, readyOn("10.244.1.2", "node1")),
                slice("ns1", "n-a", "nodeport", HTTP, readyOn("10.244.1.3", "node1")));

        assertThat(plan(img)).isEmpty();
    }

    @Test
    void thePlanIsTheOneEveryResolvedPortGivesAlthoughOnlyLoadBalancersWithAPortAreResolved() {
        ClusterImage img = image(
                lbLocal("ns1", "web", 31000).build(),
                lbLocal("ns1", "cluster-policy", 31001).externalTrafficPolicy(TrafficPolicy.CLUSTER).build(),
                Service.builder("ns1", "nodeport").type(ServiceType.NODE_PORT).clusterIP("172.30.0.11")
                        .externalTrafficPolicy(TrafficPolicy.LOCAL).healthCheckNodePort(31002)
                        .ports(tcpNodePort("http", 80, "8080", 30081)).build(),
                Service.builder("ns2", "plain").clusterIP("172.30.0.12").ports(tcp("http", 80, "8080")).build(),
                lbLocal("ns2", "api", 30500).clusterIP("172.30.0.20").build(),
                slice("ns1", "web-a", "web", HTTP, readyOn("10.244.1.2", "node1"), notReady("10.244.1.4")),
                slice("ns1", "c-a", "cluster-policy", HTTP, readyOn("10.244.1.3", "node1")),
                slice("ns1", "n-a", "nodeport", HTTP, readyOn("10.244.1.5", "node1")),
                slice("ns2", "plain-a", "plain", HTTP, readyOn("10.244.1.6", "node1")),
                slice("ns2", "api-a", "api", HTTP, readyOn("10.244.1.7", "node1"), readyOn("10.244.2.7", "node2")));

        // The plan as the definition states it: every resolved port of every Service, both families.
        SortedMap<Integer, ServiceHealth> expected = new java.util.TreeMap<>();
        for (IpFamily family : IpFamily.values()) {
            for (ResolvedServicePort sp : ServicePortResolver.resolve(img, family)) {
                if (sp.healthCheckNodePort() != 0) {
                    int local = (int) sp.endpoints().stream().filter(e -> e.ready() && e.isLocal("node1")).count();
                    expected.putIfAbsent(sp.healthCheckNodePort(),
                            ServiceHealth.of(sp.service().namespace(), sp.service().name(), family, local));
                }
            }
        }
        assertThat(plan(img)).isEqualTo(expected).containsOnlyKeys(30500, 31000);
    }

    @Test
    void twoServicesEachAnswerForTheirOwnEndpoints() {
        ClusterImage img = image(
                lbLocal("ns1", "web", 31000).build(),
                lbLocal("ns2", "api", 30500).clusterIP("172.30.0.20").build(),
                slice("ns1", "web-a", "web", HTTP, readyOn("10.244.1.2", "node1"), readyOn("10.244.1.3", "node1")),
                slice("ns2", "api-a", "api", HTTP, readyOn("10.244.2.9", "node2")));

        assertThat(plan(img)).containsExactly(
                Map.entry(30500, ServiceHealth.of("ns2", "api", IpFamily.IPV4, 0)),
                Map.entry(31000, ServiceHealth.of("ns1", "web", IpFamily.IPV4, 2)));
    }

    @Test
    void aDualStackServiceIsOnePortCountedPerFamilyNeverSummed() {
        Service svc = lbLocal("ns1", "web", 31000).clusterIPs(List.of("172.30.0.10", "fd00:30::10"))
                .ipFamilies(List.of(IpFamily.IPV4, IpFamily.IPV6)).build();
        ClusterImage img = image(svc,
                slice("ns1", "web-v4", "web", HTTP, readyOn("10.244.1.2", "node1"), readyOn("10.244.1.3", "node1")),
                slice6("ns1", "web-v6", "web", HTTP, readyOn("fd00:244:1::2", "node1"), readyOn("fd00:244:1::3", "node1")));

        ServiceHealth h = plan(img).get(31000);
        assertThat(plan(img)).containsOnlyKeys(31000);
        assertThat(h.localEndpoints()).isEqualTo(Map.of(IpFamily.IPV4, 2, IpFamily.IPV6, 2));
        assertThat(h.localEndpointsFor(IpFamily.IPV4)).isEqualTo(2);
        assertThat(h.localEndpointsFor(IpFamily.IPV6)).isEqualTo(2);
    }

    @Test
    void aDualStackServiceWithLocalEndpointsInOneFamilyOnlyIsDownInTheOther() {
        // The IPv6 rules DROP external IPv6 traffic without a local IPv6 endpoint, so an IPv6 probe must fail.
        Service svc = lbLocal("ns1", "web", 31000).clusterIPs(List.of("172.30.0.10", "fd00:30::10")).build();
        ClusterImage img = image(svc, slice("ns1", "web-v4", "web", HTTP, readyOn("10.244.1.2", "node1")));

        ServiceHealth h = plan(img).get(31000);
        assertThat(h.localEndpointsFor(IpFamily.IPV4)).isEqualTo(1);
        assertThat(h.localEndpointsFor(IpFamily.IPV6)).isZero();
    }

    @Test
    void anIpv6OnlyServiceAnswersItsCountOverEitherFamily() {
        Service svc = lbLocal("ns1", "web", 31000).clusterIPs(List.of("fd00:30::10"))
                .loadBalancerIngressIPs(List.of("2001:db8::10")).build();
        ClusterImage img = image(svc, slice6("ns1", "web-v6", "web", HTTP, readyOn("fd00:244:1::2", "node1")));

        ServiceHealth h = plan(img).get(31000);
        assertThat(h.localEndpoints()).isEqualTo(Map.of(IpFamily.IPV6, 1));
        assertThat(h.localEndpointsFor(IpFamily.IPV4)).isEqualTo(1);
    }

    @Test
    void aLoadBalancerWithoutNodePortsOrIngressYetIsStillCounted() {
        // allocateLoadBalancerNodePorts: false, status not yet published: the LB may already probe.
        Service svc = lbLocal("ns1", "web", 31000).loadBalancerIngressIPs(List.of())
                .ports(tcp("http", 80, "8080")).build();
        ClusterImage img = image(svc, slice("ns1", "web-a", "web", HTTP, readyOn("10.244.1.2", "node1")));

        assertThat(plan(img).get(31000).localEndpoints()).isEqualTo(Map.of(IpFamily.IPV4, 1));
    }

    @Test
    void twoServicesClaimingOnePortTheFirstByNameKeepsIt() {
        ClusterImage img = image(
                lbLocal("ns2", "b", 31000).clusterIP("172.30.0.20").build(),
                lbLocal("ns1", "a", 31000).build());

        assertThat(plan(img)).containsExactly(Map.entry(31000, ServiceHealth.of("ns1", "a", IpFamily.IPV4, 0)));
    }

    @Test
    void countEqualsTheReadyPartOfEndpointSelectionsLocalSetWheneverThatSetIsUsed() {
        List<ClusterImage> images = List.of(
                image(lbLocal("ns1", "web", 31000).build(), slice("ns1", "a", "web", HTTP,
                        readyOn("10.244.1.2", "node1"), readyOn("10.244.2.2", "node2"), notReady("10.244.1.9"))),
                image(lbLocal("ns1", "web", 31000).build(), slice("ns1", "a", "web", HTTP,
                        terminatingOn("10.244.1.2", "node1"), terminatingOn("10.244.1.3", "node1"))),
                image(lbLocal("ns1", "web", 31000).build(), slice("ns1", "a", "web", HTTP,
                        terminatingOn("10.244.1.2", "node1"), readyOn("10.244.1.3", "node1"))));
        for (ClusterImage img : images) {
            ResolvedServicePort sp = ServicePortResolver.resolve(img, IpFamily.IPV4).get(0);
            long readyLocal = EndpointSelection.categorize(sp, NODE1).local().stream().filter(EndpointTarget::ready).count();
            assertThat(plan(img).get(31000).localEndpointsFor(IpFamily.IPV4)).isEqualTo((int) readyLocal);
        }
    }

    @Test
    void portWithoutMatchingSlicePortHasNoEndpoints() {
        ServicePort metrics = tcpNodePort("metrics", 9090, "9090", 30090);
        ClusterImage img = image(lbLocal("ns1", "web", 31000).ports(metrics).build(),
                slice("ns1", "web-a", "web", HTTP, readyOn("10.244.1.2", "node1")));

        assertThat(plan(img).get(31000).localEndpoints()).isEqualTo(Map.of(IpFamily.IPV4, 0));
    }
}
