package io.sluice.applier.render.nft;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
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

    private static void table(NftTable before, NftTable after, Acc acc) {
        if (before == null || needsFullReplace(before, after)) {
            acc.line("add table " + after.qualifiedName());
            acc.line("delete table " + after.qualifiedName());
            acc.out.append(after.toText());
            acc.fullTables.add(after.qualifiedName());
            return;
        }
        Plan p = new Plan(before, after);
        // 1. new objects, empty
        p.addedChains.forEach(c -> acc.line(after.chainLine(after.chains().get(c))));
        p.addedSets.forEach(s -> acc.line(after.setLine(after.sets().get(s))));
        // 2. flush what is refilled or deleted
        union(p.refilledChains, p.removedChains, p.replacedChains)
                .forEach(c -> acc.line("flush chain " + before.qualifiedName() + " " + c));
        // 3. elements that go away or change, in sets that stay
        for (String s : p.keptSets) {
            NftSet b = before.sets().get(s);
            NftSet a = after.sets().get(s);
            b.elements().forEach((key, body) -> {
                if (!body.equals(a.elements().get(key))) {
                    acc.line("delete element " + before.qualifiedName() + " " + s + " { " + key + " }");
                    acc.elementsDeleted++;
                }
            });
        }
        // 4. sets and maps
        union(p.removedSets, p.replacedSets).forEach(s ->
                acc.line("delete " + before.sets().get(s).kind() + " " + before.qualifiedName() + " " + s));
        p.replacedSets.forEach(s -> acc.line(after.setLine(after.sets().get(s))));
        // 5. chains
        union(p.removedChains, p.replacedChains).forEach(c ->
                acc.line("delete chain " + before.qualifiedName() + " " + c));
        p.replacedChains.forEach(c -> acc.line(after.chainLine(after.chains().get(c))));
        // 6. rules
        for (String c : union(p.addedChains, p.refilledChains, p.replacedChains)) {
            after.chains().get(c).rules().forEach(r -> acc.line(after.ruleLine(c, r)));
        }
        // 7. elements
        for (String s : after.sets().keySet()) {
            NftSet a = after.sets().get(s);
            NftSet b = p.keptSets.contains(s) ? before.sets().get(s) : null;
            a.elements().forEach((key, body) -> {
                if (b == null || !body.equals(b.elements().get(key))) {
                    acc.line(after.elementLine(s, body));
                    acc.elementsAdded++;
                }
            });
        }
        acc.chainsAdded += p.addedChains.size() + p.replacedChains.size();
        acc.chainsRefilled += p.refilledChains.size();
        acc.chainsDeleted += p.removedChains.size() + p.replacedChains.size();
        acc.setsAdded += p.addedSets.size() + p.replacedSets.size();
        acc.setsDeleted += p.removedSets.size() + p.replacedSets.size();
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

    /** Which chains and sets are added, removed, re-created or refilled. */
    private static final class Plan {
        final Set<String> addedChains = new TreeSet<>();
        final Set<String> removedChains = new TreeSet<>();
        final Set<String> replacedChains = new TreeSet<>();
        final Set<String> refilledChains = new TreeSet<>();
        final Set<String> addedSets = new TreeSet<>();
        final Set<String> removedSets = new TreeSet<>();
        final Set<String> replacedSets = new TreeSet<>();
        final Set<String> keptSets = new TreeSet<>();

        Plan(NftTable before, NftTable after) {
            for (String s : after.sets().keySet()) {
                NftSet b = before.sets().get(s);
                NftSet a = after.sets().get(s);
                if (b == null) {
                    addedSets.add(s);
                } else if (b.map() != a.map() || !b.spec().equals(a.spec())) {
                    replacedSets.add(s);
                } else {
                    keptSets.add(s);
                }
            }
            before.sets().keySet().stream().filter(s -> !after.sets().containsKey(s)).forEach(removedSets::add);
            for (NftChain a : after.chains().values()) {
                NftChain b = before.chains().get(a.name());
                if (b == null) {
                    addedChains.add(a.name());
                } else if (!b.spec().equals(a.spec())) {
                    replacedChains.add(a.name()); // base chains only: see needsFullReplace
                } else if (!b.rules().equals(a.rules()) || referencesAny(b, replacedSets)) {
                    refilledChains.add(a.name());
                }
            }
            before.chains().keySet().stream().filter(c -> !after.chains().containsKey(c)).forEach(removedChains::add);
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

        void line(String l) {
            out.append(Objects.requireNonNull(l)).append('\n');
        }

        NftChange result() {
            return new NftChange(out.toString(), fullTables, deletedTables, chainsAdded, chainsRefilled, chainsDeleted,
                    setsAdded, setsDeleted, elementsAdded, elementsDeleted);
        }
    }
}
