package io.sluice.applier.render;

import static io.sluice.applier.render.Fixtures.epSctp;
import static io.sluice.applier.render.Fixtures.epTcp;
import static io.sluice.applier.render.Fixtures.epUdp;
import static io.sluice.applier.render.Fixtures.notReady;
import static io.sluice.applier.render.Fixtures.readyOn;
import static io.sluice.applier.render.Fixtures.readyWithNodeHints;
import static io.sluice.applier.render.Fixtures.readyWithZoneHints;
import static io.sluice.applier.render.Fixtures.sctp;
import static io.sluice.applier.render.Fixtures.service;
import static io.sluice.applier.render.Fixtures.slice;
import static io.sluice.applier.render.Fixtures.slice6;
import static io.sluice.applier.render.Fixtures.tcp;
import static io.sluice.applier.render.Fixtures.tcpNodePort;
import static io.sluice.applier.render.Fixtures.terminatingOn;
import static io.sluice.applier.render.Fixtures.udp;

import io.sluice.schema.model.Resource;
import io.sluice.schema.model.Service;
import io.sluice.schema.model.ServiceType;
import io.sluice.schema.model.SessionAffinity;
import io.sluice.schema.model.TrafficPolicy;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One small cluster per Service behaviour, named; golden files render each alone, the packet-flow
 * test renders them all together. The node under test is node1 (zone-a, 192.168.0.1 and
 * 172.16.0.1, fd00:1::1); node2's endpoints are remote. Outside-world addresses are documentation
 * ranges (192.0.2.0/24 LB IPs, 198.51.100.0/24 external IPs, 203.0.113.0/24 clients).
 */
final class Behaviours {
    static final String CLUSTER_CIDR = "10.244.0.0/16";
    static final String CLUSTER_CIDR6 = "fd00:244::/32";
    static final NodeContext NODE1 = new NodeContext("node1", List.of("192.168.0.1", "172.16.0.1", "fd00:1::1"), "zone-a");

    private Behaviours() {
    }

