package io.sluice.applier.render;

import static io.sluice.applier.render.IptablesChainNames.EXTERNAL_SERVICES;
import static io.sluice.applier.render.IptablesChainNames.FORWARD;
import static io.sluice.applier.render.IptablesChainNames.MARK_MASQ;
import static io.sluice.applier.render.IptablesChainNames.NODEPORTS;
import static io.sluice.applier.render.IptablesChainNames.POSTROUTING;
import static io.sluice.applier.render.IptablesChainNames.PROXY_FIREWALL;
import static io.sluice.applier.render.IptablesChainNames.SERVICES;

import io.sluice.schema.model.IpFamily;
import io.sluice.schema.model.ObjectKey;
import io.sluice.store.image.ClusterImage;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Renders kube-proxy's iptables mode (pkg/proxy/iptables/proxier.go, syncProxyRules) for one IP
 * family, under SLUICE- chain names so it can run beside kube-proxy: ClusterIP, NodePort,
 * external IPs, load-balancer IPs with source ranges, ClientIP affinity, external and internal
 * traffic policy Local, terminating fallback and topology (both through {@link EndpointSelection}),
 * masquerading, REJECT without endpoints and DROP where kube-proxy drops. The output is valid
 * {@code iptables-restore} (or {@code ip6tables-restore}) input; node-applier/RENDERING.md shows the
 * chain layout. Pure and deterministic: the same image, node and options always give the same text.
 */
public final class IptablesRenderer implements RuleRenderer {
    public static final String MODE = "iptables";
    static final String NAT = "nat";
    static final String FILTER = "filter";
    static final String NODEPORTS_COMMENT = "sluice service nodeports; NOTE: this must be the last rule in this chain";

    @Override
    public RuleSet render(ClusterImage image, NodeContext node, RenderOptions options) {
        return render(image, node, options, null, Set.of());
    }

    /**
     * Renders only the Services in {@code changedServices} when {@code previous} is a rule set this
     * renderer made for the same node and options, sharing every other chain with it; otherwise
     * renders everything. Either way the result equals a full render of {@code image} provided
     * {@code changedServices} names every Service whose objects (Service or EndpointSlices) differ
     * between {@code previous}'s image and this one.
     */
    @Override
    public RuleSet render(ClusterImage image, NodeContext node, RenderOptions options, RuleSet previous,
            Set<ObjectKey> changedServices) {
        IptablesChains before = previous == null ? null
                : previous.structure(IptablesChains.class).filter(c -> c.renderedFor(node, options)).orElse(null);
        IptablesChains chains;
        FragmentWriter writer = new FragmentWriter(node, options);
        if (before == null) {
            List<IptablesChains.Fragment> fragments = new ArrayList<>();
            for (ResolvedServicePort sp : ServicePortResolver.resolve(image, options.family())) {
                fragments.add(writer.fragment(sp));
            }
            Tables base = baseTables(node, options);
            chains = IptablesChains.of(node, options, writer.head(base), writer.tail(base), fragments);
        } else {
            List<IptablesChains.Fragment> fragments = new ArrayList<>();
            for (ObjectKey service : changedServices) {
                for (ResolvedServicePort sp : ServicePortResolver.resolveService(image, service, options.family())) {
                    fragments.add(writer.fragment(sp));
                }
            }
            chains = before.with(changedServices, fragments);
        }
        IptablesChains c = chains;
        return RuleSet.structured(MODE, c, c::text, c::qualifiedChains, c.serviceCount(), c.endpointChains());
    }

    /** The node-wide rules: base chains first, the NodePort dispatch and FORWARD rules last. */
    private static Tables baseTables(NodeContext node, RenderOptions options) {
        Tables head = new Tables(new IptablesTable(FILTER), new IptablesTable(NAT));
        writeBaseChains(head, options);
        Tables tail = new Tables(new IptablesTable(FILTER), new IptablesTable(NAT));
        writeBaseChains(tail, options);
        tail.filter.chainMap().values().forEach(List::clear);
        tail.nat.chainMap().values().forEach(List::clear);
        writeNodePortsDispatch(tail.nat, node, options);
        writeForwardRules(tail.filter, options);
        return new Tables(head.filter, head.nat, tail);
    }

