package io.sluice.applier.render;

import io.sluice.schema.model.Protocol;
import io.sluice.schema.model.Service;
import io.sluice.store.image.ClusterImage;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Which conntrack entries a sync makes stale, from the images before and after it: kube-proxy's
 * conntrack cleanup for UDP (pkg/proxy/conntrack/cleanup.go, endpointschangetracker's stale
 * detection). UDP has no connection end, so an entry DNATed to an endpoint that is gone keeps
 * sending a client's datagrams into the void until it times out; and an entry made while a
 * Service had no endpoints (REJECT, no DNAT) keeps bypassing the new DNAT rules. Pure; the
 * applier runs the result through a {@code ConntrackCleaner} after a successful apply of the new
 * rules (never before: until then, the old rules would recreate the entries).
 *
 * <ul>
 *   <li><b>endpoint gone</b>: an endpoint of a UDP port that was serving and is now absent or not
 *       serving: entries to each of the port's addresses (cluster IP, external IPs, LB IPs) and
 *       port whose reply comes from that endpoint, and entries to the NodePort from it;</li>
 *   <li><b>newly active</b>: a UDP port that had no endpoint this node could reach and now has one:
 *       every entry to its addresses and port, and to its NodePort;</li>
 *   <li><b>port gone</b>: a UDP port removed (or its cluster IP changed): entries to its old cluster IP and port.</li>
 * </ul>
 */
public final class StaleConntrack {
    private StaleConntrack() {
    }

    /** The deletions for {@code options.family()} on {@code node}, sorted, without duplicates. */
    public static List<ConntrackDeletion> between(ClusterImage before, ClusterImage after, NodeContext node,
            RenderOptions options) {
        Map<String, ResolvedServicePort> old = udpPorts(before, options);
        Map<String, ResolvedServicePort> now = udpPorts(after, options);
        Set<ConntrackDeletion> out = new TreeSet<>();
        for (ResolvedServicePort o : old.values()) {
            ResolvedServicePort n = now.get(key(o));
            ResolvedServicePort addressing = n != null ? n : o;
            for (EndpointTarget ep : o.endpoints()) {
                if (ep.serving() && (n == null || !stillServing(n, ep))) {
                    String why = o.name() + " endpoint " + ep + " no longer serving";
                    for (String ip : addresses(addressing)) {
                        out.add(deletion(o, ip, addressing.port(), ep.ip(), why));
                    }
                    if (addressing.nodePort() != 0) {
                        out.add(deletion(o, null, addressing.nodePort(), ep.ip(), why));
                    }
                }
            }
            if (n == null || !n.clusterIP().equals(o.clusterIP())) {
                out.add(deletion(o, o.clusterIP(), o.port(), null, o.name() + " cluster IP " + o.clusterIP() + " removed"));
            }
        }
        for (ResolvedServicePort n : now.values()) {
            ResolvedServicePort o = old.get(key(n));
            boolean wasReachable = o != null && !EndpointSelection.categorize(o, node).allReachable().isEmpty();
            if (!wasReachable && !EndpointSelection.categorize(n, node).allReachable().isEmpty()) {
                String why = n.name() + " has endpoints again";
                for (String ip : addresses(n)) {
                    out.add(deletion(n, ip, n.port(), null, why));
                }
                if (n.nodePort() != 0) {
                    out.add(deletion(n, null, n.nodePort(), null, why));
                }
            }
        }
        return List.copyOf(out);
    }

    /**
     * The UDP ports of the image. Runs twice after every sync, so only Services with a UDP port
     * are resolved: the cost follows their number, not the cluster's.
     */
    private static Map<String, ResolvedServicePort> udpPorts(ClusterImage image, RenderOptions options) {
        Map<String, ResolvedServicePort> out = new LinkedHashMap<>();
        for (Service svc : image.services()) {
            if (svc.ports().stream().noneMatch(p -> p.protocol() == Protocol.UDP)) {
                continue;
            }
            for (ResolvedServicePort p : ServicePortResolver.resolveService(image, svc.key(), options.family())) {
                if (p.protocol() == Protocol.UDP) {
                    out.put(key(p), p);
                }
            }
        }
        return out;
    }

    private static String key(ResolvedServicePort p) {
        return p.name() + "/" + p.protocolName();
    }

    private static boolean stillServing(ResolvedServicePort now, EndpointTarget ep) {
        return now.endpoints().stream().anyMatch(e -> e.toString().equals(ep.toString()) && e.serving());
    }

    private static List<String> addresses(ResolvedServicePort p) {
        List<String> ips = new ArrayList<>();
        ips.add(p.clusterIP());
        ips.addAll(p.externalIPs());
        ips.addAll(p.loadBalancerIPs());
        return ips;
    }

    private static ConntrackDeletion deletion(ResolvedServicePort p, String dst, int port, String replySrc, String why) {
        return new ConntrackDeletion(p.family(), p.protocol(), dst, port, replySrc, why);
    }
}
