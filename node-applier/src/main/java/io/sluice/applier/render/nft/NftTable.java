package io.sluice.applier.render.nft;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * One nftables table as Sluice writes it: chains with their rules, sets and maps with their
 * elements. The renderer builds it ({@link #builder}), {@link #toText()} writes it as {@code nft -f}
 * input, {@link NftScript#parse} reads that text back, and {@link NftDiff} compares two of them.
 *
 * <p>The text form is canonical and loads on a node that does not have the table yet:
 * <pre>
 * add table ip sluice { comment "…" ; }
 * add set|map …      (every set and map, by name)
 * add chain …        (every chain, by name: all exist before any rule or element names them)
 * add rule …         (grouped by chain, chains by name, rules in their order)
 * add element …      (grouped by set, sets by name, elements by key)
 * </pre>
 *
 * @param family nft address family: {@code ip} or {@code ip6}
 * @param spec   what follows the name in {@code add table}, e.g. {@code { comment "…" ; }}, or empty
 */
public record NftTable(String family, String name, String spec, SortedMap<String, NftChain> chains,
        SortedMap<String, NftSet> sets) {
    public NftTable {
        NftNames.checkName("family", family);
        NftNames.checkName("table", name);
        spec = Objects.requireNonNullElse(spec, "").strip();
        chains = Collections.unmodifiableSortedMap(new TreeMap<>(chains));
        sets = Collections.unmodifiableSortedMap(new TreeMap<>(sets));
        chains.forEach((n, c) -> check(n, c.name()));
        sets.forEach((n, s) -> check(n, s.name()));
        for (String n : sets.keySet()) {
            if (chains.containsKey(n)) {
                // Not an nft rule, but a name meaning two things would make the text hard to read.
                throw new IllegalArgumentException("table " + family + " " + name + " has a chain and a set named " + n);
            }
        }
    }

    private static void check(String key, String name) {
        if (!key.equals(name)) {
            throw new IllegalArgumentException("entry '" + key + "' holds '" + name + "'");
        }
    }

    /** {@code ip sluice}: how nft commands name the table. */
    public String qualifiedName() {
        return family + " " + name;
    }

    /** Every rule of every chain and every element of every set: for logs and sizes. */
    public int ruleCount() {
        return chains.values().stream().mapToInt(c -> c.rules().size()).sum();
    }

    public int elementCount() {
        return sets.values().stream().mapToInt(s -> s.elements().size()).sum();
    }

    /** The canonical {@code nft -f} text of the whole table (see the class comment for the order). */
    public String toText() {
        StringBuilder out = new StringBuilder();
        out.append(tableLine()).append('\n');
        if (!sets.isEmpty()) {
            out.append('\n');
            sets.values().forEach(s -> out.append(setLine(s)).append('\n'));
        }
        if (!chains.isEmpty()) {
            out.append('\n');
            chains.values().forEach(c -> out.append(chainLine(c)).append('\n'));
        }
        for (NftChain c : chains.values()) {
            if (!c.rules().isEmpty()) {
                out.append('\n');
                c.rules().forEach(r -> out.append(ruleLine(c.name(), r)).append('\n'));
            }
        }
        for (NftSet s : sets.values()) {
            if (!s.elements().isEmpty()) {
                out.append('\n');
                s.elements().values().forEach(e -> out.append(elementLine(s.name(), e)).append('\n'));
            }
        }
        return out.toString();
    }

    String tableLine() {
        return "add table " + qualifiedName() + (spec.isEmpty() ? "" : " " + spec);
    }

    String setLine(NftSet s) {
        return "add " + s.kind() + " " + qualifiedName() + " " + s.name() + " " + s.spec();
    }

    String chainLine(NftChain c) {
        return "add chain " + qualifiedName() + " " + c.name() + (c.spec().isEmpty() ? "" : " " + c.spec());
    }

    String ruleLine(String chain, String rule) {
        return "add rule " + qualifiedName() + " " + chain + " " + rule;
    }

    String elementLine(String set, String body) {
        return "add element " + qualifiedName() + " " + set + " { " + body + " }";
    }

    /** An element as written between the braces of {@code add element}: key, optional comment, optional {@code : value}. */
    static String elementBody(String key, String comment, String value) {
        if (comment != null && comment.contains("\"")) {
            throw new IllegalArgumentException("comment " + comment + " contains a double quote");
        }
        return key.strip() + (comment == null ? "" : " comment \"" + comment + "\"")
                + (value == null ? "" : " : " + value.strip());
    }

    public static Builder builder(String family, String name, String spec) {
        return new Builder(family, name, spec);
    }

    /** Collects chains, rules, sets and elements in any order; {@link #build()} sorts them. */
    public static final class Builder {
        private final String family;
        private final String name;
        private final String spec;
        private final Map<String, String> chainSpecs = new LinkedHashMap<>();
        private final Map<String, List<String>> rules = new LinkedHashMap<>();
        private final Map<String, NftSet> sets = new LinkedHashMap<>();
        private final Map<String, Map<String, String>> elements = new LinkedHashMap<>();

        private Builder(String family, String name, String spec) {
            this.family = family;
            this.name = name;
            this.spec = spec;
        }

        /** Declares a chain; declaring it again with the same spec is a no-op. */
        public Builder chain(String chain, String chainSpec) {
            String s = Objects.requireNonNullElse(chainSpec, "").strip();
            String before = chainSpecs.putIfAbsent(chain, s);
            if (before != null && !before.equals(s)) {
                throw new IllegalStateException("chain " + chain + " declared twice: '" + before + "' and '" + s + "'");
            }
            rules.computeIfAbsent(chain, c -> new ArrayList<>());
            return this;
        }

        public Builder chain(String chain) {
            return chain(chain, "");
        }

        public boolean hasChain(String chain) {
            return chainSpecs.containsKey(chain);
        }

        /** Appends a rule to a declared chain. */
        public Builder rule(String chain, String rule) {
            List<String> list = rules.get(chain);
            if (list == null) {
                throw new IllegalStateException("rule for undeclared chain " + chain + ": " + rule);
            }
            list.add(rule.strip());
            return this;
        }

        public Builder set(String set, String setSpec) {
            return declare(new NftSet(set, false, setSpec, new TreeMap<>()));
        }

        public Builder map(String map, String mapSpec) {
            return declare(new NftSet(map, true, mapSpec, new TreeMap<>()));
        }

        private Builder declare(NftSet s) {
            NftSet before = sets.putIfAbsent(s.name(), s);
            if (before != null && (before.map() != s.map() || !before.spec().equals(s.spec()))) {
                throw new IllegalStateException(s.kind() + " " + s.name() + " declared twice: '" + before.spec()
                        + "' and '" + s.spec() + "'");
            }
            elements.computeIfAbsent(s.name(), n -> new LinkedHashMap<>());
            return this;
        }

        /**
         * Adds an element to a declared set or map. The first element with a given key wins (two
         * Services claiming the same address and port is a user error kube-proxy resolves
         * arbitrarily; here the first in sorted order keeps it). Returns whether it was added.
         *
         * @param comment null for none; must not contain a double quote
         * @param value   the map value (e.g. {@code goto chain}), or null for a set
         */
        public boolean element(String set, String key, String comment, String value) {
            Map<String, String> els = elements.get(set);
            if (els == null) {
                throw new IllegalStateException("element " + key + " for undeclared set " + set);
            }
            if (sets.get(set).map() != (value != null)) {
                throw new IllegalStateException("element " + key + " of " + sets.get(set).kind() + " " + set
                        + (value == null ? " needs a value" : " cannot have a value"));
            }
            return els.putIfAbsent(key.strip(), elementBody(key, comment, value)) == null;
        }

        public NftTable build() {
            SortedMap<String, NftChain> cs = new TreeMap<>();
            chainSpecs.forEach((c, s) -> cs.put(c, new NftChain(c, s, rules.get(c))));
            SortedMap<String, NftSet> ss = new TreeMap<>();
            sets.forEach((n, s) -> ss.put(n, new NftSet(n, s.map(), s.spec(), new TreeMap<>(elements.get(n)))));
            return new NftTable(family, name, spec, cs, ss);
        }
    }
}
