package io.sluice.applier.render;

import static io.sluice.applier.render.IpvsNames.FORWARD;
import static io.sluice.applier.render.IpvsNames.IPVS_FILTER;
import static io.sluice.applier.render.IpvsNames.IPVS_OUT_FILTER;
import static io.sluice.applier.render.IpvsNames.LOAD_BALANCER;
import static io.sluice.applier.render.IpvsNames.MARK_MASQ;
import static io.sluice.applier.render.IpvsNames.NODE_PORT;
import static io.sluice.applier.render.IpvsNames.POSTROUTING;
import static io.sluice.applier.render.IpvsNames.PROXY_FIREWALL;
import static io.sluice.applier.render.IpvsNames.SERVICES;
import static io.sluice.applier.render.IpvsNames.SOURCE_RANGES_FIREWALL;

import io.sluice.applier.render.IpvsNames.Ipset;
import io.sluice.schema.model.IpFamily;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The iptables rules IPVS mode needs beside IPVS itself: kube-proxy's {@code writeIptablesRules}
 * and {@code acceptIPVSTraffic} (pkg/proxy/ipvs/proxier.go) under SLUICE- names. Per-Service
 * matching is done by ipsets, so the rules are a short fixed list whatever the number of
 * Services; a rule that matches a set is written only when the set has members, as kube-proxy
 * does (the SLUICE-IPVS-FILTER rules are always written: they reference the sets by name).
 */
public final class IpvsIptables {
    static final String NAT = "nat";
    static final String FILTER = "filter";
    private static final Set<String> BUILT_IN = Set.of("PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING");

    /** A rule in a built-in chain jumping into a Sluice chain (kube-proxy's iptablesJumpChain of IPVS mode). */
    public record Jump(String table, IptablesRule rule) {
    }

    /**
     * Load-balancer IP:port that the node itself must not reach: it has source ranges and none of
     * them holds the node's IP (kube-proxy's lbNoNodeAccessIPPortProtocolEntries).
     */
    public record NodeAccessDrop(String ip, String protocol, int port) {
    }

    private IpvsIptables() {
    }

    /**
     * kube-proxy's jumps, in its order; each is inserted at the top of its built-in chain in turn,
     * so the kernel ends up with the last of a chain's jumps first.
     */
    public static List<Jump> jumps() {
        String portals = "sluice service portals";
        String firewall = "sluice firewall rules";
        String ipvsFilter = "sluice ipvs access filter";
        return List.of(
                jump(NAT, "OUTPUT", SERVICES, portals),
                jump(NAT, "PREROUTING", SERVICES, portals),
                jump(NAT, "POSTROUTING", POSTROUTING, "sluice postrouting rules"),
                jump(FILTER, "FORWARD", FORWARD, "sluice forwarding rules"),
                jump(FILTER, "INPUT", NODE_PORT, "sluice health check rules"),
                jump(FILTER, "INPUT", PROXY_FIREWALL, firewall),
                jump(FILTER, "FORWARD", PROXY_FIREWALL, firewall),
                jump(FILTER, "INPUT", IPVS_FILTER, ipvsFilter),
                jump(FILTER, "OUTPUT", IPVS_OUT_FILTER, ipvsFilter));
    }

    private static Jump jump(String table, String builtin, String target, String comment) {
        return new Jump(table, IptablesRule.append(builtin).comment(comment).jump(target));
    }

    /** Whether {@code chain} is one of the built-in chains the jumps start from. */
    public static boolean isBuiltIn(String chain) {
        return BUILT_IN.contains(chain);
    }

    /** The filter and nat tables, in that order. */
    public record Tables(IptablesTable filter, IptablesTable nat) {
        /** iptables-restore --noflush input: filter then nat. */
        public String render() {
            StringBuilder out = new StringBuilder();
            filter.renderTo(out);
            nat.renderTo(out);
            return out.toString();
        }

        /** Declared chains as "table/CHAIN". */
        public Set<String> chains() {
            Set<String> all = new TreeSet<>(filter.qualifiedChains());
            all.addAll(nat.qualifiedChains());
            return all;
        }
    }

