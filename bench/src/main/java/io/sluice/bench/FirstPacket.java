package io.sluice.bench;

import io.sluice.applier.backend.Exec;
import io.sluice.applier.backend.IptablesRestoreBackend;
import io.sluice.applier.backend.NftablesBackend;
import io.sluice.applier.backend.RuleBackend;
import io.sluice.applier.render.IptablesRenderer;
import io.sluice.applier.render.NftablesRenderer;
import io.sluice.applier.render.NodeContext;
import io.sluice.applier.render.RenderOptions;
import io.sluice.applier.render.RuleRenderer;
import io.sluice.schema.model.ChangeEvent;
import io.sluice.schema.model.Endpoint;
import io.sluice.schema.model.EndpointPort;
import io.sluice.schema.model.EndpointSlice;
import io.sluice.schema.model.Service;
import io.sluice.schema.model.ServicePort;
import io.sluice.store.image.ClusterImage;
import io.sluice.store.image.ImageDelta;
import io.sluice.testkit.netns.Lab;
import io.sluice.testkit.netns.Pod;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Benchmark 6: first-packet latency, the TCP connect time from a client pod on node 1 to a
 * Service VIP whose one endpoint is a server pod on node 2, through node 1's DNAT, with 0, 1k and
 * 10k other Services loaded. Measured with {@code curl -w %{time_connect}} (µs), one new
 * connection (one new conntrack entry, so one full walk of the NAT rules) per sample. The probe
 * Service sorts last ({@code zz-probe/web}), kube-proxy's worst case for iptables' linear
 * dispatch chain. Also: straight to the pod, without a VIP.
 */
public final class FirstPacket {
    private static final String VIP = "10.100.255.250";

    private FirstPacket() {
    }

    public static String run(Args a) throws Exception {
        boolean quick = a.flag("quick");
        int samples = a.integer("samples", quick ? 100 : 400);
        List<Integer> sizes = new ArrayList<>();
        for (String s : a.string("sizes", quick ? "0,1000,2000" : "0,1000,10000").split(",")) {
            sizes.add(Integer.parseInt(s.trim()));
        }
        List<String> modes = List.of(a.string("modes", "nftables,iptables").split(","));
        StringBuilder last = new StringBuilder();
        double nftSpread = Double.NaN;
        for (String mode : modes) {
            double spread = runMode(mode, sizes, samples, last);
            if (mode.equals("nftables")) {
                nftSpread = spread;
            }
        }
        return String.format(Locale.ROOT, "first-packet: %snftables %s (target flat within 20%%)", last,
                Double.isNaN(nftSpread) ? "not run" : nftSpread <= 20 ? "flat" : "NOT flat");
    }

