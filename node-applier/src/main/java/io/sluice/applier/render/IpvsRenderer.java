package io.sluice.applier.render;

import io.sluice.applier.render.IpvsNames.Ipset;
import io.sluice.applier.render.IpvsTable.RealServer;
import io.sluice.applier.render.IpvsTable.VirtualServer;
import io.sluice.schema.model.IpFamily;
import io.sluice.store.image.ClusterImage;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * Renders kube-proxy's IPVS mode (pkg/proxy/ipvs/proxier.go, syncProxyRules) for one IP family:
 * a virtual server per cluster IP, external IP, load-balancer IP and node IP (NodePort) of every
 * Service port, with the endpoints as masqueraded real servers; kube-proxy's ipsets; the few
 * iptables rules that match those sets; the addresses to bind to the dummy interface. The result
 * is one text ({@link IpvsParts}, readable with {@link #parts(RuleSet)}). See node-applier/IPVS.md.
 *
 * <p>Which endpoints a virtual server gets is kube-proxy's {@code syncEndpoint}: the cluster
 * endpoints ({@link EndpointSelection#categorize}, topology and terminating fallback applied), or
 * for a Local policy the local ones, falling back to the cluster ones when there are none (so pods
 * can still reach the Service; external clients are not masqueraded then and get no answer).
 * Endpoints that are terminating but not chosen stay as real servers of weight 0: IPVS keeps their
 * established connections and sends them no new ones, which is what kube-proxy's graceful
 * termination does with a removed endpoint until its connections end.
 *
 * <p>Pure and deterministic: the same image, node and options always give the same text.
 */
public final class IpvsRenderer implements RuleRenderer {
    public static final String MODE = "ipvs";
    private final IpvsOptions ipvs;

    public IpvsRenderer() {
        this(IpvsOptions.defaults());
    }

    public IpvsRenderer(IpvsOptions ipvs) {
        this.ipvs = Objects.requireNonNull(ipvs, "ipvs");
    }

    /** The parts of a rule set this renderer produced: ipvsadm, ipset and iptables input, bound addresses. */
    public static IpvsParts parts(RuleSet rules) {
        return IpvsParts.of(rules);
    }

    @Override
    public RuleSet render(ClusterImage image, NodeContext node, RenderOptions options) {
        Sync s = new Sync(node, options);
        Set<String> services = new HashSet<>();
        for (ResolvedServicePort sp : ServicePortResolver.resolve(image, options.family())) {
            services.add(sp.name().namespace() + "/" + sp.name().name());
            s.servicePort(sp, EndpointSelection.categorize(sp, node));
        }
        IpvsTable table = s.table.build();
        IpsetContent sets = s.sets();
        IpvsIptables.Tables tables = IpvsIptables.build(options.family(), sets, s.drops, options.clusterCidr(),
                options.masqueradeAll(), options.masqueradeMark());
        IpvsParts parts = new IpvsParts(options.family(), table.render(), sets.render(),
                IpvsIptables.withJumps(tables.render()), List.copyOf(s.bound));
        return new RuleSet(MODE, parts.toText(), tables.chains(), services.size(), table.realServerCount());
    }

    /** The state of one rendering, filled Service port by Service port (kube-proxy's loop body). */
    private final class Sync {
        final IpvsTable.Builder table = IpvsTable.builder();
        final Map<Ipset, Set<String>> members = new EnumMap<>(Ipset.class);
        final Set<String> bound = new LinkedHashSet<>();
        final List<IpvsIptables.NodeAccessDrop> drops = new ArrayList<>();
        final NodeContext node;
        final IpFamily family;
        final List<String> nodeIps;
        final List<String> nodePortIps;

        Sync(NodeContext node, RenderOptions options) {
            this.node = node;
            this.family = options.family();
            this.nodeIps = node.ipsOf(family).stream().map(IpvsAddresses::canonical).toList();
            List<String> np = options.nodePortsOnAllAddresses() ? node.ipsOf(family) : options.nodePortIPs(node);
            this.nodePortIps = np.stream().filter(ip -> !IpvsAddresses.isLoopback(ip) && !isLinkLocal6(ip))
                    .map(IpvsAddresses::canonical).distinct().toList();
            for (Ipset set : Ipset.values()) {
                members.put(set, new TreeSet<>());
            }
        }

        void servicePort(ResolvedServicePort sp, EndpointSelection.Categorized eps) {
            String proto = sp.protocolName();
            for (EndpointTarget e : sp.endpoints()) {
                if (e.isLocal(node.nodeName())) { // hairpin: a pod reaching itself through a VIP is masqueraded
                    String ip = IpvsAddresses.canonical(e.ip());
                    members.get(Ipset.LOOP_BACK).add(ip + "," + proto + ":" + e.port() + "," + ip);
                }
            }
            String vip = IpvsAddresses.canonical(sp.clusterIP());
            members.get(Ipset.CLUSTER_IP).add(ipPort(vip, proto, sp.port()));
            virtualServer(sp, eps, vip, sp.port(), "cluster IP", sp.internalPolicyLocal(), true);
            for (String raw : sp.externalIPs()) {
                String ip = IpvsAddresses.canonical(raw);
                members.get(sp.externalPolicyLocal() ? Ipset.EXTERNAL_IP_LOCAL : Ipset.EXTERNAL_IP)
                        .add(ipPort(ip, proto, sp.port()));
                virtualServer(sp, eps, ip, sp.port(), "external IP", sp.externalPolicyLocal(), !nodeIps.contains(ip));
            }
            for (String raw : sp.loadBalancerIPs()) {
                String ip = IpvsAddresses.canonical(raw);
                loadBalancerSets(sp, ip, proto);
                virtualServer(sp, eps, ip, sp.port(), "loadbalancer IP", sp.externalPolicyLocal(), !nodeIps.contains(ip));
            }
            if (sp.nodePort() != 0 && !nodePortIps.isEmpty()) {
                nodePortSets(sp, proto);
                for (String ip : nodePortIps) {
                    virtualServer(sp, eps, ip, sp.nodePort(), "nodePort", sp.externalPolicyLocal(), false);
                }
            }
            if (sp.healthCheckNodePort() != 0) {
                members.get(Ipset.HEALTH_CHECK_NODE_PORT).add(Integer.toString(sp.healthCheckNodePort()));
            }
        }

        /**
         * The LB sets; with source ranges the firewall sets too, and either the node itself is
         * allowed (a range holds its primary IP: requests from the node carry the LB IP as source)
         * or its requests to the LB IP are dropped (kubernetes/kubernetes#119656).
         */
        private void loadBalancerSets(ResolvedServicePort sp, String ip, String proto) {
            String entry = ipPort(ip, proto, sp.port());
            members.get(Ipset.LOAD_BALANCER).add(entry);
            if (sp.externalPolicyLocal()) {
                members.get(Ipset.LOAD_BALANCER_LOCAL).add(entry);
            }
            if (sp.loadBalancerSourceRanges().isEmpty()) {
                return;
            }
            members.get(Ipset.LOAD_BALANCER_FW).add(entry);
            boolean allowFromNode = false;
            for (String cidr : sp.loadBalancerSourceRanges()) {
                members.get(Ipset.LOAD_BALANCER_SOURCE_CIDR).add(entry + "," + IpvsAddresses.canonicalNet(cidr));
                allowFromNode |= !nodeIps.isEmpty() && IpvsAddresses.contains(cidr, nodeIps.get(0));
            }
            if (allowFromNode) {
                members.get(Ipset.LOAD_BALANCER_SOURCE_IP).add(entry + "," + ip);
            } else {
                drops.add(new IpvsIptables.NodeAccessDrop(ip, proto, sp.port()));
            }
        }

        /** TCP and UDP NodePorts are bitmap:port members; SCTP ones are node-IP:port pairs. */
        private void nodePortSets(ResolvedServicePort sp, String proto) {
            Ipset all = switch (proto) {
                case "tcp" -> Ipset.NODE_PORT_TCP;
                case "udp" -> Ipset.NODE_PORT_UDP;
                default -> Ipset.NODE_PORT_SCTP;
            };
            Ipset local = switch (proto) {
                case "tcp" -> Ipset.NODE_PORT_LOCAL_TCP;
                case "udp" -> Ipset.NODE_PORT_LOCAL_UDP;
                default -> Ipset.NODE_PORT_LOCAL_SCTP;
            };
            List<String> entries = all == Ipset.NODE_PORT_SCTP
                    ? nodePortIps.stream().map(ip -> ipPort(ip, proto, sp.nodePort())).toList()
                    : List.of(Integer.toString(sp.nodePort()));
            members.get(all).addAll(entries);
            if (sp.externalPolicyLocal()) {
                members.get(local).addAll(entries);
            }
        }

        /**
         * One virtual server and its real servers. A virtual server an earlier Service port
         * already claimed (two Services with one external IP and port) keeps the first.
         */
        private void virtualServer(ResolvedServicePort sp, EndpointSelection.Categorized eps, String ip, int port,
                String what, boolean onlyLocal, boolean bind) {
            VirtualServer vs = VirtualServer.of(sp.protocolName(), ip, port, ipvs.scheduler(),
                    sp.sessionAffinityClientIP() ? sp.stickyMaxAgeSeconds() : 0, ipvs.schedulerFlags());
            if (table.contains(vs)) {
                return;
            }
            table.add(vs, sp.name() + " " + what);
            if (bind) {
                bound.add(ip);
            }
            boolean localChosen = onlyLocal && !eps.local().isEmpty();
            List<EndpointTarget> chosen = localChosen ? eps.local() : eps.cluster();
            for (EndpointTarget e : sp.endpoints()) {
                if (chosen.contains(e)) {
                    table.add(vs, RealServer.masquerade(e.ip(), e.port(), 1));
                } else if (e.terminating() && (!localChosen || e.isLocal(node.nodeName()))) {
                    table.add(vs, RealServer.masquerade(e.ip(), e.port(), 0));
                }
            }
        }

        IpsetContent sets() {
            members.get(Ipset.IPVS_IPS).addAll(bound);
            IpsetContent.Builder b = IpsetContent.builder();
            for (Ipset set : Ipset.values()) {
                b.declare(set.createLine(family));
                members.get(set).forEach(e -> b.add(set.name(family), e));
            }
            return b.build();
        }
    }

    private static String ipPort(String ip, String proto, int port) {
        return ip + "," + proto + ":" + port;
    }

    /** fe80::/10: kube-proxy never programs NodePorts on IPv6 link-local addresses. */
    private static boolean isLinkLocal6(String ip) {
        return IpvsAddresses.isFamily(ip, IpFamily.IPV6) && IpvsAddresses.contains("fe80::/10", ip);
    }
}
