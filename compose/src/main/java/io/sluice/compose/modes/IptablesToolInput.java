package io.sluice.compose.modes;

import io.sluice.applier.backend.IptablesJump;
import io.sluice.applier.backend.IptablesRestoreBackend;
import io.sluice.applier.render.RuleSet;
import io.sluice.compose.config.ProxyConfig;
import java.util.List;

/**
 * iptables-restore input that gives an empty node everything {@code IptablesRestoreBackend} would
 * install: the rendered tables, plus the jumps from the built-in chains into Sluice's chains (which
 * the backend keeps outside its restore input and inserts with {@code iptables -I}) and an empty
 * declaration of any jump target the rule set does not declare. Jumps are written as {@code -I}
 * lines in the backend's order, so the built-in chains end up in the same order as after an apply.
 * The text works with plain {@code iptables-restore} and with {@code --noflush} (which keeps rules
 * other software holds in the same tables).
 */
final class IptablesToolInput implements ToolInput {
    private final String part;
    private final String tool;
    private final List<IptablesJump> jumps;

    IptablesToolInput(String part, String tool, List<IptablesJump> jumps) {
        this.part = part;
        this.tool = tool;
        this.jumps = List.copyOf(jumps);
    }

    @Override
    public List<Part> parts(RuleSet rules, ProxyConfig config) {
        return List.of(new Part(part, tool, IptablesRestoreBackend.standaloneInput(rules.text(), jumps)));
    }
}
