package io.sluice.applier.backend;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The {@code iptables-restore --noflush} input that turns what the kernel holds into what is
 * wanted, sending only the difference (ARCHITECTURE.md, measured facts: rewriting an unchanged
 * 10,000-Service table costs minutes, the changed chains alone a fraction of a second):
 * <ul>
 *   <li>a chain that is new or whose rules differ is declared (which flushes it) and refilled;</li>
 *   <li>a long chain that differs in a few rules (the SLUICE-SERVICES dispatch chain when a Service
 *       comes or goes) is edited in place instead: {@code -D} of the rules that went (by their
 *       text, so a kernel that does not hold them refuses the whole transaction), then {@code -I}
 *       of the new ones at their positions; only when the kernel's chain is known exactly;</li>
 *   <li>a chain that is no longer wanted is flushed (declared) and deleted ({@code -X}) before
 *       COMMIT, kube-proxy's way;</li>
 *   <li>an equal chain, and a table with no difference, are not mentioned at all.</li>
 * </ul>
 * When the kernel's side was read back ({@link IptablesRules#canonical()}), rules are compared in
 * canonical form, so the kernel's way of printing them does not count as a difference. Pure.
 */
final class IptablesDelta {
    /** Chains shorter than this are rewritten whole: a redeclaration costs no more than edits. */
    static final int EDIT_MIN_RULES = 32;
    /** At most this many edits, and at most one per this many rules, else the chain is rewritten. */
    static final int EDIT_MAX = 512;
    static final int EDIT_RULES_PER_EDIT = 8;

    private IptablesDelta() {
    }

    /**
     * The input and what it changes.
     *
     * @param input        restore input; empty when nothing differs
     * @param written      "table/CHAIN" declared and refilled, or edited
     * @param deleted      "table/CHAIN" deleted
     * @param rulesWritten per table, rules sent ({@code -A} and {@code -I} lines)
     * @param edited       "table/CHAIN" edited rule by rule (a subset of written)
     */
    record Plan(String input, Set<String> written, Set<String> deleted, Map<String, Integer> rulesWritten, Set<String> edited) {
        boolean isEmpty() {
            return input.isEmpty();
        }
    }

    /**
     * @param kernel what the kernel holds (exactly, from Sluice's own writes, or canonical, read back)
     * @param wanted the rendered rules, with every chain they need (jump targets included)
     */
    static Plan plan(IptablesRules kernel, IptablesRules wanted) {
        Objects.requireNonNull(kernel, "kernel");
        Objects.requireNonNull(wanted, "wanted");
        boolean canonical = kernel.canonical();
        StringBuilder input = new StringBuilder();
        Set<String> written = new TreeSet<>();
        Set<String> deleted = new TreeSet<>();
        Set<String> edited = new TreeSet<>();
        Map<String, Integer> rulesWritten = new TreeMap<>();
        // When the wanted model was patched from the very model the kernel holds, only the chains the
        // patch touched can differ: compare those (a handful) instead of every chain (60,000 at 10k Services).
        Map<String, Set<String>> only = canonical ? null : touched(kernel, wanted);
        Set<String> tables = new TreeSet<>(kernel.tables());
        tables.addAll(wanted.tables());
        for (String table : tables) {
            Map<String, List<String>> have = kernel.chains(table);
            Map<String, List<String>> want = wanted.chains(table);
            if (only != null) {
                Set<String> names = only.getOrDefault(table, Set.of());
                Map<String, List<String>> w = new TreeMap<>();
                Map<String, List<String>> h = new TreeMap<>();
                for (String c : names) {
                    if (want.get(c) != null) {
                        w.put(c, want.get(c));
                    }
                    if (have.get(c) != null) {
                        h.put(c, have.get(c));
                    }
                }
                want = w;
                have = h;
            }
            List<String> declare = new ArrayList<>();
            Map<String, List<String>> body = new TreeMap<>(); // sorted: the input does not depend on map order
            Map<String, List<String>> edits = new TreeMap<>();
            List<String> remove = new ArrayList<>();
            int rules = 0;
            for (Map.Entry<String, List<String>> e : want.entrySet()) {
                String chain = e.getKey();
                List<String> target = e.getValue();
                List<String> current = have.get(chain);
                if (current != null && current.equals(canonical ? wanted.canonicalRules(table, chain) : target)) {
                    continue;
                }
                written.add(table + "/" + chain);
                List<String> chainEdits = current == null || canonical ? null : edits(chain, current, target);
                if (chainEdits != null) {
                    edited.add(table + "/" + chain);
                    edits.put(chain, chainEdits);
                    rules += (int) chainEdits.stream().filter(l -> l.startsWith("-I ")).count();
                } else {
                    declare.add(chain);
                    body.put(chain, target);
                    rules += target.size();
                }
            }
            for (String chain : have.keySet()) {
                if (!want.containsKey(chain)) {
                    deleted.add(table + "/" + chain);
                    declare.add(chain);
                    remove.add(chain);
                }
            }
            if (declare.isEmpty() && edits.isEmpty()) {
                continue;
            }
            rulesWritten.put(table, rules);
            input.append('*').append(table).append('\n');
            declare.stream().sorted().forEach(c -> input.append(':').append(c).append(" - [0:0]\n"));
            body.values().forEach(ls -> ls.forEach(l -> input.append(l).append('\n')));
            edits.values().forEach(ls -> ls.forEach(l -> input.append(l).append('\n')));
            remove.stream().sorted().forEach(c -> input.append("-X ").append(c).append('\n'));
            input.append("COMMIT\n");
        }
        return new Plan(input.toString(), written, deleted, rulesWritten, edited);
    }

    /** Per table, the chains {@code wanted}'s model changed since {@code kernel}'s; null when that is not known. */
    private static Map<String, Set<String>> touched(IptablesRules kernel, IptablesRules wanted) {
        if (kernel.model() == null || wanted.model() == null) {
            return null;
        }
        return wanted.model().touchedSince(kernel.model()).map(qs -> {
            Map<String, Set<String>> out = new TreeMap<>();
            for (String q : qs) {
                out.computeIfAbsent(q.substring(0, q.indexOf('/')), t -> new TreeSet<>()).add(q.substring(q.indexOf('/') + 1));
            }
            return out;
        }).orElse(null);
    }

    /** {@code -D}/{@code -I} lines for a long chain with few changes, or null to rewrite it whole. */
    static List<String> edits(String chain, List<String> current, List<String> target) {
        if (current.size() < EDIT_MIN_RULES) {
            return null;
        }
        int max = Math.min(EDIT_MAX, current.size() / EDIT_RULES_PER_EDIT);
        LineDiff.Edits d = LineDiff.diff(current, target, max);
        if (d == null || d.size() == 0) {
            return null;
        }
        String append = "-A " + chain + " ";
        List<String> out = new ArrayList<>(d.size());
        for (int i : d.deleted()) {
            out.add("-D " + chain + " " + spec(current.get(i), append));
        }
        for (int j : d.inserted()) {
            out.add("-I " + chain + " " + (j + 1) + " " + spec(target.get(j), append));
        }
        return out;
    }

    private static String spec(String line, String append) {
        if (!line.startsWith(append)) {
            throw new IllegalArgumentException("rule '" + line + "' is not of the form '" + append + "…'");
        }
        return line.substring(append.length());
    }
}
