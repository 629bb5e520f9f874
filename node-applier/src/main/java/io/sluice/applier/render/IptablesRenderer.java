package io.sluice.applier.render;

import static io.sluice.applier.render.IptablesChainNames.MARK_MASQ;
import static io.sluice.applier.render.IptablesChainNames.POSTROUTING;
import static io.sluice.applier.render.IptablesChainNames.SERVICES;

import io.sluice.store.image.ClusterImage;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * Renders kube-proxy's iptables mode (pkg/proxy/iptables/proxier.go, syncProxyRules) for ClusterIP
 * Services, under SLUICE- chain names so it can run beside kube-proxy. See node-applier/RENDERING.md
 * for the chain layout. Per Service port:
 * <ul>
 *   <li>with usable endpoints: nat SLUICE-SERVICES captures VIP:port into SLUICE-SVC-…, which marks
 *       traffic from outside the cluster CIDR for masquerade and picks an endpoint at random;
 *       each SLUICE-SEP-… marks hairpin traffic and DNATs to the endpoint;</li>
 *   <li>without: filter SLUICE-SERVICES rejects VIP:port, so clients see "connection refused".</li>
 * </ul>
 * Pure and deterministic: the same image, node and options always give the same text.
 */
public final class IptablesRenderer implements RuleRenderer {
    public static final String MODE = "iptables";
    static final String NAT = "nat";
    static final String FILTER = "filter";

    @Override
    public RuleSet render(ClusterImage image, NodeContext node, RenderOptions options) {
        checkOptions(options);
        Tables t = new Tables(new IptablesTable(FILTER), new IptablesTable(NAT));
        writeBaseChains(t, options);
        Set<String> services = new HashSet<>();
        int endpointChains = 0;
        for (ResolvedServicePort sp : ServicePortResolver.resolve(image)) {
            services.add(sp.name().namespace() + "/" + sp.name().name());
            List<EndpointTarget> endpoints = EndpointSelection.usable(sp, node);
            if (endpoints.isEmpty()) {
                writeRejectNoEndpoints(t.filter, sp);
                continue;
            }
            String svcChain = IptablesChainNames.serviceChain(sp.name(), sp.protocolName());
            writeClusterIpCapture(t.nat, sp, svcChain);
            writeServiceChain(t.nat, sp, svcChain, endpoints, options);
            writeEndpointChains(t.nat, sp, endpoints);
            endpointChains += endpoints.size();
        }
        StringBuilder text = new StringBuilder();
        t.filter.renderTo(text);
        t.nat.renderTo(text);
        Set<String> chains = new TreeSet<>(t.filter.qualifiedChains());
        chains.addAll(t.nat.qualifiedChains());
        return new RuleSet(MODE, text.toString(), chains, services.size(), endpointChains);
    }

    private record Tables(IptablesTable filter, IptablesTable nat) {
    }

    private static void checkOptions(RenderOptions options) {
        if (!options.clusterCidr().isEmpty() && !Ipv4.isCidr(options.clusterCidr())) {
            throw new IllegalArgumentException("clusterCidr '" + options.clusterCidr()
                    + "' is not an IPv4 CIDR such as 10.244.0.0/16");
        }
    }

    /** The chains every rule set has, whatever the Services: dispatch, mark and masquerade. */
    private static void writeBaseChains(Tables t, RenderOptions options) {
        String mark = options.masqueradeMark();
        t.filter.declare(SERVICES);
        t.nat.declare(SERVICES).declare(MARK_MASQ).declare(POSTROUTING);
        t.nat.add(IptablesRule.append(MARK_MASQ).jump("MARK", "--or-mark", mark));
        t.nat.add(IptablesRule.append(POSTROUTING).match("mark", "!", "--mark", mark + "/" + mark).jump("RETURN"));
        // Clear the bit so a packet that is re-routed (e.g. through a tunnel) is not masqueraded twice.
        t.nat.add(IptablesRule.append(POSTROUTING).jump("MARK", "--xor-mark", mark));
        t.nat.add(IptablesRule.append(POSTROUTING).comment("sluice service traffic requiring SNAT")
                .jump("MASQUERADE", "--random-fully"));
    }

    private static void writeRejectNoEndpoints(IptablesTable filter, ResolvedServicePort sp) {
        filter.add(IptablesRule.append(SERVICES)
                .destination(sp.clusterIP()).protocol(sp.protocolName())
                .comment(sp.name() + " has no endpoints").destinationPort(sp.port())
                .jump("REJECT"));
    }

    private static void writeClusterIpCapture(IptablesTable nat, ResolvedServicePort sp, String svcChain) {
        nat.add(IptablesRule.append(SERVICES)
                .destination(sp.clusterIP()).protocol(sp.protocolName())
                .comment(sp.name() + " cluster IP").destinationPort(sp.port())
                .jump(svcChain));
    }

    private static void writeServiceChain(IptablesTable nat, ResolvedServicePort sp, String svcChain,
            List<EndpointTarget> endpoints, RenderOptions options) {
        nat.declare(svcChain);
        if (options.masqueradeAll() || !options.clusterCidr().isEmpty()) {
            IptablesRule masq = IptablesRule.append(svcChain);
            if (!options.masqueradeAll()) {
                masq.notSource(options.clusterCidr());
            }
            nat.add(masq.destination(sp.clusterIP()).protocol(sp.protocolName())
                    .comment(sp.name() + " cluster IP").destinationPort(sp.port())
                    .jump(MARK_MASQ));
        }
        int n = endpoints.size();
        for (int i = 0; i < n; i++) {
            EndpointTarget ep = endpoints.get(i);
            IptablesRule pick = IptablesRule.append(svcChain).comment(sp.name() + " -> " + ep);
            if (i < n - 1) {
                pick.randomProbability(probability(n - i));
            }
            nat.add(pick.jump(IptablesChainNames.endpointChain(sp.name(), sp.protocolName(), ep.toString())));
        }
    }

    private static void writeEndpointChains(IptablesTable nat, ResolvedServicePort sp, List<EndpointTarget> endpoints) {
        String comment = sp.name().toString();
        for (EndpointTarget ep : endpoints) {
            String sepChain = IptablesChainNames.endpointChain(sp.name(), sp.protocolName(), ep.toString());
            nat.declare(sepChain);
            // Hairpin: a pod reaching itself through the VIP must be SNATed or it answers itself directly.
            nat.add(IptablesRule.append(sepChain).source(ep.ip()).comment(comment).jump(MARK_MASQ));
            nat.add(IptablesRule.append(sepChain).protocol(sp.protocolName()).comment(comment)
                    .match(sp.protocolName()).jump("DNAT", "--to-destination", ep.toString()));
        }
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
