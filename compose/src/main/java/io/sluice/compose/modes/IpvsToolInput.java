package io.sluice.compose.modes;

import io.sluice.applier.render.IpvsNames;
import io.sluice.applier.render.IpvsParts;
import io.sluice.applier.render.IpvsRenderer;
import io.sluice.applier.render.RuleSet;
import java.util.List;

/**
 * IPVS mode's rule set as four parts, in the order a node without Sluice rules takes them: the
 * ipsets ({@code ipset restore}), the iptables rules that match them ({@code iptables-restore
 * --noflush}, jumps from the built-in chains included), the Service addresses held on the dummy
 * interface (a shell script of {@code ip} commands, as kube-proxy binds them to kube-ipvs0), and
 * the virtual servers ({@code ipvsadm-restore}).
 */
final class IpvsToolInput implements ToolInput {
    private final String iptablesRestore;

    IpvsToolInput(String iptablesRestore) {
        this.iptablesRestore = iptablesRestore;
    }

    @Override
    public List<Part> parts(RuleSet rules) {
        IpvsParts p = IpvsRenderer.parts(rules);
        return List.of(
                new Part("ipset", "ipset restore", p.ipset()),
                new Part("iptables", iptablesRestore + " --noflush", p.iptables()),
                new Part("addresses", "sh", addresses(p.boundAddresses())),
                new Part("ipvsadm", "ipvsadm-restore", p.ipvsadm()));
    }

    /** The virtual servers, as {@code sluice render … | ipvsadm-restore} expects; the note names the other parts. */
    @Override
    public String mainPart(List<Part> parts) {
        return "ipvsadm";
    }

    private static String addresses(List<String> bound) {
        StringBuilder out = new StringBuilder("ip link add " + IpvsNames.DUMMY_INTERFACE + " type dummy 2>/dev/null || true\n");
        for (String a : bound) {
            out.append("ip addr replace ").append(a).append(a.contains(":") ? "/128" : "/32")
                    .append(" dev ").append(IpvsNames.DUMMY_INTERFACE).append('\n');
        }
        return out.toString();
    }
}
