package io.sluice.applier.backend;

import io.sluice.applier.render.IptablesChainNames;
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

    /** The jumps the ClusterIP walking skeleton needs. */
    public static List<IptablesJump> defaults() {
        String portals = "sluice service portals";
        return List.of(
                nat("PREROUTING", IptablesChainNames.SERVICES, portals),
                nat("OUTPUT", IptablesChainNames.SERVICES, portals),
                nat("POSTROUTING", IptablesChainNames.POSTROUTING, "sluice postrouting rules"),
                newConnections("INPUT", portals),
                newConnections("FORWARD", portals),
                newConnections("OUTPUT", portals));
    }

    private static IptablesJump nat(String builtin, String target, String comment) {
        return new IptablesJump("nat", IptablesRule.append(builtin).comment(comment).jump(target));
    }

    private static IptablesJump newConnections(String builtin, String comment) {
        return new IptablesJump("filter", IptablesRule.append(builtin)
                .match("conntrack", "--ctstate", "NEW").comment(comment).jump(IptablesChainNames.SERVICES));
    }
}
