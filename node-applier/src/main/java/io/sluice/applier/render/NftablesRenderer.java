package io.sluice.applier.render;

import static io.sluice.applier.render.NftablesChainNames.CLUSTER_IPS;
import static io.sluice.applier.render.NftablesChainNames.CLUSTER_IPS_CHECK;
import static io.sluice.applier.render.NftablesChainNames.FILTER_FORWARD;
import static io.sluice.applier.render.NftablesChainNames.FILTER_INPUT;
import static io.sluice.applier.render.NftablesChainNames.FILTER_OUTPUT;
import static io.sluice.applier.render.NftablesChainNames.FILTER_OUTPUT_PRE_DNAT;
import static io.sluice.applier.render.NftablesChainNames.FILTER_PREROUTING_PRE_DNAT;
import static io.sluice.applier.render.NftablesChainNames.FIREWALL_CHECK;
import static io.sluice.applier.render.NftablesChainNames.FIREWALL_IPS;
import static io.sluice.applier.render.NftablesChainNames.MARK_MASQ;
import static io.sluice.applier.render.NftablesChainNames.MASQUERADING;
import static io.sluice.applier.render.NftablesChainNames.NAT_OUTPUT;
import static io.sluice.applier.render.NftablesChainNames.NAT_POSTROUTING;
import static io.sluice.applier.render.NftablesChainNames.NAT_PREROUTING;
import static io.sluice.applier.render.NftablesChainNames.NODEPORT_ENDPOINTS_CHECK;
import static io.sluice.applier.render.NftablesChainNames.NODEPORT_IPS;
import static io.sluice.applier.render.NftablesChainNames.NO_ENDPOINT_NODEPORTS;
import static io.sluice.applier.render.NftablesChainNames.NO_ENDPOINT_SERVICES;
import static io.sluice.applier.render.NftablesChainNames.REJECT_CHAIN;
import static io.sluice.applier.render.NftablesChainNames.SERVICES;
import static io.sluice.applier.render.NftablesChainNames.SERVICE_ENDPOINTS_CHECK;
import static io.sluice.applier.render.NftablesChainNames.SERVICE_IPS;
import static io.sluice.applier.render.NftablesChainNames.SERVICE_NODEPORTS;