    static Map<String, List<Resource>> all() {
        Map<String, List<Resource>> m = new LinkedHashMap<>();
        m.put("cluster-ip", List.of(
                service("ns1", "web", "172.30.0.41", tcp("http", 80, "8080")),
                slice("ns1", "web-1", "web", List.of(epTcp("http", 8080)),
                        readyOn("10.244.1.2", "node1"), readyOn("10.244.2.3", "node2"))));
        m.put("no-endpoints-reject", List.of(
                service("ns2", "empty", "172.30.0.42", tcp("http", 80, "8080"), udp("dns", 53, "53"))));
        m.put("udp-and-tcp-same-port", List.of(
                service("ns3", "dns", "172.30.0.10", udp("dns", 53, "dns"), tcp("dns-tcp", 53, "dns-tcp")),
                slice("ns3", "dns-1", "dns", List.of(epUdp("dns", 5353), epTcp("dns-tcp", 5354)),
                        readyOn("10.244.1.3", "node1"), readyOn("10.244.2.4", "node2"))));
        m.put("multi-port-named-target-ports", List.of(
                service("ns24", "web", "172.30.0.43",
                        tcp("http", 80, "web"), tcp("metrics", 9090, "prom"), udp("dns", 53, "dns")),
                slice("ns24", "web-1", "web", List.of(epTcp("http", 8080), epTcp("metrics", 9100),
                        epUdp("dns", 5353), epTcp("unused", 1)), readyOn("10.244.1.10", "node1"),
                        readyOn("10.244.2.10", "node2")),
                slice("ns24", "web-2", "web", List.of(epTcp("http", 8081)), readyOn("10.244.3.10", "node3"))));
        m.put("hairpin", List.of(
                service("ns5", "self", "172.30.0.45", tcp("http", 80, "8080")),
                slice("ns5", "self-1", "self", List.of(epTcp("http", 8080)), readyOn("10.244.1.7", "node1"))));
        m.put("not-ready-excluded-terminating-fallback", List.of(
                service("ns4", "rolling", "172.30.0.44", tcp("", 80, "8080")),
                slice("ns4", "rolling-1", "rolling", List.of(epTcp("", 8080)),
                        readyOn("10.244.1.4", "node1"), terminatingOn("10.244.1.5", "node1"), notReady("10.244.1.6")),
                service("ns16", "draining", "172.30.0.66", tcp("http", 80, "8080")),
                slice("ns16", "draining-1", "draining", List.of(epTcp("http", 8080)),
                        terminatingOn("10.244.1.28", "node1"), notReady("10.244.1.29"), terminatingOn("10.244.2.28", "node2")),
                service("ns6", "allgone", "172.30.0.46", tcp("http", 80, "8080")),
                slice("ns6", "allgone-1", "allgone", List.of(epTcp("http", 8080)), notReady("10.244.1.8"))));
        m.put("node-port", List.of(
                Service.builder("ns7", "np").type(ServiceType.NODE_PORT).clusterIP("172.30.0.47")
                        .ports(tcpNodePort("http", 80, "8080", 30080)).build(),
                slice("ns7", "np-1", "np", List.of(epTcp("http", 8080)),
                        readyOn("10.244.1.20", "node1"), readyOn("10.244.2.20", "node2"))));
        m.put("external-traffic-policy-local", List.of(
                Service.builder("ns8", "local").type(ServiceType.NODE_PORT).clusterIP("172.30.0.48")
                        .externalIPs(List.of("198.51.100.8")).externalTrafficPolicy(TrafficPolicy.LOCAL)
                        .ports(tcpNodePort("http", 80, "8080", 30090)).build(),
                slice("ns8", "local-1", "local", List.of(epTcp("http", 8080)),
                        readyOn("10.244.1.21", "node1"), readyOn("10.244.2.21", "node2"))));
        m.put("external-traffic-policy-local-no-local-endpoints", List.of(
                Service.builder("ns9", "remote").type(ServiceType.NODE_PORT).clusterIP("172.30.0.49")
                        .externalIPs(List.of("198.51.100.9")).externalTrafficPolicy(TrafficPolicy.LOCAL)
                        .ports(tcpNodePort("http", 80, "8080", 30091)).build(),
                slice("ns9", "remote-1", "remote", List.of(epTcp("http", 8080)), readyOn("10.244.2.22", "node2"))));
        m.put("load-balancer-source-ranges", List.of(
                Service.builder("ns10", "lb").type(ServiceType.LOAD_BALANCER).clusterIP("172.30.0.50")
                        .loadBalancerIngressIPs(List.of("192.0.2.50")).loadBalancerSourceRanges(List.of("203.0.113.0/28"))
                        .ports(tcpNodePort("http", 80, "8080", 30100)).build(),
                slice("ns10", "lb-1", "lb", List.of(epTcp("http", 8080)),
                        readyOn("10.244.1.23", "node1"), readyOn("10.244.2.23", "node2"))));
        m.put("load-balancer-no-endpoints", List.of(
                Service.builder("ns11", "lbempty").type(ServiceType.LOAD_BALANCER).clusterIP("172.30.0.51")
                        .loadBalancerIngressIPs(List.of("192.0.2.51")).externalIPs(List.of("198.51.100.11"))
                        .ports(tcpNodePort("http", 80, "8080", 30101)).build()));
        m.put("load-balancer-local-health-check", List.of(
                Service.builder("ns12", "lblocal").type(ServiceType.LOAD_BALANCER).clusterIP("172.30.0.52")
                        .loadBalancerIngressIPs(List.of("192.0.2.52")).externalTrafficPolicy(TrafficPolicy.LOCAL)
                        .healthCheckNodePort(30200).ports(tcpNodePort("http", 80, "8080", 30102)).build(),
                slice("ns12", "lblocal-1", "lblocal", List.of(epTcp("http", 8080)),
                        readyOn("10.244.1.24", "node1"), readyOn("10.244.2.24", "node2"))));
        m.put("internal-traffic-policy-local", List.of(
                Service.builder("ns13", "itp").clusterIP("172.30.0.53").internalTrafficPolicy(TrafficPolicy.LOCAL)
                        .ports(tcp("http", 80, "8080")).build(),
                slice("ns13", "itp-1", "itp", List.of(epTcp("http", 8080)),
                        readyOn("10.244.1.25", "node1"), readyOn("10.244.2.25", "node2")),
                Service.builder("ns14", "itpremote").clusterIP("172.30.0.54").internalTrafficPolicy(TrafficPolicy.LOCAL)
                        .ports(tcp("http", 80, "8080")).build(),
                slice("ns14", "itpremote-1", "itpremote", List.of(epTcp("http", 8080)), readyOn("10.244.2.26", "node2"))));
        m.put("session-affinity", List.of(
                Service.builder("ns15", "sticky").clusterIP("172.30.0.55").sessionAffinity(SessionAffinity.CLIENT_IP)
                        .sessionAffinityTimeoutSeconds(600).ports(tcp("http", 80, "8080")).build(),
                slice("ns15", "sticky-1", "sticky", List.of(epTcp("http", 8080)),
                        readyOn("10.244.1.27", "node1"), readyOn("10.244.2.27", "node2"))));
        m.put("topology-zone-hints", List.of(
                service("ns17", "close", "172.30.0.57", tcp("http", 80, "8080")),
                slice("ns17", "close-1", "close", List.of(epTcp("http", 8080)),
                        readyWithZoneHints("10.244.1.30", "node1", "zone-a", "zone-a"),
                        readyWithZoneHints("10.244.2.30", "node2", "zone-b", "zone-b")),
                service("ns18", "partial", "172.30.0.58", tcp("http", 80, "8080")),
                slice("ns18", "partial-1", "partial", List.of(epTcp("http", 8080)),
                        readyWithZoneHints("10.244.1.31", "node1", "zone-a", "zone-a"), readyOn("10.244.2.31", "node2")),
                service("ns19", "samenode", "172.30.0.59", tcp("http", 80, "8080")),
                slice("ns19", "samenode-1", "samenode", List.of(epTcp("http", 8080)),
                        readyWithNodeHints("10.244.1.32", "node1", "node1"),
                        readyWithNodeHints("10.244.2.32", "node2", "node2"))));
        m.put("sctp", List.of(
                service("ns20", "sig", "172.30.0.60", sctp("sig", 9999, "9999")),
                slice("ns20", "sig-1", "sig", List.of(epSctp("sig", 9999)), readyOn("10.244.2.33", "node2"))));
        m.put("headless-externalname-ignored", List.of(
                Service.builder("ns21", "headless").headless(true).ports(tcp("http", 80, "80")).build(),
                slice("ns21", "headless-1", "headless", List.of(epTcp("http", 80)), readyOn("10.244.1.40", "node1")),
                Service.builder("ns21", "external").type(ServiceType.EXTERNAL_NAME).externalName("example.com")
                        .ports(tcp("http", 80, "80")).build(),
                Service.builder("ns21", "noip").ports(tcp("http", 80, "80")).build()));
        m.put("dual-stack", List.of(
                Service.builder("ns22", "dual").clusterIPs(List.of("172.30.0.62", "fd00:30::62"))
                        .type(ServiceType.NODE_PORT).externalIPs(List.of("198.51.100.62", "2001:db8::62"))
                        .ports(tcpNodePort("http", 80, "8080", 30162)).build(),
                slice("ns22", "dual-v4", "dual", List.of(epTcp("http", 8080)), readyOn("10.244.1.62", "node1")),
                slice6("ns22", "dual-v6", "dual", List.of(epTcp("http", 8080)),
                        readyOn("fd00:244:1::62", "node1"), readyOn("fd00:244:2::62", "node2")),
                service("ns23", "v6only", "fd00:30::63", tcp("http", 80, "8080"))));
        return m;
    }

    static List<Resource> everything() {
        List<Resource> out = new ArrayList<>();
        all().values().forEach(out::addAll);
        return out;
    }
}
