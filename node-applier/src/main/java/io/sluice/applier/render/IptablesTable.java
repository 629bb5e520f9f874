package io.sluice.applier.render;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The Sluice part of one iptables table as {@code iptables-restore --noflush} input: every chain
 * declared ({@code :CHAIN - [0:0]}, which also flushes it), then the rules grouped by chain, chains
 * sorted by name (iptables-save's order), rules in the order added, then COMMIT.
 */
public final class IptablesTable {
    private final String name;
    /** Chain → rules; a hash map (tens of thousands of chains at scale), sorted once when written. */
    private final Map<String, List<IptablesRule>> chains = new HashMap<>();

    public IptablesTable(String name) {
        this.name = Objects.requireNonNull(name, "name");
    }

    public String name() {
        return name;
    }

    /** Declares a chain (idempotent); a declared chain with no rules is written empty. */
    public IptablesTable declare(String chain) {
        chains.computeIfAbsent(chain, c -> new ArrayList<>());
        return this;
    }

    /** Adds a rule to its chain, which must have been declared. */
    public IptablesTable add(IptablesRule rule) {
        List<IptablesRule> rules = chains.get(rule.chain());
        if (rules == null) {
            throw new IllegalStateException("rule for undeclared chain " + name + "/" + rule.chain() + ": " + rule);
        }
        rules.add(rule);
        return this;
    }

    /** Declared chains as "table/CHAIN". */
    public List<String> qualifiedChains() {
        return sortedChains().stream().map(c -> name + "/" + c).toList();
    }

    /** Chain → its rules in the order added, unsorted (a live view: do not change it). */
    Map<String, List<IptablesRule>> chainMap() {
        return chains;
    }

    public int ruleCount() {
        return chains.values().stream().mapToInt(List::size).sum();
    }

    public void renderTo(StringBuilder out) {
        List<String> sorted = sortedChains();
        out.append('*').append(name).append('\n');
        for (String chain : sorted) {
            out.append(':').append(chain).append(" - [0:0]\n");
        }
        for (String chain : sorted) {
            for (IptablesRule r : chains.get(chain)) {
                r.renderTo(out);
                out.append('\n');
            }
        }
        out.append("COMMIT\n");
    }

    private List<String> sortedChains() {
        String[] names = chains.keySet().toArray(String[]::new);
        Arrays.sort(names);
        return Arrays.asList(names);
    }
}
