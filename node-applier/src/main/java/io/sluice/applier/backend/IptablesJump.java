package io.sluice.applier.backend;

import static io.sluice.applier.render.IptablesChainNames.EXTERNAL_SERVICES;
import static io.sluice.applier.render.IptablesChainNames.FORWARD;
import static io.sluice.applier.render.IptablesChainNames.NODEPORTS;
import static io.sluice.applier.render.IptablesChainNames.POSTROUTING;
import static io.sluice.applier.render.IptablesChainNames.PROXY_FIREWALL;
import static io.sluice.applier.render.IptablesChainNames.SERVICES;

import io.sluice.applier.render.IptablesRule;
import java.util.List;

/**
 * A rule in a built-in chain that sends traffic into a Sluice chain; kept outside the restore
 * input because Sluice must not flush chains it does not own. kube-proxy's iptablesJumpChains.
 *
 * @param table the table, "nat" or "filter"
 * @param rule  the rule, its chain a built-in one (PREROUTING, OUTPUT, …)
 */
public record IptablesJump(String table, IptablesRule rule) {

    /** The Sluice chain it jumps to, as "table/CHAIN". */
    public String qualifiedTarget() {
        return table + "/" + rule.target();
    }

    /**
     * kube-proxy's iptablesJumpChains, in its order. Each is inserted at the top of its built-in
     * chain in turn ({@code -I}), so in the kernel the last of a chain's jumps comes first.
     */
    public static List<IptablesJump> defaults() {
        String portals = "sluice service portals";
        String external = "sluice externally-visible service portals";
        String firewall = "sluice load balancer firewall";
        return List.of(
                filterNew("INPUT", EXTERNAL_SERVICES, external),
                filterNew("FORWARD", EXTERNAL_SERVICES, external),
                new IptablesJump("filter", IptablesRule.append("INPUT").comment("sluice health check service ports")
                        .jump(NODEPORTS)),
                filterNew("FORWARD", SERVICES, portals),
                filterNew("OUTPUT", SERVICES, portals),
                new IptablesJump("filter", IptablesRule.append("FORWARD").comment("sluice forwarding rules").jump(FORWARD)),
                filterNew("INPUT", PROXY_FIREWALL, firewall),
                filterNew("OUTPUT", PROXY_FIREWALL, firewall),
                filterNew("FORWARD", PROXY_FIREWALL, firewall),
                nat("OUTPUT", SERVICES, portals),
                nat("PREROUTING", SERVICES, portals),
                nat("POSTROUTING", POSTROUTING, "sluice postrouting rules"));
    }

    private static IptablesJump nat(String builtin, String target, String comment) {
        return new IptablesJump("nat", IptablesRule.append(builtin).comment(comment).jump(target));
    }

    private static IptablesJump filterNew(String builtin, String target, String comment) {
        return new IptablesJump("filter", IptablesRule.append(builtin)
                .match("conntrack", "--ctstate", "NEW").comment(comment).jump(target));
    }
}