    /** Writes Service ports into fragments, one line string per rule. */
    private static final class FragmentWriter {
        private final NodeContext node;
        private final RenderOptions options;
        private final StringBuilder line = new StringBuilder(256);
        /** The options' local-traffic detector, looked up once per render rather than per Service port. */
        private final Optional<String> localDetector;

        FragmentWriter(NodeContext node, RenderOptions options) {
            this.node = node;
            this.options = options;
            this.localDetector = options.localDetectorCidr();
        }

        IptablesChains.Fragment fragment(ResolvedServicePort sp) {
            Tables t = new Tables(new IptablesTable(FILTER), new IptablesTable(NAT));
            declareSharedChains(t);
            Plan plan = Plan.of(sp, EndpointSelection.categorize(sp, node));
            writeClusterIp(t, plan);
            writeExternalIps(t, plan);
            writeLoadBalancerIps(t, plan);
            writeNodePort(t, plan);
            writeHealthCheckNodePort(t.filter, plan);
            writeInternalMasquerade(t.nat, plan, options.masqueradeAll(), localDetector);
            writeExternalChain(t.nat, plan, localDetector);
            writeFirewallChain(t.nat, plan, node, options);
            writePolicyChains(t.nat, plan);
            int endpointChains = writeEndpointChains(t.nat, plan);
            Map<String, Map<String, List<String>>> owned = new HashMap<>();
            Map<String, Map<String, List<String>>> shared = new HashMap<>();
            for (IptablesTable table : List.of(t.filter, t.nat)) {
                Set<String> sharedNames = table == t.filter ? FILTER_SHARED : NAT_SHARED;
                table.chainMap().forEach((chain, rules) -> {
                    if (sharedNames.contains(chain)) {
                        if (!rules.isEmpty()) {
                            shared.computeIfAbsent(table.name(), x -> new HashMap<>()).put(chain, lines(rules));
                        }
                    } else {
                        owned.computeIfAbsent(table.name(), x -> new HashMap<>()).put(chain, lines(rules));
                    }
                });
            }
            return new IptablesChains.Fragment(new IptablesChains.PortKey(sp.name(), sp.protocol()),
                    ObjectKey.service(sp.name().namespace(), sp.name().name()), owned, shared, endpointChains);
        }

        Map<String, Map<String, List<String>>> head(Tables base) {
            return linesOf(base);
        }

        Map<String, Map<String, List<String>>> tail(Tables base) {
            return linesOf(base.tail());
        }

        private Map<String, Map<String, List<String>>> linesOf(Tables t) {
            Map<String, Map<String, List<String>>> out = new HashMap<>();
            for (IptablesTable table : List.of(t.filter, t.nat)) {
                Map<String, List<String>> cs = new HashMap<>();
                table.chainMap().forEach((chain, rules) -> cs.put(chain, lines(rules)));
                out.put(table.name(), cs);
            }
            return out;
        }

        private List<String> lines(List<IptablesRule> rules) {
            String[] out = new String[rules.size()];
            for (int i = 0; i < out.length; i++) {
                line.setLength(0);
                rules.get(i).renderTo(line);
                out[i] = line.toString();
            }
            return List.of(out);
        }
    }

    /** Chains every Service port may add rules to: the node-wide ones {@link #writeBaseChains} declares. */
    private static final Set<String> FILTER_SHARED = Set.of(SERVICES, EXTERNAL_SERVICES, FORWARD, NODEPORTS, PROXY_FIREWALL);
    private static final Set<String> NAT_SHARED = Set.of(SERVICES, NODEPORTS, MARK_MASQ, POSTROUTING);

    private static void declareSharedChains(Tables t) {
        FILTER_SHARED.forEach(t.filter::declare);
        NAT_SHARED.forEach(t.nat::declare);
    }

