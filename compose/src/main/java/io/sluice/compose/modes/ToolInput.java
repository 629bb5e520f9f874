package io.sluice.compose.modes;

import io.sluice.applier.render.RuleSet;
import io.sluice.compose.config.ProxyConfig;
import java.util.List;
import java.util.Objects;

/**
 * Turns a rendered rule set into what the kernel tools take as it stands: on a node with no Sluice
 * rules, feeding every part to its tool, in order, gives the node exactly the state the mode's
 * backend would leave (the backend's own additions included, e.g. the iptables jumps from built-in
 * chains).
 */
@FunctionalInterface
public interface ToolInput {
    /** The parts, in the order they must be applied; {@code config} is what the backend would run with. */
    List<Part> parts(RuleSet rules, ProxyConfig config);

    /**
     * Other forms of the same rules, each complete by itself (IPVS: one shell script doing every
     * part); none by default.
     */
    default List<Part> alternatives(RuleSet rules, ProxyConfig config) {
        return List.of();
    }

    /** The part {@code sluice render} prints when no {@code --part} is given; the first by default. */
    default String mainPart(List<Part> parts) {
        return parts.get(0).name();
    }

    /**
     * One part: its name ({@code --part}), the command that reads it on standard input, and the text.
     */
    record Part(String name, String tool, String text) {
        public Part {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(tool, "tool");
            Objects.requireNonNull(text, "text");
        }
    }

    /** A rule set whose text the tool takes unchanged (nftables: {@code nft -f -}). */
    static ToolInput asIs(String name, String tool) {
        return (rules, config) -> List.of(new Part(name, tool, rules.text()));
    }
}
