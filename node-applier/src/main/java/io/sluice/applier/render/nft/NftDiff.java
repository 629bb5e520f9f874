package io.sluice.applier.render.nft;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Computes the one {@code nft -f} transaction that turns the tables the kernel holds into the
 * wanted ones, sending only the difference (ARCHITECTURE.md: a full load over 10,000 Services
 * costs tens of seconds, a change of a few map elements and chains well under one).
 *
 * <p>A table the kernel is not known to hold (first apply, or after a failure) is replaced whole
 * in the same transaction: {@code add table} (so the next command cannot fail), {@code delete
 * table}, then its full definition. Otherwise, in this order, so that every command finds what it
 * names and nothing is deleted while still referenced:
 * <ol>
 *   <li>add new chains, sets and maps (empty);</li>
 *   <li>flush changed chains, chains about to be deleted, and chains whose rules name a set
 *       that is re-created;</li>
 *   <li>delete removed and changed elements of surviving sets and maps;</li>
 *   <li>delete removed sets and maps, delete and re-add those whose declaration changed;</li>
 *   <li>delete removed chains; delete and re-add base chains whose hook or priority changed;</li>
 *   <li>add the rules of new and flushed chains;</li>
 *   <li>add new and changed elements (all elements of new and re-created sets).</li>
 * </ol>
 * A change of the table's own declaration or of a regular chain's declaration (a comment) falls
 * back to replacing the table whole: rare, and a regular chain cannot be re-created in place
 * while map elements and rules jump to it.
 *
 * <p>Deleting a chain in the same transaction that removes the last map element pointing to it
 * needs kernel 6.2 or later (kube-proxy defers such deletions by a second for older kernels);
 * on an older kernel the transaction fails, and the backend's next apply replaces the table.
 */
public final class NftDiff {
    private NftDiff() {
    }

    /**
     * The transaction from {@code installed} to {@code wanted}.
     *
     * @param installed what the kernel holds, by {@code family name}; null when unknown (every
     *                  wanted table is then replaced whole)
     * @param wanted    the complete wanted tables; a table of {@code installed} that it lacks is deleted
     */
    public static NftChange between(Map<String, NftTable> installed, NftScript wanted) {
        Acc acc = new Acc();
        Map<String, NftTable> wantedByName = wanted.byName();
        if (installed != null) {
            for (String name : new TreeSet<>(installed.keySet())) {
                if (!wantedByName.containsKey(name)) {
                    acc.line("delete table " + name);
                    acc.deletedTables.add(name);
                    installed.get(name).chains().keySet().forEach(c -> acc.chainsRemoved.add(name + "/" + c));
                }
            }
        }
        for (NftTable after : wanted.tables()) {
            NftTable before = installed == null ? null : installed.get(after.qualifiedName());
            table(before, after, acc);
        }
        return acc.result();
    }

    /** The transaction from one table to another; {@code before} null means unknown. */
    public static NftChange between(NftTable before, NftTable after) {
        Acc acc = new Acc();
        table(before, after, acc);
        return acc.result();
    }

