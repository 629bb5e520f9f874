package io.sluice.applier.backend;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Builds {@code iptables-restore --noflush} input from a rendered text plus, per table, chains to
 * create empty and chains to delete. A chain to delete is declared (which flushes it, dropping its
 * own jumps into other doomed chains) and then deleted with {@code -X} just before COMMIT, all in
 * the table's one transaction: kube-proxy's way of removing stale chains.
 */
final class RestoreInput {
    private RestoreInput() {
    }

    /**
     * @param text     iptables-restore input, one or more {@code *table … COMMIT} sections
     * @param declare  "table/CHAIN" to add as empty chains when the text does not declare them
     * @param delete   "table/CHAIN" to flush and delete
     */
    static String build(String text, Set<String> declare, Set<String> delete) {
        Map<String, List<String>> sections = sections(text);
        Map<String, Set<String>> declareByTable = byTable(declare);
        Map<String, Set<String>> deleteByTable = byTable(delete);
        for (String table : union(declareByTable.keySet(), deleteByTable.keySet())) {
            List<String> lines = sections.computeIfAbsent(table, t -> new ArrayList<>(List.of("*" + t, "COMMIT")));
            Set<String> declared = declaredChains(lines);
            List<String> newDeclarations = new ArrayList<>();
            for (String c : union(declareByTable.getOrDefault(table, Set.of()), deleteByTable.getOrDefault(table, Set.of()))) {
                if (!declared.contains(c)) {
                    newDeclarations.add(":" + c + " - [0:0]");
                }
            }
            lines.addAll(lastDeclarationIndex(lines) + 1, newDeclarations);
            int commit = lines.lastIndexOf("COMMIT");
            lines.addAll(commit, deleteByTable.getOrDefault(table, Set.of()).stream().map(c -> "-X " + c).toList());
        }
        StringBuilder out = new StringBuilder();
        sections.values().forEach(lines -> lines.forEach(l -> out.append(l).append('\n')));
        return out.toString();
    }

    /**
     * Input that gives an empty node everything the backend would install: the rendered tables plus
     * the jumps from the built-in chains (which the backend keeps outside its restore input and
     * inserts with {@code iptables -I}) as {@code -I} lines in the backend's order, and an empty
     * declaration of any jump target the text does not declare. Works with plain
     * {@code iptables-restore} and with {@code --noflush}.
     */
    static String withJumps(String text, List<IptablesJump> jumps) {
        Map<String, List<String>> sections = sections(text);
        Map<String, List<IptablesJump>> byTable = new LinkedHashMap<>();
        jumps.forEach(j -> byTable.computeIfAbsent(j.table(), t -> new ArrayList<>()).add(j));
        byTable.forEach((table, tableJumps) -> {
            List<String> lines = sections.computeIfAbsent(table, t -> new ArrayList<>(List.of("*" + t, "COMMIT")));
            Set<String> declared = declaredChains(lines);
            Set<String> missing = new TreeSet<>();
            tableJumps.forEach(j -> {
                if (!declared.contains(j.rule().target())) {
                    missing.add(j.rule().target());
                }
            });
            lines.addAll(lastDeclarationIndex(lines) + 1, missing.stream().map(c -> ":" + c + " - [0:0]").toList());
            lines.addAll(lines.lastIndexOf("COMMIT"), tableJumps.stream().map(j -> "-I" + j.rule().render().substring(2)).toList());
        });
        StringBuilder out = new StringBuilder();
        sections.values().forEach(lines -> lines.forEach(l -> out.append(l).append('\n')));
        return out.toString();
    }

    /** The text split into tables, in their order; comment and blank lines dropped. */
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
                throw new IllegalArgumentException("rule text has a line before any *table line: " + line);
            }
            current.add(line);
        }
        sections.forEach((table, lines) -> {
            if (!"COMMIT".equals(lines.get(lines.size() - 1))) {
                throw new IllegalArgumentException("table " + table + " of the rule text does not end with COMMIT");
            }
        });
        return sections;
    }

    private static Set<String> declaredChains(List<String> lines) {
        Set<String> chains = new TreeSet<>();
        for (String l : lines) {
            if (l.startsWith(":")) {
                chains.add(l.substring(1).split("\\s+")[0]);
            }
        }
        return chains;
    }

    private static int lastDeclarationIndex(List<String> lines) {
        int last = 0; // the *table line
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).startsWith(":")) {
                last = i;
            }
        }
        return last;
    }

    static Map<String, Set<String>> byTable(Set<String> qualified) {
        Map<String, Set<String>> out = new LinkedHashMap<>();
        for (String q : new TreeSet<>(qualified)) {
            int slash = q.indexOf('/');
            if (slash <= 0 || slash == q.length() - 1) {
                throw new IllegalArgumentException("chain '" + q + "' is not of the form table/CHAIN");
            }
            out.computeIfAbsent(q.substring(0, slash), t -> new TreeSet<>()).add(q.substring(slash + 1));
        }
        return out;
    }

    private static Set<String> union(Set<String> a, Set<String> b) {
        Set<String> u = new TreeSet<>(a);
        u.addAll(b);
        return u;
    }
}
