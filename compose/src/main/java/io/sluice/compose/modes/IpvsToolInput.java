package io.sluice.compose.modes;

import io.sluice.applier.render.IpvsNames;
import io.sluice.applier.render.IpvsParts;
import io.sluice.applier.render.IpvsRenderer;
import io.sluice.applier.render.RuleSet;
import io.sluice.compose.config.ProxyConfig;
import java.time.Duration;
import java.util.List;

/**
 * IPVS mode's rule set as the four inputs {@code IpvsBackend} feeds the kernel, in the order a node
 * without Sluice rules takes them: {@code node}, a shell script doing what the backend does before
 * any rule (kube-proxy's IPVS sysctls, strictARP, {@code ipvsadm --set} timeouts, the dummy
 * interface, the Service addresses bound to it); the ipsets ({@code ipset restore}); the iptables
 * rules that match them, jumps from the built-in chains included ({@code iptables-restore
 * --noflush}); the virtual servers ({@code ipvsadm-restore}), the part printed by default.
 * The node script mirrors {@code IpvsBackend.prepareNode}, {@code ensureInterface} and {@code bind}.
 * Alternatively {@code script} is all of it in one shell script.
 */
final class IpvsToolInput implements ToolInput {
    private final String iptablesRestore;

    IpvsToolInput(String iptablesRestore) {
        this.iptablesRestore = iptablesRestore;
    }

    @Override
    public List<Part> parts(RuleSet rules, ProxyConfig config) {
        IpvsParts p = IpvsRenderer.parts(rules);
        return List.of(
                new Part("node", "sh", nodeScript(p.boundAddresses(), config.ipvs())),
                new Part("ipset", "ipset restore", p.ipset()),
                new Part("iptables", iptablesRestore + " --noflush", p.iptables()),
                new Part("ipvsadm", "ipvsadm-restore", p.ipvsadm()));
    }

    /**
     * {@code script}: every part in one shell script ({@code IpvsParts.shellScript()}), followed by the
     * node settings of the configuration that the renderer does not know (strictARP, IPVS timeouts).
     */
    @Override
    public List<Part> alternatives(RuleSet rules, ProxyConfig config) {
        StringBuilder script = new StringBuilder(IpvsRenderer.parts(rules).shellScript());
        settings(script, config.ipvs());
        return List.of(new Part("script", "sh", script.toString()));
    }

    /** The virtual servers, as {@code sluice render … | ipvsadm-restore} expects; the note names the other parts. */
    @Override
    public String mainPart(List<Part> parts) {
        return "ipvsadm";
    }

    private static String nodeScript(List<String> bound, ProxyConfig.Ipvs ipvs) {
        StringBuilder out = new StringBuilder("set -e\n");
        out.append("sysctl -w net.ipv4.vs.conntrack=1 net.ipv4.vs.expire_nodest_conn=1 net.ipv4.vs.expire_quiescent_template=1"
                + " net.ipv4.ip_forward=1\n");
        settings(out, ipvs);
        out.append("ip link show dev ").append(IpvsNames.DUMMY_INTERFACE).append(" >/dev/null 2>&1 || ip link add ")
                .append(IpvsNames.DUMMY_INTERFACE).append(" type dummy\n");
        for (String a : bound) {
            out.append("ip address replace ").append(a).append(a.contains(":") ? "/128" : "/32")
                    .append(" dev ").append(IpvsNames.DUMMY_INTERFACE).append('\n');
        }
        return out.toString();
    }

    /** strictARP and IPVS timeouts, as IpvsBackend sets them. */
    private static void settings(StringBuilder out, ProxyConfig.Ipvs ipvs) {
        if (ipvs.strictARP()) {
            out.append("sysctl -w net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.all.arp_announce=2\n");
        }
        if (!ipvs.tcpTimeout().isZero() || !ipvs.tcpFinTimeout().isZero() || !ipvs.udpTimeout().isZero()) {
            out.append("ipvsadm --set ").append(seconds(ipvs.tcpTimeout())).append(' ').append(seconds(ipvs.tcpFinTimeout()))
                    .append(' ').append(seconds(ipvs.udpTimeout())).append('\n');
        }
    }

    private static String seconds(Duration d) {
        return Long.toString(d.toSeconds());
    }
}
