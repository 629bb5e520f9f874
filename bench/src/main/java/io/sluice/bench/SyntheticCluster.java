package io.sluice.bench;

import io.sluice.schema.model.ChangeEvent;
import io.sluice.schema.model.Endpoint;
import io.sluice.schema.model.EndpointPort;
import io.sluice.schema.model.EndpointSlice;
import io.sluice.schema.model.IpFamily;
import io.sluice.schema.model.Service;
import io.sluice.schema.model.ServicePort;
import io.sluice.store.image.ClusterImage;
import io.sluice.store.image.ImageDelta;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * A synthetic cluster of {@code services} ClusterIP Services with {@code endpointsPerService} ready
 * endpoints each, as the domain records the watcher would emit. Addresses come from private ranges
 * that exist only inside the benchmark's own network namespaces: Service VIPs from 10.96.0.0/12,
 * pod IPs from 10.64.0.0/12 (room for 1M endpoints), replacement pod IPs for changes from
 * 10.80.0.0/12; the cluster (pod) CIDR is 10.64.0.0/11. Names look like a real cluster's: 100 namespaces {@code team-000..team-099},
 * Services {@code svc-00042}, slices {@code svc-00042-x7k2p}, endpoints spread over {@code nodes} nodes.
 *
 * <p>Deterministic: the same arguments always give the same events (seq 1..2N, Service then slice).
 */
public final class SyntheticCluster {
    public static final String CLUSTER = "bench";
    public static final String CLUSTER_CIDR = "10.64.0.0/11";
    public static final int PORT = 80;
    public static final int TARGET_PORT = 8080;
    private static final int VIP_BASE = ip(10, 96, 0, 1);
    private static final int POD_BASE = ip(10, 64, 0, 1);
    private static final int SPARE_BASE = ip(10, 80, 0, 1);
    private static final Instant T0 = Instant.parse("2025-01-01T00:00:00Z");

    private final int services;
    private final int endpointsPerService;
    private final int nodes;
    private int spare;

    public SyntheticCluster(int services, int endpointsPerService, int nodes) {
        if (services < 0 || services > 1_000_000 || endpointsPerService < 1 || (long) services * endpointsPerService > 1_000_000) {
            throw new IllegalArgumentException("services " + services + " x endpoints " + endpointsPerService
                    + " does not fit the synthetic address ranges (at most 1M Services, 1M endpoints)");
        }
        this.services = services;
        this.endpointsPerService = endpointsPerService;
        this.nodes = Math.max(1, nodes);
    }

    public int services() {
        return services;
    }

    public static String namespace(int i) {
        return String.format("team-%03d", i % 100);
    }

    public static String serviceName(int i) {
        return String.format("svc-%05d", i);
    }

    public static String sliceName(int i) {
        return serviceName(i) + "-" + suffix(i);
    }

    public static String vip(int i) {
        return text(VIP_BASE + i);
    }

    public static String nodeName(int n) {
        return "node-" + (n + 1);
    }

    public Service service(int i) {
        return Service.builder(namespace(i), serviceName(i))
                .clusterIP(vip(i))
                .ipFamilies(List.of(IpFamily.IPV4))
                .ipFamilyPolicy("SingleStack")
                .ports(ServicePort.tcp("http", PORT, TARGET_PORT))
                .build();
    }

    /** Service i's slice with its original endpoints. */
    public EndpointSlice slice(int i) {
        List<String> ips = new ArrayList<>(endpointsPerService);
        for (int j = 0; j < endpointsPerService; j++) {
            ips.add(text(POD_BASE + i * endpointsPerService + j));
        }
        return slice(i, ips);
    }

    public EndpointSlice slice(int i, List<String> ips) {
        List<Endpoint> eps = new ArrayList<>(ips.size());
        for (int j = 0; j < ips.size(); j++) {
            eps.add(Endpoint.ready(ips.get(j), nodeName((i + j) % nodes)));
        }
        return new EndpointSlice(namespace(i), sliceName(i), serviceName(i), null,
                List.of(EndpointPort.tcp("http", TARGET_PORT)), eps);
    }

    /**
     * Service i's slice after a typical rollout step: its first endpoint replaced by a fresh pod IP
     * (one endpoint chain goes, one comes, the Service chain is rewritten).
     */
    public EndpointSlice rolled(EndpointSlice current) {
        List<String> ips = new ArrayList<>();
        current.endpoints().forEach(e -> ips.add(e.addresses().get(0)));
        ips.remove(0);
        ips.add(text(SPARE_BASE + (spare++ % 1_000_000)));
        int i = Integer.parseInt(current.serviceName().substring(4));
        return slice(i, ips);
    }

    /** The initial events: Service i at seq 2i+1, its slice at seq 2i+2. */
    public List<ChangeEvent> events() {
        List<ChangeEvent> out = new ArrayList<>(2 * services);
        long seq = 0;
        for (int i = 0; i < services; i++) {
            out.add(ChangeEvent.upsert(CLUSTER, ++seq, service(i), T0, Long.toString(seq)));
            out.add(ChangeEvent.upsert(CLUSTER, ++seq, slice(i), T0, Long.toString(seq)));
        }
        return out;
    }

    public ClusterImage image() {
        ImageDelta d = ClusterImage.empty().delta();
        long seq = 0;
        for (int i = 0; i < services; i++) {
            d.replay(ChangeEvent.upsert(CLUSTER, ++seq, service(i), T0, Long.toString(seq)));
            d.replay(ChangeEvent.upsert(CLUSTER, ++seq, slice(i), T0, Long.toString(seq)));
        }
        return d.apply();
    }

    private static String suffix(int i) {
        String alphabet = "bcdfghjklmnpqrstvwxz2456789";
        StringBuilder s = new StringBuilder(5);
        int h = Integer.rotateLeft(i * 0x9E3779B1, 7) ^ 0x5bd1e995;
        for (int k = 0; k < 5; k++) {
            s.append(alphabet.charAt(Math.floorMod(h, alphabet.length())));
            h /= alphabet.length();
            h ^= i * 31 + k;
        }
        return s.toString();
    }

    static int ip(int a, int b, int c, int d) {
        return (a << 24) | (b << 16) | (c << 8) | d;
    }

    static String text(int ip) {
        return ((ip >>> 24) & 255) + "." + ((ip >>> 16) & 255) + "." + ((ip >>> 8) & 255) + "." + (ip & 255);
    }
}