    /** The two tables; {@code tail} only for the node-wide rules that come after every Service's. */
    private record Tables(IptablesTable filter, IptablesTable nat, Tables tail) {
        Tables(IptablesTable filter, IptablesTable nat) {
            this(filter, nat, null);
        }
    }

    /**
     * The decisions syncProxyRules makes per Service port before writing anything, named as there.
     *
     * @param internalChain chain ClusterIP traffic goes to (SVC, or SVL with iTP Local)
     * @param externalPolicyChain chain the EXT chain ends in (SVC, or SVL with eTP Local)
     * @param lbChain chain load-balancer IP traffic goes to (EXT, or FW with source ranges)
     */
    private record Plan(ResolvedServicePort sp, EndpointSelection.Categorized eps, String svc, String svl,
            String ext, String fw, boolean usesClusterChain, boolean usesLocalChain, String internalChain,
            boolean hasInternal, String externalPolicyChain, boolean hasExternal, boolean usesExtChain,
            boolean usesFwChain, String lbChain, Map<EndpointTarget, String> seps) {

        static Plan of(ResolvedServicePort sp, EndpointSelection.Categorized eps) {
            String p = sp.protocolName();
            String hash = IptablesChainNames.servicePortHash(sp.name(), p); // the four chains share it
            String svc = IptablesChainNames.SVC_PREFIX + hash;
            String svl = IptablesChainNames.SVL_PREFIX + hash;
            String ext = IptablesChainNames.EXT_PREFIX + hash;
            String fw = IptablesChainNames.FW_PREFIX + hash;
            boolean any = eps.hasAnyEndpoints();
            boolean noLocal = eps.local().isEmpty();
            boolean usesFw = any && sp.hasFirewall();
            return new Plan(sp, eps, svc, svl, ext, fw,
                    !eps.cluster().isEmpty() && sp.usesClusterEndpoints(),
                    !noLocal && sp.usesLocalEndpoints(),
                    sp.internalPolicyLocal() ? svl : svc,
                    any && !(sp.internalPolicyLocal() && noLocal),
                    sp.externalPolicyLocal() ? svl : svc,
                    any && !(sp.externalPolicyLocal() && noLocal),
                    any && sp.externallyAccessible(),
                    usesFw,
                    usesFw ? fw : ext,
                    new HashMap<>());
        }

        /** The SEP chain of an endpoint, hashed once per render of this Service port. */
        String sep(EndpointTarget ep) {
            return seps.computeIfAbsent(ep, e -> IptablesChainNames.endpointChain(sp.name(), sp.protocolName(), e.toString()));
        }

        String name() {
            return sp.name().toString();
        }

        /** REJECT when the Service has no endpoints at all, DROP when only local ones are missing. */
        String filterTarget() {
            return eps.hasAnyEndpoints() ? "DROP" : "REJECT";
        }

        String filterComment() {
            return name() + (eps.hasAnyEndpoints() ? " has no local endpoints" : " has no endpoints");
        }

        /** {@code -d ip -p proto -m comment … -m proto --dport port} for a chain. */
        IptablesRule toAddress(String chain, String ip, int port, String comment) {
            return IptablesRule.append(chain).destination(ip).protocol(sp.protocolName()).comment(comment)
                    .destinationPort(port);
        }
    }

    /** The chains every rule set has, whatever the Services: dispatch, mark and masquerade. */
    private static void writeBaseChains(Tables t, RenderOptions options) {
        String mark = options.masqueradeMark();
        t.filter.declare(SERVICES).declare(EXTERNAL_SERVICES).declare(FORWARD).declare(NODEPORTS)
                .declare(PROXY_FIREWALL);
        t.nat.declare(SERVICES).declare(NODEPORTS).declare(MARK_MASQ).declare(POSTROUTING);
        t.nat.add(IptablesRule.append(MARK_MASQ).jump("MARK", "--or-mark", mark));
        t.nat.add(IptablesRule.append(POSTROUTING).match("mark", "!", "--mark", mark + "/" + mark).jump("RETURN"));
        // Clear the bit so a packet that is re-routed (e.g. through a tunnel) is not masqueraded twice.
        t.nat.add(IptablesRule.append(POSTROUTING).jump("MARK", "--xor-mark", mark));
        t.nat.add(IptablesRule.append(POSTROUTING).comment("sluice service traffic requiring SNAT")
                .jump("MASQUERADE", "--random-fully"));
    }

