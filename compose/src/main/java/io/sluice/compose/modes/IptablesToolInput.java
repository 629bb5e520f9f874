package io.sluice.compose.modes;

import io.sluice.applier.backend.IptablesJump;
import io.sluice.applier.render.RuleSet;
import io.sluice.compose.config.ProxyConfig;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

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
        Map<String, List<String>> sections = sections(rules.text());
        Map<String, List<IptablesJump>> byTable = new LinkedHashMap<>();
        jumps.forEach(j -> byTable.computeIfAbsent(j.table(), t -> new ArrayList<>()).add(j));
        byTable.forEach((table, tableJumps) -> {
            List<String> lines = sections.computeIfAbsent(table, t -> new ArrayList<>(List.of("*" + t, "COMMIT")));
            Set<String> declared = declared(lines);
            Set<String> missing = new TreeSet<>();
            tableJumps.forEach(j -> {
                if (!declared.contains(j.rule().target())) {
                    missing.add(j.rule().target());
                }
            });
            lines.addAll(lastDeclaration(lines) + 1, missing.stream().map(c -> ":" + c + " - [0:0]").toList());
            lines.addAll(lines.lastIndexOf("COMMIT"), tableJumps.stream().map(j -> "-I" + j.rule().render().substring(2)).toList());
        });
        StringBuilder out = new StringBuilder();
        sections.values().forEach(lines -> lines.forEach(l -> out.append(l).append('\n')));
        return List.of(new Part(part, tool, out.toString()));
    }

    /** The text split by table, in order; comments and blank lines dropped. */
    private static Map<String, List<String>> sections(String text) {
        Map<String, List<String>> sections = new LinkedHashMap<>();
        List<String> current = null;
        for (String line : text.lines().toList()) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            if (line.startsWith("*")) {
                current = new ArrayList<>();
                sections.put(line.substring(1).strip(), current);
            } else if (current == null) {
                throw new IllegalArgumentException("rendered iptables text has a line before any *table line: " + line);
            }
            current.add(line);
        }
        sections.forEach((table, lines) -> {
            if (!"COMMIT".equals(lines.get(lines.size() - 1))) {
                throw new IllegalArgumentException("table " + table + " of the rendered iptables text does not end with COMMIT");
            }
        });
        return sections;
    }

    private static Set<String> declared(List<String> lines) {
        Set<String> chains = new TreeSet<>();
        lines.stream().filter(l -> l.startsWith(":")).forEach(l -> chains.add(l.substring(1).split("\\s+")[0]));
        return chains;
    }

    private static int lastDeclaration(List<String> lines) {
        int last = 0;
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).startsWith(":")) {
                last = i;
            }
        }
        return last;
    }
}