    /**
     * The rules for one family.
     *
     * @param sets          the rendered set content (which sets have members decides which rules exist)
     * @param localCidr     the cluster CIDR of the family (local-traffic detector), or "" for none
     * @param masqueradeAll {@code --masquerade-all}
     * @param mark          the masquerade mark, e.g. 0x4000
     */
    public static Tables build(IpFamily family, IpsetContent sets, List<NodeAccessDrop> drops, String localCidr,
            boolean masqueradeAll, String mark) {
        IptablesTable nat = new IptablesTable(NAT);
        IptablesTable filter = new IptablesTable(FILTER);
        for (String c : List.of(SERVICES, POSTROUTING, NODE_PORT, LOAD_BALANCER, MARK_MASQ)) {
            nat.declare(c);
        }
        for (String c : List.of(FORWARD, NODE_PORT, PROXY_FIREWALL, SOURCE_RANGES_FIREWALL, IPVS_FILTER, IPVS_OUT_FILTER)) {
            filter.declare(c);
        }
        Map<Ipset, Boolean> used = new LinkedHashMap<>();
        for (Ipset s : Ipset.values()) {
            used.put(s, !sets.members(s.name(family)).isEmpty());
        }
        nat.add(IptablesRule.append(SERVICES).source(family == IpFamily.IPV6 ? "::1/128" : "127.0.0.0/8").jump("RETURN"));
        writeSetJumps(family, used, nat, filter);
        writeClusterIpMasquerade(family, used, nat, localCidr, masqueradeAll);
        writeExternalIpRules(family, used, nat);
        nat.add(IptablesRule.append(SERVICES).match("addrtype", "--dst-type", "LOCAL").jump(NODE_PORT));
        nat.add(IptablesRule.append(LOAD_BALANCER).jump(MARK_MASQ));
        filter.add(IptablesRule.append(SOURCE_RANGES_FIREWALL).jump("DROP"));
        for (NodeAccessDrop d : drops) {
            String vaddr = IpvsAddresses.canonical(d.ip());
            filter.add(IptablesRule.append(IPVS_OUT_FILTER).source(hostCidr(vaddr))
                    .match("ipvs", "--vaddr", hostCidr(vaddr), "--vproto", d.protocol(), "--vport", Integer.toString(d.port()))
                    .jump("DROP"));
        }
        writeAcceptIpvsTraffic(family, used, nat);
        writeForwardAndHealthCheck(family, filter, mark);
        writeIpvsFilter(family, filter);
        writePostrouting(nat, mark);
        return new Tables(filter, nat);
    }

    /** kube-proxy's ipsetWithIptablesChain, in its order (LOCAL sets before their general ones). */
    private static void writeSetJumps(IpFamily family, Map<Ipset, Boolean> used, IptablesTable nat, IptablesTable filter) {
        setRule(nat, family, used, Ipset.LOOP_BACK, POSTROUTING, null, "MASQUERADE");
        setRule(nat, family, used, Ipset.LOAD_BALANCER, SERVICES, null, LOAD_BALANCER);
        setRule(nat, family, used, Ipset.LOAD_BALANCER_LOCAL, LOAD_BALANCER, null, "RETURN");
        setRule(nat, family, used, Ipset.NODE_PORT_LOCAL_TCP, NODE_PORT, "tcp", "RETURN");
        setRule(nat, family, used, Ipset.NODE_PORT_TCP, NODE_PORT, "tcp", MARK_MASQ);
        setRule(nat, family, used, Ipset.NODE_PORT_LOCAL_UDP, NODE_PORT, "udp", "RETURN");
        setRule(nat, family, used, Ipset.NODE_PORT_UDP, NODE_PORT, "udp", MARK_MASQ);
        setRule(nat, family, used, Ipset.NODE_PORT_LOCAL_SCTP, NODE_PORT, "sctp", "RETURN");
        setRule(nat, family, used, Ipset.NODE_PORT_SCTP, NODE_PORT, "sctp", MARK_MASQ);
        setRule(filter, family, used, Ipset.LOAD_BALANCER_FW, PROXY_FIREWALL, null, SOURCE_RANGES_FIREWALL);
        setRule(filter, family, used, Ipset.LOAD_BALANCER_SOURCE_CIDR, SOURCE_RANGES_FIREWALL, null, "RETURN");
        setRule(filter, family, used, Ipset.LOAD_BALANCER_SOURCE_IP, SOURCE_RANGES_FIREWALL, null, "RETURN");
    }