    /** ClusterIP: captured into the internal chain, or REJECT/DROP in filter when it has no endpoints. */
    private static void writeClusterIp(Tables t, Plan p) {
        ResolvedServicePort sp = p.sp();
        if (p.hasInternal()) {
            t.nat.add(p.toAddress(SERVICES, sp.clusterIP(), sp.port(), p.name() + " cluster IP").jump(p.internalChain()));
        } else {
            t.filter.add(p.toAddress(SERVICES, sp.clusterIP(), sp.port(), p.filterComment()).jump(p.filterTarget()));
        }
    }

    private static void writeExternalIps(Tables t, Plan p) {
        ResolvedServicePort sp = p.sp();
        for (String ip : sp.externalIPs()) {
            if (p.eps().hasAnyEndpoints()) {
                t.nat.add(p.toAddress(SERVICES, ip, sp.port(), p.name() + " external IP").jump(p.ext()));
            }
            if (!p.hasExternal()) {
                // No endpoints at all (REJECT), or none for external traffic (DROP what the EXT chain did not short-circuit).
                t.filter.add(p.toAddress(EXTERNAL_SERVICES, ip, sp.port(), p.filterComment()).jump(p.filterTarget()));
            }
        }
    }

    private static void writeLoadBalancerIps(Tables t, Plan p) {
        ResolvedServicePort sp = p.sp();
        for (String ip : sp.loadBalancerIPs()) {
            if (p.eps().hasAnyEndpoints()) {
                t.nat.add(p.toAddress(SERVICES, ip, sp.port(), p.name() + " loadbalancer IP").jump(p.lbChain()));
            }
            if (p.usesFwChain()) {
                t.filter.add(p.toAddress(PROXY_FIREWALL, ip, sp.port(),
                        p.name() + " traffic not accepted by " + p.fw()).jump("DROP"));
            }
        }
        if (!p.hasExternal()) {
            for (String ip : sp.loadBalancerIPs()) {
                t.filter.add(p.toAddress(EXTERNAL_SERVICES, ip, sp.port(), p.filterComment()).jump(p.filterTarget()));
            }
        }
    }

    /** NodePorts are not subject to loadBalancerSourceRanges (kube-proxy cannot change that either). */
    private static void writeNodePort(Tables t, Plan p) {
        ResolvedServicePort sp = p.sp();
        if (sp.nodePort() == 0) {
            return;
        }
        String proto = sp.protocolName();
        if (p.eps().hasAnyEndpoints()) {
            t.nat.add(IptablesRule.append(NODEPORTS).protocol(proto).comment(p.name())
                    .destinationPort(sp.nodePort()).jump(p.ext()));
        }
        if (!p.hasExternal()) {
            t.filter.add(IptablesRule.append(EXTERNAL_SERVICES).protocol(proto).comment(p.filterComment())
                    .match("addrtype", "--dst-type", "LOCAL").destinationPort(sp.nodePort()).jump(p.filterTarget()));
        }
    }

    private static void writeHealthCheckNodePort(IptablesTable filter, Plan p) {
        int port = p.sp().healthCheckNodePort();
        if (port != 0) {
            filter.add(IptablesRule.append(NODEPORTS).protocol("tcp").comment(p.name() + " health check node port")
                    .destinationPort(port).jump("ACCEPT"));
        }
    }

