package io.sluice.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * iptables-restore text parsed into tables of chains and their rules, and the restore inputs the
 * benchmark's baselines write: the changed chains alone, or kube-proxy's partial sync (the changed
 * chains plus the dispatch chains rewritten whole).
 */
public final class IptablesText {
    /** table → chain → its "-A" lines, in order. */
    private final Map<String, Map<String, List<String>>> tables = new LinkedHashMap<>();

    public static IptablesText parse(String text) {
        IptablesText t = new IptablesText();
        Map<String, List<String>> table = null;
        for (String line : text.split("\n")) {
            if (line.isBlank() || line.startsWith("#") || line.equals("COMMIT")) {
                continue;
            }
            if (line.startsWith("*")) {
                table = t.tables.computeIfAbsent(line.substring(1).strip(), k -> new LinkedHashMap<>());
            } else if (line.startsWith(":")) {
                Objects.requireNonNull(table, "declaration before *table").computeIfAbsent(
                        line.substring(1).split(" ")[0], k -> new ArrayList<>());
            } else if (line.startsWith("-A ")) {
                String chain = line.substring(3, line.indexOf(' ', 3));
                Objects.requireNonNull(table, "rule before *table").computeIfAbsent(chain, k -> new ArrayList<>()).add(line);
            } else {
                throw new IllegalArgumentException("unexpected line in rule text: " + line);
            }
        }
        return t;
    }

    /**
     * Restore input that turns {@code before} into {@code after} by touching only chains whose rules
     * differ, plus {@code alwaysRewrite} chains (kube-proxy's dispatch chains) written whole.
     * Returns null when nothing differs and nothing is to be rewritten.
     */
    public static String diff(IptablesText before, IptablesText after, Set<String> alwaysRewrite) {
        StringBuilder out = new StringBuilder();
        int touched = 0;
        Set<String> tableNames = new java.util.LinkedHashSet<>(before.tables.keySet());
        tableNames.addAll(after.tables.keySet());
        for (String table : tableNames) {
            Map<String, List<String>> b = before.tables.getOrDefault(table, Map.of());
            Map<String, List<String>> a = after.tables.getOrDefault(table, Map.of());
            List<String> declare = new ArrayList<>();
            List<String> rules = new ArrayList<>();
            List<String> delete = new ArrayList<>();
            for (Map.Entry<String, List<String>> e : a.entrySet()) {
                if (alwaysRewrite.contains(e.getKey()) || !e.getValue().equals(b.get(e.getKey()))) {
                    declare.add(":" + e.getKey() + " - [0:0]");
                    rules.addAll(e.getValue());
                }
            }
            for (String chain : b.keySet()) {
                if (!a.containsKey(chain)) {
                    declare.add(":" + chain + " - [0:0]");
                    delete.add("-X " + chain);
                }
            }
            if (declare.isEmpty()) {
                continue;
            }
            touched += declare.size();
            out.append('*').append(table).append('\n');
            declare.forEach(l -> out.append(l).append('\n'));
            rules.forEach(l -> out.append(l).append('\n'));
            delete.forEach(l -> out.append(l).append('\n'));
            out.append("COMMIT\n");
        }
        return touched == 0 ? null : out.toString();
    }

    public int chainCount() {
        return tables.values().stream().mapToInt(Map::size).sum();
    }
}