    private static void setRule(IptablesTable table, IpFamily family, Map<Ipset, Boolean> used, Ipset set, String chain,
            String protocol, String target) {
        if (!used.get(set)) {
            return;
        }
        IptablesRule r = IptablesRule.append(chain);
        if (protocol != null) {
            r.protocol(protocol);
        }
        table.add(matchSet(r.comment(set.comment()), family, set).jump(target));
    }

    private static IptablesRule matchSet(IptablesRule r, IpFamily family, Ipset set) {
        return r.match("set", "--match-set", set.name(family), set.matchFlags());
    }

    /**
     * Off-cluster traffic to a cluster IP is masqueraded (it may leave the node again); with
     * masqueradeAll every packet is; without a detector, kube-proxy masquerades node-originated
     * traffic whose source is a VIP (the dummy interface makes the VIP the preferred source).
     */
    private static void writeClusterIpMasquerade(IpFamily family, Map<Ipset, Boolean> used, IptablesTable nat,
            String localCidr, boolean masqueradeAll) {
        if (!used.get(Ipset.CLUSTER_IP)) {
            return;
        }
        Ipset s = Ipset.CLUSTER_IP;
        IptablesRule r = IptablesRule.append(SERVICES).comment(s.comment());
        if (masqueradeAll) {
            nat.add(matchSet(r, family, s).jump(MARK_MASQ));
        } else if (!localCidr.isEmpty()) {
            nat.add(matchSet(r.notSource(localCidr), family, s).jump(MARK_MASQ));
        } else {
            nat.add(r.match("set", "--match-set", s.name(family), "src,dst").jump(MARK_MASQ));
        }
    }

    private static void writeExternalIpRules(IpFamily family, Map<Ipset, Boolean> used, IptablesTable nat) {
        if (used.get(Ipset.EXTERNAL_IP)) {
            Ipset s = Ipset.EXTERNAL_IP;
            nat.add(matchSet(IptablesRule.append(SERVICES).comment(s.comment()), family, s).jump(MARK_MASQ));
            externalAccept(nat, family, s);
        }
        if (used.get(Ipset.EXTERNAL_IP_LOCAL)) {
            externalAccept(nat, family, Ipset.EXTERNAL_IP_LOCAL);
        }
    }

    /**
     * Traffic to an external IP that comes from off the machine (not from a bridge port, not from
     * a local address), or that is addressed to a local address, stays with IPVS.
     */
    private static void externalAccept(IptablesTable nat, IpFamily family, Ipset s) {
        nat.add(matchSet(IptablesRule.append(SERVICES).comment(s.comment()), family, s)
                .match("physdev", "!", "--physdev-is-in").match("addrtype", "!", "--src-type", "LOCAL").jump("ACCEPT"));
        nat.add(matchSet(IptablesRule.append(SERVICES).comment(s.comment()), family, s)
                .match("addrtype", "--dst-type", "LOCAL").jump("ACCEPT"));
    }

    /** Cluster and load-balancer traffic is accepted at the end of SERVICES so later rules cannot break IPVS. */
    private static void writeAcceptIpvsTraffic(IpFamily family, Map<Ipset, Boolean> used, IptablesTable nat) {
        for (Ipset s : List.of(Ipset.CLUSTER_IP, Ipset.LOAD_BALANCER)) {
            if (used.get(s)) {
                nat.add(matchSet(IptablesRule.append(SERVICES), family, s).jump("ACCEPT"));
            }
        }
    }