    /**
     * The transaction from the models of {@code installed} to those of {@code wanted}: as
     * {@link #between(Map, NftScript)} on the tables they stand for, with the same text, but where
     * a table's two models share their base (a sync after {@link NftTableModel#with}), only the
     * fragments and element-map shards that differ by reference are looked at.
     *
     * @param installed what the kernel holds, by {@code family name}; null when unknown
     */
    public static NftChange between(Map<String, ? extends NftTableModel<?>> installed, List<? extends NftTableModel<?>> wanted) {
        Acc acc = new Acc();
        Set<String> wantedNames = new TreeSet<>();
        wanted.forEach(t -> wantedNames.add(t.qualifiedName()));
        if (installed != null) {
            for (String name : new TreeSet<>(installed.keySet())) {
                if (!wantedNames.contains(name)) {
                    acc.line("delete table " + name);
                    acc.deletedTables.add(name);
                    acc.chainsRemoved.addAll(installed.get(name).qualifiedChains());
                }
            }
        }
        for (NftTableModel<?> after : wanted) {
            NftTableModel<?> before = installed == null ? null : installed.get(after.qualifiedName());
            model(before, after, acc);
        }
        return acc.result();
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static void model(NftTableModel before, NftTableModel after, Acc acc) {
        if (before == null) {
            String q = after.qualifiedName();
            acc.line("add table " + q);
            acc.line("delete table " + q);
            acc.out.append(after.toText());
            acc.fullTables.add(q);
            acc.chainsWritten.addAll(after.qualifiedChains());
            acc.rules(q, after.ruleCount());
            return;
        }
        if (before.base() != after.base() && !before.base().equals(after.base())) {
            table(before.toTable(), after.toTable(), acc);
            return;
        }
        Changes ch = fragments(before, after);
        if (ch == null) {
            table(before.toTable(), after.toTable(), acc);
            return;
        }
        ch.emit(after.qualifiedName(), acc);
    }

    /** The changes between two models on the same base, from the fragments and element shards that differ; null when the table must be replaced whole. */
    private static <K extends Comparable<K>> Changes fragments(NftTableModel<K> before, NftTableModel<K> after) {
        Changes ch = new Changes();
        ShardedMap.forEachDifference(before.fragments(), after.fragments(), (k, fb, fa) -> {
            if (fb != null && fa != null && fb.equals(fa)) {
                return;
            }
            if (fb != null) {
                fb.chains.forEach(c -> ch.chainsBefore.put(c.name(), c));
                fb.sets.forEach(s -> ch.setsBefore.put(s.name(), s));
            }
            if (fa != null) {
                fa.chains.forEach(c -> ch.chainsAfter.put(c.name(), c));
                fa.sets.forEach(s -> ch.setsAfter.put(s.name(), s));
            }
        });
        for (NftChain a : ch.chainsAfter.values()) {
            NftChain b = ch.chainsBefore.get(a.name());
            if (b != null && !b.spec().equals(a.spec()) && !(a.isBaseChain() && b.isBaseChain())) {
                return null;
            }
        }
        ch.plan();
        if (!ch.replacedSets.isEmpty()) {
            // The base's chains are unchanged, but one naming a re-created set must be refilled too.
            for (NftChain c : after.base().chains().values()) {
                if (referencesAny(c, ch.replacedSets)) {
                    ch.chainsBefore.put(c.name(), c);
                    ch.chainsAfter.put(c.name(), c);
                    ch.refilledChains.add(c.name());
                }
            }
        }
        Set<String> claimed = new TreeSet<>(before.claimedSets());
        claimed.addAll(after.claimedSets());
        for (String set : claimed) {
            ShardedMap.forEachDifference(before.claims(set), after.claims(set), (key, wb, wa) -> {
                String was = wb == null ? null : wb.body();
                String is = wa == null ? null : wa.body();
                if (Objects.equals(was, is)) {
                    return;
                }
                if (was != null) {
                    ch.elementDeletes.computeIfAbsent(set, x -> new TreeSet<>()).add(key);
                }
                if (is != null) {
                    ch.elementAdds.computeIfAbsent(set, x -> new TreeMap<>()).put(key, is);
                }
            });
        }
        ch.ownSetElements();
        return ch;
    }

    private static void table(NftTable before, NftTable after, Acc acc) {
        if (before == null || needsFullReplace(before, after)) {
            acc.line("add table " + after.qualifiedName());
            acc.line("delete table " + after.qualifiedName());
            acc.out.append(after.toText());
            acc.fullTables.add(after.qualifiedName());
            String q = after.qualifiedName() + "/";
            after.chains().keySet().forEach(c -> acc.chainsWritten.add(q + c));
            if (before != null) {
                before.chains().keySet().stream().filter(c -> !after.chains().containsKey(c))
                        .forEach(c -> acc.chainsRemoved.add(q + c));
            }
            acc.rules(after.qualifiedName(), after.ruleCount());
            return;
        }
        Changes ch = new Changes();
        ch.chainsBefore.putAll(before.chains());
        ch.chainsAfter.putAll(after.chains());
        ch.setsBefore.putAll(before.sets());
        ch.setsAfter.putAll(after.sets());
        ch.plan();
        ch.ownSetElements();
        ch.emit(after.qualifiedName(), acc);
    }

    private static boolean needsFullReplace(NftTable before, NftTable after) {
        if (!before.spec().equals(after.spec())) {
            return true;
        }
        for (NftChain a : after.chains().values()) {
            NftChain b = before.chains().get(a.name());
            if (b != null && !b.spec().equals(a.spec()) && !(a.isBaseChain() && b.isBaseChain())) {
                return true;
            }
        }
        return false;
    }

    /**
     * What changes between two tables, or between the changed parts of two models: chains and sets
     * (only those that may differ need be listed on either side) and elements; {@link #emit} writes
     * the transaction in the order of the class comment.
     */
    private static final class Changes {
        final Map<String, NftChain> chainsBefore = new HashMap<>();
        final Map<String, NftChain> chainsAfter = new HashMap<>();
        final Map<String, NftSet> setsBefore = new HashMap<>();
        final Map<String, NftSet> setsAfter = new HashMap<>();
        final Set<String> addedChains = new TreeSet<>();
        final Set<String> removedChains = new TreeSet<>();
        final Set<String> replacedChains = new TreeSet<>();
        final Set<String> refilledChains = new TreeSet<>();
        final Set<String> addedSets = new TreeSet<>();
        final Set<String> removedSets = new TreeSet<>();
        final Set<String> replacedSets = new TreeSet<>();
        final Set<String> keptSets = new TreeSet<>();
        /** Set → keys of elements to delete (removed or changed, in sets that stay). */
        final Map<String, Set<String>> elementDeletes = new TreeMap<>();
        /** Set → key → body of elements to add (new or changed; every element of a new or re-created set). */
        final Map<String, Map<String, String>> elementAdds = new TreeMap<>();

        /** Sorts the listed chains and sets into added, removed, re-created, refilled, kept. */
        void plan() {
            for (NftSet a : setsAfter.values()) {
                NftSet b = setsBefore.get(a.name());
                if (b == null) {
                    addedSets.add(a.name());
                } else if (b.map() != a.map() || !b.spec().equals(a.spec())) {
                    replacedSets.add(a.name());
                } else {
                    keptSets.add(a.name());
                }
            }
            setsBefore.keySet().stream().filter(s -> !setsAfter.containsKey(s)).forEach(removedSets::add);
            for (NftChain a : chainsAfter.values()) {
                NftChain b = chainsBefore.get(a.name());
                if (b == null) {
                    addedChains.add(a.name());
                } else if (!b.spec().equals(a.spec())) {
                    replacedChains.add(a.name()); // base chains only: see needsFullReplace
                } else if (!b.rules().equals(a.rules()) || referencesAny(b, replacedSets)) {
                    refilledChains.add(a.name());
                }
            }
            chainsBefore.keySet().stream().filter(c -> !chainsAfter.containsKey(c)).forEach(removedChains::add);
        }

        /** The element changes of the listed sets: kept ones compared, new and re-created ones whole. */
        void ownSetElements() {
            for (String s : keptSets) {
                NftSet b = setsBefore.get(s);
                NftSet a = setsAfter.get(s);
                if (b.elements() == a.elements()) {
                    continue;
                }
                b.elements().forEach((key, body) -> {
                    if (!body.equals(a.elements().get(key))) {
                        elementDeletes.computeIfAbsent(s, x -> new TreeSet<>()).add(key);
                    }
                });
                a.elements().forEach((key, body) -> {
                    if (!body.equals(b.elements().get(key))) {
                        elementAdds.computeIfAbsent(s, x -> new TreeMap<>()).put(key, body);
                    }
                });
            }
            for (String s : union(addedSets, replacedSets)) {
                if (!setsAfter.get(s).elements().isEmpty()) {
                    elementAdds.computeIfAbsent(s, x -> new TreeMap<>()).putAll(setsAfter.get(s).elements());
                }
            }
        }

        void emit(String q, Acc acc) {
            // 1. new objects, empty
            addedChains.forEach(c -> acc.line(chainLine(q, chainsAfter.get(c))));
            addedSets.forEach(s -> acc.line(setLine(q, setsAfter.get(s))));
            // 2. flush what is refilled or deleted
            union(refilledChains, removedChains, replacedChains).forEach(c -> acc.line("flush chain " + q + " " + c));
            // 3. elements that go away or change, in sets that stay
            elementDeletes.forEach((s, keys) -> keys.forEach(key -> {
                acc.line("delete element " + q + " " + s + " { " + key + " }");
                acc.elementsDeleted++;
            }));
            // 4. sets and maps
            union(removedSets, replacedSets).forEach(s ->
                    acc.line("delete " + setsBefore.get(s).kind() + " " + q + " " + s));
            replacedSets.forEach(s -> acc.line(setLine(q, setsAfter.get(s))));
            // 5. chains
            union(removedChains, replacedChains).forEach(c -> acc.line("delete chain " + q + " " + c));
            replacedChains.forEach(c -> acc.line(chainLine(q, chainsAfter.get(c))));
            // 6. rules
            int rules = 0;
            for (String c : union(addedChains, refilledChains, replacedChains)) {
                for (String r : chainsAfter.get(c).rules()) {
                    acc.line("add rule " + q + " " + c + " " + r);
                    rules++;
                }
                acc.chainsWritten.add(q + "/" + c);
            }
            removedChains.forEach(c -> acc.chainsRemoved.add(q + "/" + c));
            // 7. elements
            elementAdds.forEach((s, els) -> els.values().forEach(body -> {
                acc.line("add element " + q + " " + s + " { " + body + " }");
                acc.elementsAdded++;
            }));
            acc.chainsAdded += addedChains.size() + replacedChains.size();
            acc.chainsRefilled += refilledChains.size();
            acc.chainsDeleted += removedChains.size() + replacedChains.size();
            acc.setsAdded += addedSets.size() + replacedSets.size();
            acc.setsDeleted += removedSets.size() + replacedSets.size();
            if (rules > 0) {
                acc.rules(q, rules);
            }
        }

        private static String chainLine(String q, NftChain c) {
            return "add chain " + q + " " + c.name() + (c.spec().isEmpty() ? "" : " " + c.spec());
        }

        private static String setLine(String q, NftSet s) {
            return "add " + s.kind() + " " + q + " " + s.name() + " " + s.spec();
        }
    }

    /** Whether a rule of the chain names one of the sets ({@code @name} as a whole word). */
    static boolean referencesAny(NftChain chain, Set<String> sets) {
        if (sets.isEmpty()) {
            return false;
        }
        for (String rule : chain.rules()) {
            for (String word : rule.split("[\\s{},]+")) {
                if (word.startsWith("@") && sets.contains(word.substring(1))) {
                    return true;
                }
            }
        }
        return false;
    }

    @SafeVarargs
    private static Set<String> union(Set<String>... sets) {
        Set<String> u = new TreeSet<>();
        for (Set<String> s : sets) {
            u.addAll(s);
        }
        return u;
    }

    private static final class Acc {
        final StringBuilder out = new StringBuilder();
        final List<String> fullTables = new ArrayList<>();
        final List<String> deletedTables = new ArrayList<>();
        int chainsAdded;
        int chainsRefilled;
        int chainsDeleted;
        int setsAdded;
        int setsDeleted;
        int elementsAdded;
        int elementsDeleted;
        final Set<String> chainsWritten = new TreeSet<>();
        final Set<String> chainsRemoved = new TreeSet<>();
        final Map<String, Integer> rulesWritten = new TreeMap<>();

        void rules(String table, int n) {
            rulesWritten.merge(table, n, Integer::sum);
        }

        void line(String l) {
            out.append(Objects.requireNonNull(l)).append('\n');
        }

        NftChange result() {
            return new NftChange(out.toString(), fullTables, deletedTables, chainsAdded, chainsRefilled, chainsDeleted,
                    setsAdded, setsDeleted, elementsAdded, elementsDeleted, chainsWritten, chainsRemoved, rulesWritten);
        }
    }
}
