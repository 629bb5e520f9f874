package io.sluice.applier.render;

import io.sluice.schema.model.IpFamily;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * The four parts of an IPVS-mode rule set, each in the language of the tool that takes it, and the
 * one-text form they travel in as {@link RuleSet#text()}.
 *
 * <p>The text is {@code ipvsadm-restore} input as it stands; the other parts ride along in
 * comment lines, which ipvsadm ignores, each with a prefix naming its part:
 * <pre>
 * # sluice ipvs rule set …            (header)
 * #family ipv4
 * #ipset create SLUICE-CLUSTER-IP …   ipset restore input
 * #iptables *filter                   iptables-restore --noflush input (Sluice chains only)
 * #bind 10.96.0.10                    an address to hold on the dummy interface sluice-ipvs0
 * # ns/name:port cluster IP           a comment of the ipvsadm part
 * -A -t 10.96.0.10:80 -s rr           the ipvsadm part
 * -a -t 10.96.0.10:80 -r 10.244.1.2:8080 -m -w 1
 * </pre>
 * So {@link RuleSet#digest()} covers all four, the dry-run file {@code rules.ipvs} can be fed to
 * {@code ipvsadm-restore} directly, and {@link #parse} gets every part back.
 *
 * @param family         the IP family of every address in the parts
 * @param ipvsadm        {@code ipvsadm-restore} input (virtual and real servers)
 * @param ipset          {@code ipset restore} input (every set created, members added)
 * @param iptables       {@code iptables-restore --noflush} input (or {@code ip6tables-restore}):
 *                       Sluice's chains and, before each COMMIT, the jumps from the built-in
 *                       chains, so that on a node with no Sluice rules it is complete by itself
 * @param boundAddresses addresses to bind to {@link IpvsNames#DUMMY_INTERFACE}, canonical, sorted
 *                       in rendering order
 */
public record IpvsParts(IpFamily family, String ipvsadm, String ipset, String iptables, List<String> boundAddresses) {
    static final String FAMILY = "#family ";
    static final String IPSET = "#ipset ";
    static final String IPTABLES = "#iptables ";
    static final String BIND = "#bind ";

    public IpvsParts {
        Objects.requireNonNull(family, "family");
        Objects.requireNonNull(ipvsadm, "ipvsadm");
        Objects.requireNonNull(ipset, "ipset");
        Objects.requireNonNull(iptables, "iptables");
        boundAddresses = List.copyOf(boundAddresses);
    }

    /** The parts of an IPVS rule set's text; refuses a rule set of another mode. */
    public static IpvsParts of(RuleSet rules) {
        if (!IpvsRenderer.MODE.equals(rules.mode())) {
            throw new IllegalArgumentException("rule set of mode " + rules.mode() + " is not an IPVS rule set");
        }
        return parse(rules.text());
    }

    /** Splits the one-text form back into its parts. */
    public static IpvsParts parse(String text) {
        IpFamily family = null;
        StringBuilder ipvsadm = new StringBuilder();
        StringBuilder ipset = new StringBuilder();
        StringBuilder iptables = new StringBuilder();
        List<String> bind = new ArrayList<>();
        for (String line : text.lines().toList()) {
            if (line.startsWith(FAMILY)) {
                family = switch (line.substring(FAMILY.length()).strip()) {
                    case "ipv4" -> IpFamily.IPV4;
                    case "ipv6" -> IpFamily.IPV6;
                    default -> throw new IllegalArgumentException("unknown family line '" + line + "'");
                };
            } else if (line.startsWith(IPSET)) {
                ipset.append(line, IPSET.length(), line.length()).append('\n');
            } else if (line.startsWith(IPTABLES)) {
                iptables.append(line, IPTABLES.length(), line.length()).append('\n');
            } else if (line.startsWith(BIND)) {
                bind.add(line.substring(BIND.length()).strip());
            } else if (!line.startsWith("##")) {
                ipvsadm.append(line).append('\n');
            }
        }
        if (family == null) {
            throw new IllegalArgumentException("IPVS rule text has no '" + FAMILY.strip() + "' line");
        }
        return new IpvsParts(family, ipvsadm.toString(), ipset.toString(),
                IpvsIptables.withJumps(iptables.toString()), bind);
    }

    /** The one-text form of the parts (the inverse of {@link #parse}). */
    public String toText() {
        String fam = family.name().toLowerCase(Locale.ROOT);
        StringBuilder out = new StringBuilder();
        out.append("## sluice ipvs rule set (").append(fam).append("). This text is ipvsadm-restore input; the\n")
                .append("## other parts ride in comment lines: '#ipset ' (ipset restore), '#iptables '\n")
                .append("## (iptables-restore --noflush), '#bind ' (addresses on ").append(IpvsNames.DUMMY_INTERFACE)
                .append(").\n");
        out.append(FAMILY).append(fam).append('\n');
        ipset.lines().forEach(l -> out.append(IPSET).append(l).append('\n'));
        IpvsIptables.withoutJumps(iptables).lines().forEach(l -> out.append(IPTABLES).append(l).append('\n'));
        boundAddresses.forEach(a -> out.append(BIND).append(a).append('\n'));
        out.append(ipvsadm);
        return out.toString();
    }

    /**
     * A POSIX shell script that gives a node with no Sluice rules the complete IPVS-mode Service
     * behaviour of these parts: kube-proxy's sysctls, the dummy interface and its addresses, then
     * {@code ipset restore}, {@code iptables-restore --noflush} ({@code ip6tables-restore} for
     * IPv6) and {@code ipvsadm -R}, each fed its part. It uses {@code ipvsadm -R}, not
     * {@code ipvsadm-restore}, because the latter first clears every virtual server, the other
     * family's too. Not for a node that already has Sluice rules: the jumps would be appended twice
     * ({@code sluice cleanup --mode ipvs} first, or let the applier's backend do it).
     */
    public String shellScript() {
        String fam = family.name().toLowerCase(Locale.ROOT);
        String dev = IpvsNames.DUMMY_INTERFACE;
        StringBuilder out = new StringBuilder("#!/bin/sh\n")
                .append("# Sluice IPVS mode (").append(fam).append(") for a node with no Sluice rules yet. Run as root.\n")
                .append("set -e\n")
                .append("modprobe ip_vs 2>/dev/null || true\n")
                .append("sysctl -q -w net.ipv4.vs.conntrack=1 net.ipv4.vs.expire_nodest_conn=1"
                        + " net.ipv4.vs.expire_quiescent_template=1 net.ipv4.ip_forward=1\n")
                .append("ip link show dev ").append(dev).append(" >/dev/null 2>&1 || ip link add ").append(dev)
                .append(" type dummy\n");
        for (String a : boundAddresses) {
            out.append("ip addr replace ").append(a).append(a.indexOf(':') >= 0 ? "/128" : "/32").append(" dev ")
                    .append(dev).append('\n');
        }
        heredoc(out, "ipset restore -exist", ipset);
        heredoc(out, (family == IpFamily.IPV6 ? "ip6tables-restore" : "iptables-restore") + " --noflush -w", iptables);
        heredoc(out, "ipvsadm -R", ipvsadm);
        return out.toString();
    }

    private static void heredoc(StringBuilder out, String command, String input) {
        if (input.isBlank()) {
            return;
        }
        out.append(command).append(" <<'SLUICE_EOF'\n").append(input);
        if (!input.endsWith("\n")) {
            out.append('\n');
        }
        out.append("SLUICE_EOF\n");
    }

    /** The iptables part without the jumps from built-in chains: what the backend restores. */
    public String iptablesSluiceChains() {
        return IpvsIptables.withoutJumps(iptables);
    }

    /** The ipvsadm part as a table. */
    public IpvsTable ipvsTable() {
        return IpvsTable.parse(ipvsadm);
    }

    /** The ipset part as content. */
    public IpsetContent ipsetContent() {
        return IpsetContent.parse(ipset);
    }
}