import io.sluice.applier.render.nft.NftTable;
import io.sluice.applier.render.nft.NftTableModel;
import io.sluice.schema.model.IpFamily;
import io.sluice.schema.model.ObjectKey;
import io.sluice.store.image.ClusterImage;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Renders kube-proxy's nftables mode (pkg/proxy/nftables/proxier.go) into one table per IP family,
 * {@code ip sluice} or {@code ip6 sluice}. Service dispatch is a lookup in verdict maps keyed by
 * {@code daddr . meta l4proto . th dport} (cluster, external and load-balancer IPs) and
 * {@code meta l4proto . th dport} (NodePorts), so the first packet's cost does not grow with the
 * number of Services. Per Service port: a policy chain picking an endpoint with
 * {@code numgen random mod N vmap}, one chain per endpoint that DNATs, an external chain for
 * NodePort/external/LB traffic, a firewall chain for loadBalancerSourceRanges and affinity sets
 * with timeouts for ClientIP affinity. Which endpoints get traffic (ready, terminating fallback,
 * traffic policies, topology) is {@link EndpointSelection}'s decision, shared with the iptables
 * renderer. Masquerading goes through a mark, as in kube-proxy; Services without endpoints are
 * rejected (or dropped, where kube-proxy drops) through the {@code no-endpoint-*} maps.
 *
 * <p>The output is valid {@code nft -f} input on a node without the table (see
 * {@link NftTable#toText()} for its canonical order); node-applier/NFTABLES.md shows the layout.
 * Pure and deterministic.
 */
public final class NftablesRenderer implements RuleRenderer {
    public static final String MODE = "nftables";
    /** The table name, in both families. */
    public static final String TABLE = "sluice";
    static final String TABLE_COMMENT = "rules for sluice";
    private final List<IpFamily> families;

    /** Renders the family of the options only: one table. */
    public NftablesRenderer() {
        this.families = List.of();
    }

    private NftablesRenderer(List<IpFamily> families) {
        this.families = List.copyOf(families);
    }

    /** Renders both families into one rule set ({@code ip sluice} then {@code ip6 sluice}): one transaction per sync. */
    public static NftablesRenderer dualStack() {
        return new NftablesRenderer(List.of(IpFamily.IPV4, IpFamily.IPV6));
    }

    @Override
    public RuleSet render(ClusterImage image, NodeContext node, RenderOptions options) {
        return render(image, node, options, null, Set.of());
    }

    /**
     * Renders only the Services in {@code changedServices} when {@code previous} is a rule set this
     * renderer made for the same node, options and families, sharing every other Service's chains
     * and elements with it ({@link NftablesModel}); otherwise renders everything. Either way the
     * result equals a full render of {@code image}, provided {@code changedServices} names every
     * Service whose objects (Service or EndpointSlices) differ between {@code previous}'s image and
     * this one. The text is written only when asked for.
     */
    @Override
    public RuleSet render(ClusterImage image, NodeContext node, RenderOptions options, RuleSet previous,
            Set<ObjectKey> changedServices) {
        List<IpFamily> fs = families.isEmpty() ? List.of(options.family()) : families;
        NftablesModel before = previous == null ? null
                : previous.structure(NftablesModel.class).filter(m -> m.renderedFor(node, options, fs)).orElse(null);
        NftablesModel model;
        if (before == null) {
            List<NftTable> bases = new ArrayList<>();
            List<Map<NftablesModel.PortKey, NftTableModel.Fragment>> fragments = new ArrayList<>();
            for (IpFamily f : fs) {
                RenderOptions o = options.withFamily(f);
                bases.add(base(node, o));
                fragments.add(fragments(ServicePortResolver.resolve(image, f), node, o));
            }
            model = NftablesModel.of(node, options, fs, bases, fragments);
        } else {
            List<Map<NftablesModel.PortKey, NftTableModel.Fragment>> fragments = new ArrayList<>();
            for (IpFamily f : fs) {
                List<ResolvedServicePort> ports = new ArrayList<>();
                for (ObjectKey service : changedServices) {
                    ports.addAll(ServicePortResolver.resolveService(image, service, f));
                }
                fragments.add(fragments(ports, node, options.withFamily(f)));
            }
            model = before.with(changedServices, fragments);
        }
        NftablesModel m = model;
        return RuleSet.structured(MODE, m, m::text, m::qualifiedChains, m.serviceCount(), m.endpointCount());
    }

    /** The node-wide part of one family's table. */
    private static NftTable base(NodeContext node, RenderOptions options) {
        Syntax x = new Syntax(options.family());
        NftTable.Builder t = NftTable.builder(x.family, TABLE, "{ comment \"" + TABLE_COMMENT + "\" ; }");
        writeBase(t, x, node, options);
        return t.build();
    }

    /** One fragment per Service port: its chains, its sets, its elements in the table's maps and sets. */
    private static Map<NftablesModel.PortKey, NftTableModel.Fragment> fragments(List<ResolvedServicePort> ports,
            NodeContext node, RenderOptions options) {
        Syntax x = new Syntax(options.family());
        Map<NftablesModel.PortKey, NftTableModel.Fragment> out = new LinkedHashMap<>();
        for (ResolvedServicePort sp : ports) {
            NftTableModel.FragmentBuilder t = NftTableModel.fragmentBuilder();
            Plan p = Plan.of(sp, EndpointSelection.categorize(sp, node));
            declareServiceChains(t, p); // before anything names them
            writeMapElements(t, p);
            writeServiceChains(t, x, p, node, options);
            out.put(new NftablesModel.PortKey(sp.name(), sp.protocol()), t.build());
        }
        return out;
    }

    /** What differs between the families: match keywords, address type, loopback. */
    private record Syntax(String family, String ip, String addrType, String noLocalhost) {
        Syntax(IpFamily f) {
            this(f == IpFamily.IPV4 ? "ip" : "ip6", f == IpFamily.IPV4 ? "ip" : "ip6",
                    f == IpFamily.IPV4 ? "ipv4_addr" : "ipv6_addr",
                    f == IpFamily.IPV4 ? "ip daddr != 127.0.0.0/8" : "ip6 daddr != ::1");
        }
    }

    /** The chains, sets and maps every table has, whatever the Services (kube-proxy's setupNFTables). */
    private static void writeBase(NftTable.Builder t, Syntax x, NodeContext node, RenderOptions options) {
        String dispatchKey = x.addrType + " . inet_proto . inet_service : verdict";
        t.set(CLUSTER_IPS, "{ type " + x.addrType + " ; comment \"Active ClusterIPs\" ; }");
        t.map(SERVICE_IPS, "{ type " + dispatchKey + " ; comment \"ClusterIP, ExternalIP and LoadBalancer IP traffic\" ; }");
        t.map(SERVICE_NODEPORTS, "{ type inet_proto . inet_service : verdict ; comment \"NodePort traffic\" ; }");
        t.map(NO_ENDPOINT_SERVICES, "{ type " + dispatchKey
                + " ; comment \"vmap to drop or reject packets to services with no endpoints\" ; }");
        t.map(NO_ENDPOINT_NODEPORTS, "{ type inet_proto . inet_service : verdict"
                + " ; comment \"vmap to drop or reject packets to service nodeports with no endpoints\" ; }");
        t.map(FIREWALL_IPS, "{ type " + dispatchKey
                + " ; comment \"destinations that are subject to LoadBalancerSourceRanges\" ; }");

        // Filtering sees pre-DNAT addresses where it must (source ranges), post-DNAT ones elsewhere.
        t.chain(FILTER_PREROUTING_PRE_DNAT, baseChain("filter", "prerouting", -110));
        t.chain(FILTER_OUTPUT_PRE_DNAT, baseChain("filter", "output", -110));
        t.chain(FILTER_FORWARD, baseChain("filter", "forward", 0));
        t.chain(FILTER_INPUT, baseChain("filter", "input", 0));
        t.chain(FILTER_OUTPUT, baseChain("filter", "output", 0));
        t.chain(NAT_PREROUTING, baseChain("nat", "prerouting", -100));
        t.chain(NAT_OUTPUT, baseChain("nat", "output", -100));
        t.chain(NAT_POSTROUTING, baseChain("nat", "postrouting", 100));
        for (String c : List.of(SERVICES, SERVICE_ENDPOINTS_CHECK, NODEPORT_ENDPOINTS_CHECK, CLUSTER_IPS_CHECK,
                FIREWALL_CHECK, MARK_MASQ, MASQUERADING)) {
            t.chain(c);
        }
        t.chain(REJECT_CHAIN, "{ comment \"helper for @no-endpoint-services / @no-endpoint-nodeports\" ; }");

        // Jumps from the base chains (kube-proxy's nftablesJumpChains, in its order).
        t.rule(FILTER_INPUT, "ct state new jump " + NODEPORT_ENDPOINTS_CHECK);
        t.rule(FILTER_INPUT, "ct state new jump " + SERVICE_ENDPOINTS_CHECK);
        t.rule(FILTER_FORWARD, "ct state new jump " + SERVICE_ENDPOINTS_CHECK);
        t.rule(FILTER_OUTPUT, "ct state new jump " + SERVICE_ENDPOINTS_CHECK);
        t.rule(FILTER_PREROUTING_PRE_DNAT, "ct state new jump " + FIREWALL_CHECK);
        t.rule(FILTER_OUTPUT_PRE_DNAT, "ct state new jump " + FIREWALL_CHECK);
        t.rule(NAT_OUTPUT, "jump " + SERVICES);
        t.rule(NAT_PREROUTING, "jump " + SERVICES);
        t.rule(NAT_POSTROUTING, "jump " + MASQUERADING);
        t.rule(FILTER_FORWARD, "ct state new jump " + CLUSTER_IPS_CHECK);
        t.rule(FILTER_OUTPUT, "ct state new jump " + CLUSTER_IPS_CHECK);

        String mark = options.masqueradeMark();
        t.rule(MARK_MASQ, "mark set mark or " + mark);
        t.rule(MASQUERADING, "mark and " + mark + " == 0 return");
        t.rule(MASQUERADING, "mark set mark xor " + mark); // so a re-routed packet is not masqueraded twice
        t.rule(MASQUERADING, "masquerade fully-random");
        t.rule(REJECT_CHAIN, "reject");
        // A cluster IP still the destination after DNAT had no such port (unallocated cluster IPs
        // would need the Service CIDRs, which Sluice is not given: kube-proxy drops those).
        t.rule(CLUSTER_IPS_CHECK, x.ip + " daddr @" + CLUSTER_IPS + " reject comment \"Reject traffic to invalid ports of ClusterIPs\"");
        t.rule(FIREWALL_CHECK, x.ip + " daddr . meta l4proto . th dport vmap @" + FIREWALL_IPS);
        t.rule(SERVICES, x.ip + " daddr . meta l4proto . th dport vmap @" + SERVICE_IPS);
        t.rule(SERVICE_ENDPOINTS_CHECK, x.ip + " daddr . meta l4proto . th dport vmap @" + NO_ENDPOINT_SERVICES);
        if (options.nodePortsOnAllAddresses()) {
            t.rule(SERVICES, "fib daddr type local " + x.noLocalhost + " meta l4proto . th dport vmap @" + SERVICE_NODEPORTS);
            t.rule(NODEPORT_ENDPOINTS_CHECK, x.noLocalhost + " meta l4proto . th dport vmap @" + NO_ENDPOINT_NODEPORTS);
        } else {
            t.set(NODEPORT_IPS, "{ type " + x.addrType + " ; comment \"IPs that accept NodePort traffic\" ; }");
            for (String ip : options.nodePortIPs(node)) {
                if (!IpAddresses.contains("127.0.0.0/8", ip) && !ip.equals("::1")) { // localhost NodePorts are unsupported
                    t.element(NODEPORT_IPS, ip, null, null);
                }
            }
            t.rule(SERVICES, x.ip + " daddr @" + NODEPORT_IPS + " meta l4proto . th dport vmap @" + SERVICE_NODEPORTS);
            t.rule(NODEPORT_ENDPOINTS_CHECK, x.ip + " daddr @" + NODEPORT_IPS
                    + " meta l4proto . th dport vmap @" + NO_ENDPOINT_NODEPORTS);
        }
    }

    private static String baseChain(String type, String hook, int priority) {
        return "{ type " + type + " hook " + hook + " priority " + priority + " ; }";
    }

    /**
     * The decisions kube-proxy's syncProxyRules makes per Service port, named as there.
     *
     * @param internalChain       where cluster-IP traffic goes ({@code service-}, or {@code local-} with iTP Local)
     * @param externalPolicyChain where the external chain ends ({@code service-}, or {@code local-} with eTP Local)
     */
    private record Plan(ResolvedServicePort sp, EndpointSelection.Categorized eps, String svc, String local,
            String ext, String fw, boolean usesClusterChain, boolean usesLocalChain, String internalChain,
            boolean hasInternal, String externalPolicyChain, boolean hasExternal, boolean usesExtChain,
            boolean usesFwChain, Map<EndpointTarget, String> endpointBases) {

        static Plan of(ResolvedServicePort sp, EndpointSelection.Categorized eps) {
            String p = sp.protocolName();
            String svc = NftablesChainNames.serviceChain(sp.name(), p);
            String local = NftablesChainNames.localChain(sp.name(), p);
            boolean any = eps.hasAnyEndpoints();
            boolean noLocal = eps.local().isEmpty();
            Map<EndpointTarget, String> bases = new HashMap<>(); // each name hashed once
            eps.allReachable().forEach(ep -> bases.put(ep, NftablesChainNames.endpointBase(sp.name(), p, ep)));
            return new Plan(sp, eps, svc, local,
                    NftablesChainNames.externalChain(sp.name(), p),
                    NftablesChainNames.firewallChain(sp.name(), p),
                    !eps.cluster().isEmpty() && sp.usesClusterEndpoints(),
                    !noLocal && sp.usesLocalEndpoints(),
                    sp.internalPolicyLocal() ? local : svc,
                    any && !(sp.internalPolicyLocal() && noLocal),
                    sp.externalPolicyLocal() ? local : svc,
                    any && !(sp.externalPolicyLocal() && noLocal),
                    any && sp.externallyAccessible(),
                    sp.hasFirewall(),
                    bases);
        }

        String name() {
            return sp.name().toString();
        }

        /** {@code ip . proto . port}: the key of the address maps. */
        String key(String ip) {
            return ip + " . " + sp.protocolName() + " . " + sp.port();
        }

        String nodePortKey() {
            return sp.protocolName() + " . " + sp.nodePort();
        }

        /** No endpoints at all: reject. Endpoints, but none for this kind of traffic (policy Local): drop. */
        String filterVerdict() {
            return eps.hasAnyEndpoints() ? "drop" : "goto " + REJECT_CHAIN;
        }

        String endpointChain(EndpointTarget ep) {
            return NftablesChainNames.ENDPOINT_PREFIX + endpointBases.get(ep);
        }

        String affinitySet(EndpointTarget ep) {
            return NftablesChainNames.AFFINITY_PREFIX + endpointBases.get(ep);
        }
    }

    /** Dispatch: cluster IP, external IPs, LB IPs and the NodePort in the verdict maps. */
    private static void writeMapElements(NftTableModel.FragmentBuilder t, Plan p) {
        ResolvedServicePort sp = p.sp();
        boolean any = p.eps().hasAnyEndpoints();
        t.element(CLUSTER_IPS, sp.clusterIP(), null, null);
        if (p.hasInternal()) {
            t.element(SERVICE_IPS, p.key(sp.clusterIP()), null, "goto " + p.internalChain());
        } else {
            t.element(NO_ENDPOINT_SERVICES, p.key(sp.clusterIP()), p.name(), p.filterVerdict());
        }
        for (String ip : sp.externalIPs()) {
            if (any) {
                t.element(SERVICE_IPS, p.key(ip), null, "goto " + p.ext());
            }
            if (!p.hasExternal()) {
                t.element(NO_ENDPOINT_SERVICES, p.key(ip), p.name(), p.filterVerdict());
            }
        }
        for (String ip : sp.loadBalancerIPs()) {
            if (any) {
                t.element(SERVICE_IPS, p.key(ip), null, "goto " + p.ext());
            }
            if (p.usesFwChain()) {
                t.element(FIREWALL_IPS, p.key(ip), null, "goto " + p.fw());
            }
            if (!p.hasExternal()) {
                t.element(NO_ENDPOINT_SERVICES, p.key(ip), p.name(), p.filterVerdict());
            }
        }
        if (sp.nodePort() != 0) {
            // NodePorts are not subject to loadBalancerSourceRanges (kube-proxy cannot change that either).
            if (any) {
                t.element(SERVICE_NODEPORTS, p.nodePortKey(), null, "goto " + p.ext());
            }
            if (!p.hasExternal()) {
                t.element(NO_ENDPOINT_NODEPORTS, p.nodePortKey(), p.name(), p.filterVerdict());
            }
        }
    }

    private static void declareServiceChains(NftTableModel.FragmentBuilder t, Plan p) {
        if (p.usesClusterChain()) {
            t.chain(p.svc());
        }
        if (p.usesLocalChain()) {
            t.chain(p.local());
        }
        if (p.usesExtChain()) {
            t.chain(p.ext());
        }
        if (p.usesFwChain()) {
            t.chain(p.fw());
        }
        for (EndpointTarget ep : p.eps().allReachable()) {
            t.chain(p.endpointChain(ep));
        }
    }

    private static void writeServiceChains(NftTableModel.FragmentBuilder t, Syntax x, Plan p, NodeContext node, RenderOptions options) {
        writeInternalMasquerade(t, x, p, options);
        writeExternalChain(t, x, p, options);
        writeFirewallChain(t, x, p, node, options);
        writeAffinitySets(t, x, p);
        if (p.usesClusterChain()) {
            writeServiceToEndpointRules(t, x, p, p.svc(), p.eps().cluster());
        }
        if (p.usesLocalChain()) {
            writeServiceToEndpointRules(t, x, p, p.local(), p.eps().local());
        }
        writeEndpointChains(t, x, p);
    }

    /** Off-cluster traffic to the cluster IP is masqueraded: it may be bridged to another node. */
    private static void writeInternalMasquerade(NftTableModel.FragmentBuilder t, Syntax x, Plan p, RenderOptions options) {
        if (!p.hasInternal()) {
            return;
        }
        String daddr = x.ip + " daddr " + p.sp().clusterIP();
        if (options.masqueradeAll()) {
            t.rule(p.internalChain(), daddr + " jump " + MARK_MASQ);
        } else if (options.localDetectorCidr().isPresent()) {
            t.rule(p.internalChain(), daddr + " " + x.ip + " saddr != " + options.localDetectorCidr().get()
                    + " jump " + MARK_MASQ);
        }
    }

    /**
     * {@code external-…}: NodePort, external-IP and LB traffic. Cluster policy: masquerade, then the
     * service chain. Local policy: pods and the node itself short-circuit to the service chain (as
     * if they had gone out to a load balancer and back); everything else keeps its source address
     * and goes to local endpoints only.
     */
    private static void writeExternalChain(NftTableModel.FragmentBuilder t, Syntax x, Plan p, RenderOptions options) {
        if (!p.usesExtChain()) {
            return;
        }
        String ext = p.ext();
        if (!p.sp().externalPolicyLocal()) {
            t.rule(ext, "jump " + MARK_MASQ);
        } else {
            options.localDetectorCidr().ifPresent(cidr -> t.rule(ext,
                    x.ip + " saddr " + cidr + " goto " + p.svc() + " comment \"short-circuit pod traffic\""));
            t.rule(ext, "fib saddr type local jump " + MARK_MASQ + " comment \"masquerade local traffic\"");
            t.rule(ext, "fib saddr type local goto " + p.svc() + " comment \"short-circuit local traffic\"");
        }
        if (p.hasExternal()) {
            t.rule(ext, "goto " + p.externalPolicyChain());
        }
    }

    /** {@code firewall-…}: drops load-balancer traffic from outside loadBalancerSourceRanges. */
    private static void writeFirewallChain(NftTableModel.FragmentBuilder t, Syntax x, Plan p, NodeContext node, RenderOptions options) {
        if (!p.usesFwChain()) {
            return;
        }
        List<String> sources = new ArrayList<>(p.sp().loadBalancerSourceRanges());
        List<String> nodeIps = node.ipsOf(options.family());
        boolean allowFromNode = !nodeIps.isEmpty()
                && sources.stream().anyMatch(cidr -> IpAddresses.contains(cidr, nodeIps.get(0)));
        if (allowFromNode) {
            // A VIP-like LB's address is often local too: a request from the node then loops back with the VIP as source.
            sources.addAll(p.sp().loadBalancerIPs());
        }
        t.rule(p.fw(), x.ip + " saddr != { " + String.join(", ", sources) + " } drop");
    }

    /** One dynamic set per reachable endpoint: the clients recently sent there, forgotten after the timeout. */
    private static void writeAffinitySets(NftTableModel.FragmentBuilder t, Syntax x, Plan p) {
        if (!p.sp().sessionAffinityClientIP()) {
            return;
        }
        for (EndpointTarget ep : p.eps().allReachable()) {
            t.set(p.affinitySet(ep), "{ type " + x.addrType + " ; flags dynamic,timeout ; timeout "
                    + p.sp().stickyMaxAgeSeconds() + "s ; }");
        }
    }

    /** Affinity first (a recent client goes back to its endpoint), then a uniform random pick. */
    private static void writeServiceToEndpointRules(NftTableModel.FragmentBuilder t, Syntax x, Plan p, String chain,
            List<EndpointTarget> eps) {
        if (p.sp().sessionAffinityClientIP()) {
            for (EndpointTarget ep : eps) {
                t.rule(chain, x.ip + " saddr @" + p.affinitySet(ep) + " goto " + p.endpointChain(ep));
            }
        }
        List<String> picks = new ArrayList<>();
        for (int i = 0; i < eps.size(); i++) {
            picks.add(i + " : goto " + p.endpointChain(eps.get(i)));
        }
        t.rule(chain, "numgen random mod " + eps.size() + " vmap { " + String.join(" , ", picks) + " }");
    }

    private static void writeEndpointChains(NftTableModel.FragmentBuilder t, Syntax x, Plan p) {
        for (EndpointTarget ep : p.eps().allReachable()) {
            String chain = p.endpointChain(ep);
            // Hairpin: a pod reaching itself through the VIP must be SNATed or it answers itself directly.
            t.rule(chain, x.ip + " saddr " + ep.ip() + " jump " + MARK_MASQ);
            if (p.sp().sessionAffinityClientIP()) {
                t.rule(chain, "update @" + p.affinitySet(ep) + " { " + x.ip + " saddr }");
            }
            t.rule(chain, "meta l4proto " + p.sp().protocolName() + " dnat to " + ep);
        }
    }

    @Override
    public String toString() {
        return "NftablesRenderer" + (families.isEmpty() ? "" : families);
    }
}