    private static void writeForwardAndHealthCheck(IpFamily family, IptablesTable filter, String mark) {
        filter.add(IptablesRule.append(FORWARD).comment("sluice forwarding rules")
                .match("mark", "--mark", mark + "/" + mark).jump("ACCEPT"));
        filter.add(IptablesRule.append(FORWARD).comment("sluice forwarding conntrack rule")
                .match("conntrack", "--ctstate", "RELATED,ESTABLISHED").jump("ACCEPT"));
        Ipset hc = Ipset.HEALTH_CHECK_NODE_PORT;
        filter.add(matchSet(IptablesRule.append(NODE_PORT).comment(hc.comment()), family, hc).jump("ACCEPT"));
    }

    /**
     * Addresses on the dummy interface answer only on their Service ports: new connections to any
     * other port of such an address are rejected (kubernetes/kubernetes#72236).
     */
    private static void writeIpvsFilter(IpFamily family, IptablesTable filter) {
        for (Ipset s : List.of(Ipset.LOAD_BALANCER, Ipset.CLUSTER_IP, Ipset.EXTERNAL_IP, Ipset.EXTERNAL_IP_LOCAL,
                Ipset.HEALTH_CHECK_NODE_PORT)) {
            filter.add(matchSet(IptablesRule.append(IPVS_FILTER), family, s).jump("RETURN"));
        }
        filter.add(IptablesRule.append(IPVS_FILTER).match("conntrack", "--ctstate", "NEW")
                .match("set", "--match-set", Ipset.IPVS_IPS.name(family), "dst").jump("REJECT"));
    }

    private static void writePostrouting(IptablesTable nat, String mark) {
        nat.add(IptablesRule.append(POSTROUTING).match("mark", "!", "--mark", mark + "/" + mark).jump("RETURN"));
        // Clear the bit so a packet that traverses the stack again is not masqueraded twice.
        nat.add(IptablesRule.append(POSTROUTING).jump("MARK", "--xor-mark", mark));
        nat.add(IptablesRule.append(POSTROUTING).comment("sluice service traffic requiring SNAT")
                .jump("MASQUERADE", "--random-fully"));
        nat.add(IptablesRule.append(MARK_MASQ).jump("MARK", "--or-mark", mark));
    }

    /**
     * The restore text plus the jumps as {@code -A} lines before each table's COMMIT, in the order
     * the backend's inserts leave them: for a node with no rules yet, {@code iptables-restore
     * --noflush} of this alone installs everything. (Under {@code --noflush} a second run would
     * append the jumps again; the backend keeps them apart and checks each before inserting.)
     */
    public static String withJumps(String restoreText) {
        Map<String, List<String>> byTable = new LinkedHashMap<>();
        List<Jump> js = new ArrayList<>(jumps());
        java.util.Collections.reverse(js);
        Map<String, List<String>> chainOrder = new LinkedHashMap<>();
        for (Jump j : js) {
            chainOrder.computeIfAbsent(j.table() + "/" + j.rule().chain(), k -> new ArrayList<>()).add(j.rule().render());
        }
        chainOrder.forEach((k, lines) -> byTable.computeIfAbsent(k.substring(0, k.indexOf('/')), t -> new ArrayList<>())
                .addAll(lines));
        StringBuilder out = new StringBuilder();
        String table = null;
        for (String line : restoreText.lines().toList()) {
            if (line.startsWith("*")) {
                table = line.substring(1).strip();
            }
            if (line.equals("COMMIT") && table != null) {
                byTable.getOrDefault(table, List.of()).forEach(l -> out.append(l).append('\n'));
            }
            out.append(line).append('\n');
        }
        return out.toString();
    }

    /** The restore text without {@code -A} lines for built-in chains (the inverse of {@link #withJumps}). */
    public static String withoutJumps(String restoreText) {
        StringBuilder out = new StringBuilder();
        for (String line : restoreText.lines().toList()) {
            String[] t = line.split("\\s+", 3);
            if (t.length >= 2 && t[0].equals("-A") && isBuiltIn(t[1])) {
                continue;
            }
            out.append(line).append('\n');
        }
        return out.toString();
    }

    private static String hostCidr(String ip) {
        return ip + (ip.indexOf(':') >= 0 ? "/128" : "/32");
    }
}