    /** Off-cluster traffic to the cluster IP is masqueraded: it may be bridged to another node. */
    private static void writeInternalMasquerade(IptablesTable nat, Plan p, boolean masqueradeAll, Optional<String> localDetector) {
        if (!p.hasInternal() || (!masqueradeAll && localDetector.isEmpty())) {
            return;
        }
        ResolvedServicePort sp = p.sp();
        nat.declare(p.internalChain());
        IptablesRule masq = p.toAddress(p.internalChain(), sp.clusterIP(), sp.port(), p.name() + " cluster IP");
        if (!masqueradeAll) {
            masq.notSource(localDetector.orElseThrow());
        }
        nat.add(masq.jump(MARK_MASQ));
    }

    /**
     * SLUICE-EXT-: every external destination (NodePort, external IP, LB IP) goes here. Cluster
     * policy: masquerade, then the SVC chain. Local policy: pods and the node itself short-circuit
     * to the SVC chain (as if they had gone out to a load balancer and back); everything else keeps
     * its source address and goes to local endpoints only.
     */
    private static void writeExternalChain(IptablesTable nat, Plan p, Optional<String> localDetector) {
        if (!p.usesExtChain()) {
            return;
        }
        String ext = p.ext();
        nat.declare(ext);
        if (!p.sp().externalPolicyLocal()) {
            nat.add(IptablesRule.append(ext).comment("masquerade traffic for " + p.name() + " external destinations")
                    .jump(MARK_MASQ));
        } else {
            localDetector.ifPresent(cidr -> nat.add(IptablesRule.append(ext).source(cidr)
                    .comment("pod traffic for " + p.name() + " external destinations").jump(p.svc())));
            nat.add(IptablesRule.append(ext).comment("masquerade LOCAL traffic for " + p.name() + " external destinations")
                    .match("addrtype", "--src-type", "LOCAL").jump(MARK_MASQ));
            nat.add(IptablesRule.append(ext).comment("route LOCAL traffic for " + p.name() + " external destinations")
                    .match("addrtype", "--src-type", "LOCAL").jump(p.svc()));
        }
        if (p.hasExternal()) {
            nat.add(IptablesRule.append(ext).jump(p.externalPolicyChain()));
        }
    }

    /** SLUICE-FW-: LB traffic from an allowed source range goes on to EXT; the rest falls to SLUICE-PROXY-FIREWALL. */
    private static void writeFirewallChain(IptablesTable nat, Plan p, NodeContext node, RenderOptions options) {
        if (!p.usesFwChain()) {
            return;
        }
        String comment = p.name() + " loadbalancer IP";
        nat.declare(p.fw());
        List<String> nodeIps = node.ipsOf(options.family());
        boolean allowFromNode = false;
        for (String cidr : p.sp().loadBalancerSourceRanges()) {
            nat.add(IptablesRule.append(p.fw()).source(cidr).comment(comment).jump(p.ext()));
            allowFromNode |= !nodeIps.isEmpty() && IpAddresses.contains(cidr, nodeIps.get(0));
        }
        if (allowFromNode) {
            // A VIP-like LB's address is often local too: a request from the node then loops back with the VIP as source.
            for (String lbip : p.sp().loadBalancerIPs()) {
                nat.add(IptablesRule.append(p.fw()).source(lbip).comment(comment).jump(p.ext()));
            }
        }
        nat.add(IptablesRule.append(p.fw())
                .comment("other traffic to " + p.name() + " will be dropped by " + PROXY_FIREWALL));
    }

    private static void writePolicyChains(IptablesTable nat, Plan p) {
        if (p.usesClusterChain()) {
            writeServiceToEndpointRules(nat, p, p.svc(), p.eps().cluster());
        }
        if (p.usesLocalChain()) {
            writeServiceToEndpointRules(nat, p, p.svl(), p.eps().local());
        }
    }

