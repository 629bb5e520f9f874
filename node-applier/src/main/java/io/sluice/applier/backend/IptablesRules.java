package io.sluice.applier.backend;

import io.sluice.applier.render.IptablesChains;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Sluice's chains of one iptables flavour, table by table: chain → its {@code -A} lines in order;
 * plus, when read from the kernel, the jumps into Sluice's chains found in other chains.
 *
 * <p>Two sources: rendered {@code iptables-restore} input ({@link #parseRendered}, lines as
 * written) and {@code iptables-save} output ({@link #parseSave}, Sluice's chains only, lines in
 * {@link IptablesCanonical} form). {@link #canonical()} says which form the lines are in. Immutable.
 */
final class IptablesRules {
    static final String PREFIX = "SLUICE-";

    /** table → chain (sorted) → rule lines, in order. */
    private final Map<String, Map<String, List<String>>> tables;
    /** table → canonical jump lines from chains not Sluice's into Sluice's (only from the kernel). */
    private final Map<String, List<String>> jumps;
    private final boolean canonical;
    /** "table/CHAIN" → its rules in canonical form, computed when first asked for. */
    private final Map<String, Canon> canonicalMemo = new ConcurrentHashMap<>();

    /** The renderer's model these rules wrap ({@link #of(IptablesChains)}), else null. */
    private final IptablesChains model;

    private IptablesRules(Map<String, Map<String, List<String>>> tables, Map<String, List<String>> jumps, boolean canonical) {
        this(tables, jumps, canonical, null);
    }

    private IptablesRules(Map<String, Map<String, List<String>>> tables, Map<String, List<String>> jumps, boolean canonical,
            IptablesChains model) {
        this.tables = tables;
        this.jumps = jumps;
        this.canonical = canonical;
        this.model = model;
    }

    /** The renderer's model behind these rules, or null when they were parsed from text. */
    IptablesChains model() {
        return model;
    }

    static IptablesRules empty() {
        return new IptablesRules(Map.of(), Map.of(), false);
    }

    /**
     * The renderer's model as it stands, not copied: its (unsorted) chain maps and line lists are
     * shared, so comparing this with the model of the previous sync finds unchanged chains by
     * reference.
     */
    static IptablesRules of(IptablesChains chains) {
        return new IptablesRules(chains.tables(), Map.of(), false, chains);
    }

    /**
     * {@link #of(IptablesChains)}, keeping the canonical forms {@code previous} computed for chains
     * whose line lists this model shares (the canary's node-wide chains, checked after every sync).
     */
    static IptablesRules of(IptablesChains chains, IptablesRules previous) {
        IptablesRules r = of(chains);
        if (previous != null) {
            previous.canonicalMemo.forEach((q, canon) -> {
                String table = q.substring(0, q.indexOf('/'));
                if (r.rules(table, q.substring(q.indexOf('/') + 1)) == canon.source()) {
                    r.canonicalMemo.put(q, canon);
                }
            });
        }
        return r;
    }

    /** A chain's canonical lines and the line list they were computed from. */
    private record Canon(List<String> source, List<String> lines) {
    }

    /** Rendered restore input: every chain declared, rules grouped by chain, each table ending in COMMIT. */
    static IptablesRules parseRendered(String text) {
        return parse(text, false);
    }

    /** {@code iptables-save} output: only chains named {@code SLUICE-…}, canonicalised; jumps into them collected. */
    static IptablesRules parseSave(String save) {
        return parse(save, true);
    }

    private static IptablesRules parse(String text, boolean fromKernel) {
        Map<String, Map<String, List<String>>> tables = new TreeMap<>();
        Map<String, List<String>> jumps = new TreeMap<>();
        Map<String, List<String>> chains = null;
        String table = null;
        int start = 0;
        int n = text.length();
        while (start < n) {
            int end = text.indexOf('\n', start);
            if (end < 0) {
                end = n;
            }
            String line = text.substring(start, end);
            start = end + 1;
            if (line.isEmpty() || line.charAt(0) == '#') {
                continue;
            }
            char c = line.charAt(0);
            if (c == '*') {
                table = line.substring(1).strip();
                chains = tables.computeIfAbsent(table, t -> new TreeMap<>());
            } else if (chains == null) {
                if (!line.isBlank()) {
                    throw new IllegalArgumentException("rule text has a line before any *table line: " + line);
                }
            } else if (c == ':') {
                String chain = firstWord(line, 1);
                if (!fromKernel || chain.startsWith(PREFIX)) {
                    chains.putIfAbsent(chain, new ArrayList<>());
                }
            } else if (line.startsWith("-A ")) {
                String chain = firstWord(line, 3);
                if (fromKernel && !chain.startsWith(PREFIX)) {
                    String canonical = IptablesCanonical.rule(line);
                    if (jumpsIntoSluice(canonical)) {
                        jumps.computeIfAbsent(table, t -> new ArrayList<>()).add(canonical);
                    }
                    continue;
                }
                List<String> rules = chains.get(chain);
                if (rules == null) {
                    throw new IllegalArgumentException("rule for undeclared chain " + table + "/" + chain + ": " + line);
                }
                rules.add(fromKernel ? IptablesCanonical.rule(line) : line.stripTrailing());
            } else if (line.strip().equals("COMMIT")) {
                chains = null;
            } else if (!line.isBlank()) {
                throw new IllegalArgumentException("unexpected line in table " + table + ": " + line);
            }
        }
        if (chains != null && !fromKernel) {
            throw new IllegalArgumentException("table " + table + " of the rule text does not end with COMMIT");
        }
        return new IptablesRules(freeze(tables), freezeLists(jumps), fromKernel);
    }

    private static boolean jumpsIntoSluice(String canonicalRule) {
        int j = canonicalRule.lastIndexOf(" -j " + PREFIX);
        int g = canonicalRule.lastIndexOf(" -g " + PREFIX);
        return j >= 0 || g >= 0;
    }

    private static String firstWord(String line, int from) {
        int end = from;
        while (end < line.length() && !Character.isWhitespace(line.charAt(end))) {
            end++;
        }
        return line.substring(from, end);
    }

    /** Whether the lines are in {@link IptablesCanonical} form (read from the kernel, or {@link #canonicalised()}). */
    boolean canonical() {
        return canonical;
    }

    Set<String> tables() {
        return tables.keySet();
    }

    /** Chains of one table (sorted, except for a model from {@link #of(IptablesChains)}); empty when the table has none. */
    Map<String, List<String>> chains(String table) {
        return tables.getOrDefault(table, Map.of());
    }

    /** The rules of table/chain, or null when the chain is absent. */
    List<String> rules(String table, String chain) {
        return chains(table).get(chain);
    }

    /**
     * The rules of table/chain in canonical form, or null when the chain is absent. Only the
     * node-wide chains (the canary's, asked after every sync) are kept once computed; a per-Service
     * chain is canonicalised when asked, so a full comparison does not leave a second copy of
     * every rule on the heap for as long as the model lives (tens of MB at 10,000 Services).
     */
    List<String> canonicalRules(String table, String chain) {
        List<String> rules = rules(table, chain);
        if (rules == null || canonical) {
            return rules;
        }
        if (perServiceChain(chain)) {
            return rules.stream().map(IptablesCanonical::rule).toList();
        }
        return canonicalMemo.computeIfAbsent(table + "/" + chain,
                k -> new Canon(rules, rules.stream().map(IptablesCanonical::rule).toList())).lines();
    }

    private static boolean perServiceChain(String chain) {
        return chain.startsWith("SLUICE-SVC-") || chain.startsWith("SLUICE-SEP-") || chain.startsWith("SLUICE-SVL-")
                || chain.startsWith("SLUICE-EXT-") || chain.startsWith("SLUICE-FW-");
    }

    /** Jumps into Sluice's chains from chains not Sluice's, per table (only for rules read from the kernel). */
    List<String> jumps(String table) {
        return jumps.getOrDefault(table, List.of());
    }

    /** Every chain as "table/CHAIN". */
    Set<String> qualifiedChains() {
        Set<String> out = new TreeSet<>();
        tables.forEach((t, cs) -> cs.keySet().forEach(c -> out.add(t + "/" + c)));
        return out;
    }

    int ruleCount(String table) {
        return chains(table).values().stream().mapToInt(List::size).sum();
    }

    /** The same rules with every line in canonical form. */
    IptablesRules canonicalised() {
        if (canonical) {
            return this;
        }
        Map<String, Map<String, List<String>>> out = new TreeMap<>();
        tables.forEach((t, cs) -> {
            Map<String, List<String>> chains = new TreeMap<>();
            cs.keySet().forEach(c -> chains.put(c, canonicalRules(t, c)));
            out.put(t, chains);
        });
        return new IptablesRules(freeze(out), jumps, true);
    }

    /** The same rules plus empty chains for the "table/CHAIN"s given that it lacks. */
    IptablesRules withEmptyChains(Set<String> qualified) {
        if (qualified.stream().allMatch(q -> rules(q.substring(0, q.indexOf('/')), q.substring(q.indexOf('/') + 1)) != null)) {
            return this;
        }
        Map<String, Map<String, List<String>>> out = new TreeMap<>();
        tables.forEach((t, cs) -> out.put(t, new TreeMap<>(cs)));
        RestoreInput.byTable(qualified).forEach((t, cs) -> {
            Map<String, List<String>> chains = out.computeIfAbsent(t, x -> new TreeMap<>());
            cs.forEach(c -> chains.putIfAbsent(c, List.of()));
        });
        return new IptablesRules(freeze(out), jumps, canonical);
    }

    /** The same rules with these jumps (table → canonical jump lines) instead of its own. */
    IptablesRules withJumps(Map<String, List<String>> tableJumps) {
        Map<String, List<String>> copy = new TreeMap<>();
        tableJumps.forEach((t, js) -> copy.put(t, new ArrayList<>(js)));
        return new IptablesRules(tables, freezeLists(copy), canonical);
    }

    /**
     * As iptables-save would list it (Sluice's chains only, then the jumps into them, sorted: their
     * order among other rules of a built-in chain is not Sluice's): for logs and read-back.
     */
    String text() {
        StringBuilder sb = new StringBuilder();
        Set<String> all = new TreeSet<>(tables.keySet());
        all.addAll(jumps.keySet());
        for (String t : all) {
            sb.append('*').append(t).append('\n');
            Map<String, List<String>> cs = chains(t);
            cs.keySet().forEach(c -> sb.append(':').append(c).append(" - [0:0]\n"));
            cs.values().forEach(rules -> rules.forEach(r -> sb.append(r).append('\n')));
            jumps(t).stream().sorted().forEach(j -> sb.append(j).append('\n'));
            sb.append("COMMIT\n");
        }
        return sb.toString();
    }

    private static Map<String, Map<String, List<String>>> freeze(Map<String, Map<String, List<String>>> tables) {
        Map<String, Map<String, List<String>>> out = new LinkedHashMap<>();
        tables.forEach((t, cs) -> out.put(t, freezeLists(cs)));
        return Collections.unmodifiableMap(out);
    }

    private static Map<String, List<String>> freezeLists(Map<String, List<String>> lists) {
        Map<String, List<String>> out = new LinkedHashMap<>();
        lists.forEach((k, v) -> out.put(k, Collections.unmodifiableList(v instanceof ArrayList<String> a ? a : new ArrayList<>(v))));
        return Collections.unmodifiableMap(out);
    }
}