    /**
     * One lab (two nodes, a client and a server pod) per size, all loaded at once, then sampled
     * round-robin (lab 1, lab 2, lab 3, lab 1, ...) so machine noise hits every size alike.
     */
    private static double runMode(String mode, List<Integer> sizes, int samples, StringBuilder last) throws Exception {
        List<Lab> labs = new ArrayList<>();
        List<Pod[]> pods = new ArrayList<>();
        List<RuleBackend> backends = new ArrayList<>();
        RuleRenderer renderer = mode.equals("nftables") ? new NftablesRenderer() : new IptablesRenderer();
        try {
            for (int i = 0; i < sizes.size(); i++) {
                Lab lab = Lab.build(Netns.PREFIX + "fp" + i);
                labs.add(lab);
                Pod server = lab.addPod(2, "server");
                Pod client = lab.addPod(1, "client");
                lab.nodeNamespaces().forEach(Netns::adopt);
                Netns.adopt(server.namespace());
                Netns.adopt(client.namespace());
                lab.startServer(server, SyntheticCluster.TARGET_PORT);
                pods.add(new Pod[] {client, server});
                RuleBackend backend = backend(mode, lab.nodeNamespace(1));
                backends.add(backend);
                long t0 = System.nanoTime();
                backend.apply(renderer.render(image(sizes.get(i), server), new NodeContext("node-1", List.of(lab.nodeIp(1)), null),
                        RenderOptions.defaults(Lab.CLUSTER_CIDR)));
                System.out.printf("%s: lab %d loaded with %d + 1 Services in %.1f s%n", mode, i, sizes.get(i),
                        (System.nanoTime() - t0) / 1e9);
            }
            List<Stats> bySize = new ArrayList<>();
            for (int n : sizes) {
                bySize.add(new Stats(mode + ", " + n + " Services"));
            }
            Stats direct = new Stats("direct to the pod (lab with " + sizes.get(0) + " Services)");
            for (int k = 0; k < samples + 10; k++) {
                for (int i = 0; i < sizes.size(); i++) {
                    long t = connect(pods.get(i)[0], VIP, SyntheticCluster.PORT);
                    if (k >= 10) {
                        bySize.get(i).add(t);
                    }
                }
                long d = connect(pods.get(0)[0], pods.get(0)[1].ip(), SyntheticCluster.TARGET_PORT);
                if (k >= 10) {
                    direct.add(d);
                }
            }
            System.out.println(direct.summary());
            bySize.forEach(s -> System.out.println(s.summary()));
            double min = bySize.stream().mapToDouble(Stats::medianMs).min().orElse(Double.NaN);
            double max = bySize.stream().mapToDouble(Stats::medianMs).max().orElse(Double.NaN);
            double spread = 100 * (max - min) / min;
            last.append(mode).append(" median/p99 us");
            for (int i = 0; i < sizes.size(); i++) {
                last.append(String.format(Locale.ROOT, " %s %.0f/%.0f", label(sizes.get(i)), us(bySize.get(i).medianMs()),
                        us(bySize.get(i).percentileMs(99))));
            }
            last.append(String.format(Locale.ROOT, " (medians spread %.0f%%; direct %.0f/%.0f); ", spread,
                    us(direct.medianMs()), us(direct.percentileMs(99))));
            return spread;
        } finally {
            for (RuleBackend b : backends) {
                try {
                    b.cleanup();
                } catch (Exception e) {
                    System.err.println("bench: cleanup of " + b.describe() + ": " + e.getMessage());
                }
            }
            labs.forEach(Lab::close);
        }
    }

    private static String label(int n) {
        return n >= 1000 ? (n / 1000) + "k" : Integer.toString(n);
    }

    private static double us(double ms) {
        return ms * 1000;
    }

    private static RuleBackend backend(String mode, String ns) {
        List<String> prefix = List.of("ip", "netns", "exec", ns);
        return switch (mode) {
            case "nftables" -> new NftablesBackend(Exec.system(), prefix, "nft", Duration.ofMinutes(5));
            case "iptables" -> new IptablesRestoreBackend(Exec.system(), prefix, "iptables-restore", Duration.ofMinutes(5));
            case "iptables-legacy" -> new IptablesRestoreBackend(Exec.system(), prefix, "iptables-legacy-restore",
                    Duration.ofMinutes(5));
            default -> throw new IllegalArgumentException("mode " + mode + " (nftables, iptables, iptables-legacy)");
        };
    }

    /** n synthetic Services plus the probe Service zz-probe/web → the server pod. */
    private static ClusterImage image(int n, Pod server) {
        ImageDelta d = new SyntheticCluster(n, 5, 3).image().delta();
        long seq = 2L * n;
        Instant at = Instant.now();
        Service probe = Service.builder("zz-probe", "web").clusterIP(VIP)
                .ports(ServicePort.tcp("http", SyntheticCluster.PORT, SyntheticCluster.TARGET_PORT)).build();
        EndpointSlice slice = new EndpointSlice("zz-probe", "web-1", "web", null,
                List.of(EndpointPort.tcp("http", SyntheticCluster.TARGET_PORT)), List.of(Endpoint.ready(server.ip(), "node-2")));
        d.replay(ChangeEvent.upsert(SyntheticCluster.CLUSTER, ++seq, probe, at, "1"));
        d.replay(ChangeEvent.upsert(SyntheticCluster.CLUSTER, ++seq, slice, at, "1"));
        return d.apply();
    }

    private static long connect(Pod client, String ip, int port) {
        String url = "http://" + ip + ":" + port + "/";
        Exec.Result r = Timed.output(Netns.in(client.namespace(), "curl", "-s", "-o", "/dev/null", "--connect-timeout", "2",
                "-m", "3", "-w", "%{time_connect}", url), Duration.ofSeconds(10));
        double secs = Double.parseDouble(r.stdout().trim());
        if (secs <= 0) {
            throw new IllegalStateException("no connection to " + url + " from " + client.namespace());
        }
        return (long) (secs * 1e9);
    }
}