    /** Affinity first (a recent client goes back to its endpoint), then a random pick, 1/n each. */
    private static void writeServiceToEndpointRules(IptablesTable nat, Plan p, String chain, List<EndpointTarget> eps) {
        nat.declare(chain);
        ResolvedServicePort sp = p.sp();
        if (sp.sessionAffinityClientIP()) {
            for (EndpointTarget ep : eps) {
                String sep = p.sep(ep);
                nat.add(IptablesRule.append(chain).comment(p.name() + " -> " + ep)
                        .match("recent", "--name", sep, "--rcheck", "--seconds",
                                Integer.toString(sp.stickyMaxAgeSeconds()), "--reap")
                        .jump(sep));
            }
        }
        int n = eps.size();
        for (int i = 0; i < n; i++) {
            EndpointTarget ep = eps.get(i);
            IptablesRule pick = IptablesRule.append(chain).comment(p.name() + " -> " + ep);
            if (i < n - 1) {
                pick.randomProbability(probability(n - i));
            }
            nat.add(pick.jump(p.sep(ep)));
        }
    }

    private static int writeEndpointChains(IptablesTable nat, Plan p) {
        ResolvedServicePort sp = p.sp();
        String proto = sp.protocolName();
        for (EndpointTarget ep : p.eps().allReachable()) {
            String sep = p.sep(ep);
            nat.declare(sep);
            // Hairpin: a pod reaching itself through the VIP must be SNATed or it answers itself directly.
            nat.add(IptablesRule.append(sep).source(ep.ip()).comment(p.name()).jump(MARK_MASQ));
            IptablesRule dnat = IptablesRule.append(sep).protocol(proto).comment(p.name());
            if (sp.sessionAffinityClientIP()) {
                dnat.match("recent", "--name", sep, "--set");
            }
            nat.add(dnat.match(proto).jump("DNAT", "--to-destination", ep.toString()));
        }
        return p.eps().allReachable().size();
    }


    /**
     * The tail call to NODEPORTS, last in SERVICES: every local destination address except
     * loopback (localhost NodePorts are not supported), or only the node addresses that
     * nodePortAddresses selects.
     */
    private static void writeNodePortsDispatch(IptablesTable nat, NodeContext node, RenderOptions options) {
        if (options.nodePortsOnAllAddresses()) {
            String loopback = options.family() == IpFamily.IPV4 ? "127.0.0.0/8" : "::1/128";
            nat.add(IptablesRule.append(SERVICES).notDestination(loopback).comment(NODEPORTS_COMMENT)
                    .match("addrtype", "--dst-type", "LOCAL").jump(NODEPORTS));
            return;
        }
        for (String ip : options.nodePortIPs(node)) {
            if (!IpAddresses.contains("127.0.0.0/8", ip) && !ip.equals("::1")) {
                nat.add(IptablesRule.append(SERVICES).destination(ip).comment(NODEPORTS_COMMENT).jump(NODEPORTS));
            }
        }
    }

    /**
     * SLUICE-FORWARD: drop conntrack-INVALID packets (kube-proxy does unless the node sets
     * nf_conntrack_tcp_be_liberal; they would otherwise cause spurious resets), and accept
     * masquerade-marked and established traffic so NodePorts work whatever FORWARD's policy.
     */
    private static void writeForwardRules(IptablesTable filter, RenderOptions options) {
        String mark = options.masqueradeMark();
        filter.add(IptablesRule.append(FORWARD).match("conntrack", "--ctstate", "INVALID").jump("DROP"));
        filter.add(IptablesRule.append(FORWARD).comment("sluice forwarding rules")
                .match("mark", "--mark", mark + "/" + mark).jump("ACCEPT"));
        filter.add(IptablesRule.append(FORWARD).comment("sluice forwarding conntrack rule")
                .match("conntrack", "--ctstate", "RELATED,ESTABLISHED").jump("ACCEPT"));
    }

    /**
     * kube-proxy's {@code computeProbability}: {@code fmt.Sprintf("%0.10f", 1.0/float64(n))}. Go
     * rounds the double's exact decimal value half-to-even, so BigDecimal does the same here
     * (Java's %f would round 1/2048 = 0.00048828125 up, Go rounds it down).
     */
    static String probability(int n) {
        return new BigDecimal(1.0 / n).setScale(10, RoundingMode.HALF_EVEN).toPlainString();
    }
}
