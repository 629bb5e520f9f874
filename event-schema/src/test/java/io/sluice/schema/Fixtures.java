package io.sluice.schema;

import io.sluice.schema.model.AddressType;
import io.sluice.schema.model.ChangeEvent;
import io.sluice.schema.model.Endpoint;
import io.sluice.schema.model.EndpointPort;
import io.sluice.schema.model.EndpointSlice;
import io.sluice.schema.model.IpFamily;
import io.sluice.schema.model.Node;
import io.sluice.schema.model.NodeAddress;
import io.sluice.schema.model.Protocol;
import io.sluice.schema.model.Service;
import io.sluice.schema.model.ServicePort;
import io.sluice.schema.model.ServiceType;
import io.sluice.schema.model.SessionAffinity;
import io.sluice.schema.model.TrafficPolicy;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/** Objects with every field set, so round-trips prove every field survives. */
public final class Fixtures {
    private Fixtures() {
    }

    public static Service fullService() {
        return Service.builder("shop", "web")
                .type(ServiceType.LOAD_BALANCER)
                .clusterIPs(List.of("10.96.0.10", "fd00:10:96::a"))
                .ipFamilies(List.of(IpFamily.IPV4, IpFamily.IPV6))
                .ipFamilyPolicy("PreferDualStack")
                .ports(new ServicePort("http", Protocol.TCP, 80, "8080", 30080, "http"),
                        new ServicePort("dns", Protocol.UDP, 53, "dns", 30053, null),
                        new ServicePort("sig", Protocol.SCTP, 9000, "9000", 0, null))
                .sessionAffinity(SessionAffinity.CLIENT_IP)
                .sessionAffinityTimeoutSeconds(600)
                .externalIPs(List.of("203.0.113.7"))
                .loadBalancerIngressIPs(List.of("198.51.100.20"))
                .loadBalancerSourceRanges(List.of("192.0.2.0/24"))
                .externalTrafficPolicy(TrafficPolicy.LOCAL)
                .internalTrafficPolicy(TrafficPolicy.LOCAL)
                .healthCheckNodePort(32000)
                .trafficDistribution("PreferClose")
                .annotations(Map.of("service.kubernetes.io/topology-mode", "Auto", "sluice.io/global", "true"))
                .build();
    }

    public static EndpointSlice fullSlice() {
        return new EndpointSlice("shop", "web-abc12", "web", AddressType.IPV4,
                List.of(new EndpointPort("http", Protocol.TCP, 8080, "http"), new EndpointPort("dns", Protocol.UDP, null, null)),
                List.of(new Endpoint(List.of("10.244.1.10"), true, true, false, "node-1", "zone-a", List.of("zone-a"), List.of("node-1")),
                        new Endpoint(List.of("10.244.2.10"), false, true, true, "node-2", null, List.of(), List.of())));
    }

    public static Node fullNode() {
        return new Node("node-1", List.of(NodeAddress.internalIP("10.255.0.1"), new NodeAddress("ExternalIP", "203.0.113.1"),
                new NodeAddress("Hostname", "node-1")), "zone-a", List.of("10.244.1.0/24"));
    }

    public static ChangeEvent upsert(long seq, io.sluice.schema.model.Resource r) {
        return ChangeEvent.upsert("c1", seq, r, Instant.ofEpochMilli(1_700_000_000_000L + seq), "rv" + seq);
    }
}
