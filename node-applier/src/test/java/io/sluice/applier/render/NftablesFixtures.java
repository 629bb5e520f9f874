package io.sluice.applier.render;

import io.sluice.schema.model.Endpoint;
import io.sluice.schema.model.EndpointPort;
import io.sluice.schema.model.Resource;
import io.sluice.schema.model.Service;
import io.sluice.schema.model.ServiceType;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Test inputs for the nftables backend tests in other packages: the named behaviours of
 * {@link Behaviours} and a synthetic cluster of kube-proxy-shaped Services.
 */
public final class NftablesFixtures {
    private NftablesFixtures() {
    }

    /** Every behaviour's objects by name (see {@link Behaviours}). */
    public static Map<String, List<Resource>> behaviours() {
        return Behaviours.all();
    }

    public static List<Resource> allBehaviours() {
        return Behaviours.everything();
    }

    /** node1 of the behaviours: zone-a, 192.168.0.1, 172.16.0.1, fd00:1::1. */
    public static NodeContext behavioursNode() {
        return Behaviours.NODE1;
    }

    /**
     * {@code count} NodePort Services {@code ns<i>/svc<i>} (cluster IP 172.30.x.y, NodePort
     * 30000 + i, one TCP port) with {@code endpoints} ready endpoints each, spread over two nodes:
     * the shape ARCHITECTURE.md's measurements use.
     */
    public static List<Resource> services(int count, int endpoints) {
        List<Resource> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            out.addAll(service(i, endpoints));
        }
        return out;
    }

    /** Service number {@code i} of {@link #services} and its slice, with {@code endpoints} endpoints. */
    public static List<Resource> service(int i, int endpoints) {
        String ns = "ns" + i;
        String name = "svc" + i;
        Service svc = Service.builder(ns, name).type(ServiceType.NODE_PORT)
                .clusterIP("172.30." + (i / 250) + "." + (i % 250 + 1))
                .ports(Fixtures.tcpNodePort("http", 80, "8080", 30000 + i % 2768)).build();
        List<Endpoint> eps = new ArrayList<>();
        for (int e = 0; e < endpoints; e++) {
            int n = i * endpoints + e;
            eps.add(Endpoint.ready("10." + (128 + n / 65536) + "." + (n / 256 % 256) + "." + (n % 256),
                    "node" + (1 + e % 2)));
        }
        List<EndpointPort> ports = List.of(Fixtures.epTcp("http", 8080));
        return List.of(svc, Fixtures.slice(ns, name + "-1", name, ports, eps.toArray(new Endpoint[0])));
    }
}
