package io.sluice.applier.render;

import io.sluice.schema.model.ObjectKey;
import io.sluice.schema.model.Protocol;
import io.sluice.store.image.PersistentSortedMap;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The iptables rules of one node as a model, not as text: per table, chain → rule lines
 * ({@code -A …}, as {@code iptables-restore} takes them). Built from one {@link Fragment} per
 * Service port plus the node-wide rules, so that a sync after a change renders only the changed
 * Services' fragments and shares every other chain's line list, unchanged and by reference, with
 * the model before it. Backends compare chains by reference first, which makes finding the
 * difference to what the kernel holds O(chains) pointer comparisons instead of parsing and
 * comparing 25 MB of text (docs/PERFORMANCE.md, benchmark 1).
 *
 * <p>Shared chains (the dispatch chains {@code SLUICE-SERVICES}, {@code SLUICE-NODEPORTS}, …) are
 * the node-wide head, the fragments' contributions in {@link ServicePortResolver#ORDER}, then the
 * node-wide tail; they are rebuilt only when a changed fragment's contribution differs.
 *
 * <p>{@link #text()} writes exactly what {@link IptablesTable#renderTo} writes for the same rules
 * (chains sorted, rules in order), so goldens, dry-run files and {@code sluice render} see no
 * difference. Immutable and thread-safe.
 */
public final class IptablesChains {
    /** The tables Sluice writes, in the order of the text. */
    static final List<String> TABLES = List.of(IptablesRenderer.FILTER, IptablesRenderer.NAT);

    /** A Service port: fragments are kept in the resolver's order. */
    record PortKey(ServicePortName name, Protocol protocol) implements Comparable<PortKey> {
        @Override
        public int compareTo(PortKey o) {
            int c = name.compareTo(o.name);
            return c != 0 ? c : protocol.compareTo(o.protocol);
        }
    }

    /**
     * One Service port's rules.
     *
     * @param owned  table → chain → lines of the chains only this port has (SVC, SVL, EXT, FW, SEP)
     * @param shared table → shared chain → the lines this port adds to it (only non-empty ones)
     */
    static final class Fragment {
        final PortKey key;
        final ObjectKey service;
        final Map<String, Map<String, List<String>>> owned;
        final Map<String, Map<String, List<String>>> shared;
        final int endpointChains;
        private long hash;
        private boolean hashed;

        Fragment(PortKey key, ObjectKey service, Map<String, Map<String, List<String>>> owned,
                Map<String, Map<String, List<String>>> shared, int endpointChains) {
            this.key = key;
            this.service = service;
            this.owned = owned;
            this.shared = shared;
            this.endpointChains = endpointChains;
        }

        /** Sum of the owned chains' hashes, computed once. */
        synchronized long hash() {
            if (!hashed) {
                long h = 0;
                for (Map.Entry<String, Map<String, List<String>>> t : owned.entrySet()) {
                    for (Map.Entry<String, List<String>> c : t.getValue().entrySet()) {
                        h += chainHash(t.getKey(), c.getKey(), c.getValue());
                    }
                }
                hash = h;
                hashed = true;
            }
            return hash;
        }
    }

    private static final AtomicLong IDS = new AtomicLong();

    private final NodeContext node;
    private final RenderOptions options;
    /** table → shared chain → node-wide lines before / after the fragments' contributions. */
    private final Map<String, Map<String, List<String>>> head;
    private final Map<String, Map<String, List<String>>> tail;
    /** Persistent (structurally shared) maps: a change copies O(log n) nodes, never the whole map. */
    private final PersistentSortedMap<PortKey, Fragment> fragments;
    private final PersistentSortedMap<ObjectKey, List<PortKey>> portsByService;
    /** table → chain → lines: owned and shared chains together, sorted by chain name. */
    private final Map<String, Map<String, List<String>>> tables;
    private final int endpointChains;
    /** This model's identity, and the model {@link #with} made it from (-1: rendered whole). */
    private final long id;
    private final long derivedFrom;
    /** "table/CHAIN" whose lines differ from (or are absent in) the model it was derived from; null when rendered whole. */
    private final Set<String> touched;
    /** Sum of the chain hashes, once known ({@link #fingerprint()}); carried forward by {@link #with}. */
    private volatile Long hashSum;

    private IptablesChains(NodeContext node, RenderOptions options, Map<String, Map<String, List<String>>> head,
            Map<String, Map<String, List<String>>> tail, PersistentSortedMap<PortKey, Fragment> fragments,
            PersistentSortedMap<ObjectKey, List<PortKey>> portsByService, Map<String, PersistentSortedMap<String, List<String>>> tables,
            int endpointChains, long derivedFrom, Set<String> touched, Long hashSum) {
        this.node = node;
        this.options = options;
        this.head = head;
        this.tail = tail;
        this.fragments = fragments;
        this.portsByService = portsByService;
        Map<String, Map<String, List<String>>> frozen = new LinkedHashMap<>();
        for (String t : TABLES) {
            frozen.put(t, tables.getOrDefault(t, PersistentSortedMap.empty()));
        }
        this.tables = Collections.unmodifiableMap(frozen);
        this.endpointChains = endpointChains;
        this.id = IDS.incrementAndGet();
        this.derivedFrom = derivedFrom;
        this.touched = touched == null ? null : Collections.unmodifiableSet(touched);
        this.hashSum = hashSum;
    }

    /** A model of {@code fragments} on top of the node-wide {@code head} and {@code tail}. */
    static IptablesChains of(NodeContext node, RenderOptions options, Map<String, Map<String, List<String>>> head,
            Map<String, Map<String, List<String>>> tail, List<Fragment> fragments) {
        SortedMap<PortKey, Fragment> byKey = new TreeMap<>();
        Map<ObjectKey, List<PortKey>> byService = new HashMap<>();
        Map<String, SortedMap<String, List<String>>> tables = new HashMap<>();
        for (String t : TABLES) {
            tables.put(t, new TreeMap<>());
        }
        int endpoints = 0;
        for (Fragment f : fragments) {
            byKey.put(f.key, f);
            byService.computeIfAbsent(f.service, s -> new ArrayList<>()).add(f.key);
            f.owned.forEach((t, cs) -> {
                SortedMap<String, List<String>> into = tables.computeIfAbsent(t, x -> new TreeMap<>());
                cs.forEach((chain, lines) -> claim(into, t, chain, lines, f));
            });
            endpoints += f.endpointChains;
        }
        for (String t : head.keySet()) {
            for (String chain : head.get(t).keySet()) {
                tables.computeIfAbsent(t, x -> new TreeMap<>()).put(chain, joinShared(t, chain, head, tail, byKey.values()));
            }
        }
        Map<String, PersistentSortedMap<String, List<String>>> persistent = new HashMap<>();
        tables.forEach((t, cs) -> persistent.put(t, PersistentSortedMap.ofSorted(cs)));
        SortedMap<ObjectKey, List<PortKey>> frozenServices = new TreeMap<>();
        byService.forEach((k, v) -> frozenServices.put(k, List.copyOf(v)));
        return new IptablesChains(node, options, head, tail, PersistentSortedMap.ofSorted(byKey),
                PersistentSortedMap.ofSorted(frozenServices), persistent, endpoints, -1, null, null);
    }

    /**
     * This model with the fragments of {@code services} replaced by {@code replacements} (all of
     * those Services' ports now; none for a Service that went or is ignored). Every other chain's
     * line list is shared with this model; the result knows which chains it changed
     * ({@link #touchedSince}), so a backend holding this model need not compare the others.
     */
    IptablesChains with(Set<ObjectKey> services, List<Fragment> replacements) {
        PersistentSortedMap<PortKey, Fragment> byKey = fragments;
        PersistentSortedMap<ObjectKey, List<PortKey>> byService = portsByService;
        Map<String, PersistentSortedMap<String, List<String>>> next = new HashMap<>();
        tables.forEach((t, cs) -> next.put(t, (PersistentSortedMap<String, List<String>>) cs));
        Set<String> changed = new TreeSet<>();
        Map<PortKey, Fragment> removed = new HashMap<>();
        int endpoints = endpointChains;
        Long sum = hashSum;
        for (ObjectKey s : services) {
            for (PortKey k : byService.getOrDefault(s, List.of())) {
                Fragment f = byKey.get(k);
                byKey = byKey.without(k);
                removed.put(k, f);
                endpoints -= f.endpointChains;
                if (sum != null) {
                    sum -= f.hash();
                }
                for (Map.Entry<String, Map<String, List<String>>> t : f.owned.entrySet()) {
                    PersistentSortedMap<String, List<String>> cs = next.get(t.getKey());
                    for (String chain : t.getValue().keySet()) {
                        cs = cs.without(chain);
                        changed.add(t.getKey() + "/" + chain);
                    }
                    next.put(t.getKey(), cs);
                }
            }
            byService = byService.without(s);
        }
        Map<PortKey, Fragment> added = new HashMap<>();
        Map<ObjectKey, List<PortKey>> addedPorts = new HashMap<>();
        for (Fragment f : replacements) {
            byKey = byKey.with(f.key, f);
            added.put(f.key, f);
            addedPorts.computeIfAbsent(f.service, x -> new ArrayList<>()).add(f.key);
            endpoints += f.endpointChains;
            if (sum != null) {
                sum += f.hash();
            }
            for (Map.Entry<String, Map<String, List<String>>> t : f.owned.entrySet()) {
                PersistentSortedMap<String, List<String>> cs = next.getOrDefault(t.getKey(), PersistentSortedMap.empty());
                for (Map.Entry<String, List<String>> c : t.getValue().entrySet()) {
                    if (cs.containsKey(c.getKey())) {
                        throw new IllegalStateException("chain " + t.getKey() + "/" + c.getKey() + " of " + f.key.name()
                                + " is also another Service port's (a chain-name collision)");
                    }
                    cs = cs.with(c.getKey(), c.getValue());
                    changed.add(t.getKey() + "/" + c.getKey());
                }
                next.put(t.getKey(), cs);
            }
        }
        for (Map.Entry<ObjectKey, List<PortKey>> e : addedPorts.entrySet()) {
            byService = byService.with(e.getKey(), List.copyOf(e.getValue()));
        }
        Set<String> dirty = new TreeSet<>();
        Set<PortKey> touchedPorts = new HashSet<>(removed.keySet());
        touchedPorts.addAll(added.keySet());
        for (PortKey k : touchedPorts) {
            Fragment before = removed.get(k);
            Fragment after = added.get(k);
            Map<String, Map<String, List<String>>> was = before == null ? Map.of() : before.shared;
            Map<String, Map<String, List<String>>> is = after == null ? Map.of() : after.shared;
            if (!was.equals(is)) {
                was.forEach((t, cs) -> cs.keySet().forEach(c -> dirty.add(t + "/" + c)));
                is.forEach((t, cs) -> cs.keySet().forEach(c -> dirty.add(t + "/" + c)));
            }
        }
        for (String q : dirty) {
            String t = q.substring(0, q.indexOf('/'));
            String chain = q.substring(q.indexOf('/') + 1);
            List<String> rebuilt = joinShared(t, chain, head, tail, byKey.values());
            if (sum != null) {
                sum += chainHash(t, chain, rebuilt) - chainHash(t, chain, tables.get(t).get(chain));
            }
            next.put(t, next.get(t).with(chain, rebuilt));
            changed.add(q);
        }
        return new IptablesChains(node, options, head, tail, byKey, byService, next, endpoints, id, changed, sum);
    }

    /**
     * The chains ("table/CHAIN") whose lines differ from {@code model}'s, when this model was made
     * from it by {@link #with}; empty when it was not (compare every chain then).
     */
    public Optional<Set<String>> touchedSince(IptablesChains model) {
        return model != null && model.id == derivedFrom && touched != null ? Optional.of(touched) : Optional.empty();
    }

    /** Whether this model was rendered for this node and these options (else it cannot be patched). */
    boolean renderedFor(NodeContext node, RenderOptions options) {
        return this.node.equals(node) && this.options.equals(options);
    }

    /** Table → chain → rule lines, every chain Sluice owns (unsorted maps; the lists are immutable). */
    public Map<String, Map<String, List<String>>> tables() {
        return tables;
    }

    /** The rule lines of table/chain, or null when the rule set lacks the chain. */
    public List<String> rules(String table, String chain) {
        Map<String, List<String>> cs = tables.get(table);
        return cs == null ? null : cs.get(chain);
    }

    /** Every chain as "table/CHAIN", sorted. */
    public Set<String> qualifiedChains() {
        Set<String> out = new TreeSet<>();
        tables.forEach((t, cs) -> cs.keySet().forEach(c -> out.add(t + "/" + c)));
        return out;
    }

    /** Services with at least one port programmed. */
    public int serviceCount() {
        return portsByService.size();
    }

    public int endpointChains() {
        return endpointChains;
    }

    /** {@code -A} lines per table. */
    public Map<String, Integer> rulesPerTable() {
        Map<String, Integer> out = new TreeMap<>();
        tables.forEach((t, cs) -> out.put(t, cs.values().stream().mapToInt(List::size).sum()));
        return out;
    }

    /**
     * {@code chains-fnv64:<hex>}: the sum (mod 2^64) of a 64-bit FNV-1a hash of every chain (its
     * table, name and lines). Order-independent and cheap to keep current: unchanged fragments keep
     * their hash, so after a one-Service change only that Service's chains and the shared chains are
     * hashed. Two models with equal rules have equal fingerprints, whatever way they were built.
     */
    public String fingerprint() {
        Long sum = hashSum;
        if (sum == null) {
            long total = 0;
            for (Fragment fr : fragments.values()) {
                total += fr.hash();
            }
            for (String t : head.keySet()) {
                for (String chain : head.get(t).keySet()) {
                    total += chainHash(t, chain, tables.get(t).get(chain));
                }
            }
            sum = total;
            hashSum = sum;
        }
        return String.format("chains-fnv64:%016x", sum);
    }

    /** The rules as {@code iptables-restore --noflush} input, exactly as {@link IptablesTable#renderTo} writes them. */
    public String text() {
        long chars = 64;
        for (Map<String, List<String>> cs : tables.values()) {
            for (Map.Entry<String, List<String>> e : cs.entrySet()) {
                chars += e.getKey().length() + 10;
                for (String line : e.getValue()) {
                    chars += line.length() + 1;
                }
            }
        }
        StringBuilder out = new StringBuilder((int) Math.min(Integer.MAX_VALUE - 16, chars));
        for (String t : TABLES) {
            Map<String, List<String>> cs = tables.get(t); // sorted by chain name
            out.append('*').append(t).append('\n');
            for (String chain : cs.keySet()) {
                out.append(':').append(chain).append(" - [0:0]\n");
            }
            for (List<String> lines : cs.values()) {
                for (String line : lines) {
                    out.append(line).append('\n');
                }
            }
            out.append("COMMIT\n");
        }
        return out.toString();
    }

    private static void claim(SortedMap<String, List<String>> into, String table, String chain, List<String> lines, Fragment f) {
        if (into.putIfAbsent(chain, lines) != null) {
            throw new IllegalStateException("chain " + table + "/" + chain + " of " + f.key.name()
                    + " is also another Service port's (a chain-name collision)");
        }
    }

    private static List<String> joinShared(String table, String chain, Map<String, Map<String, List<String>>> head,
            Map<String, Map<String, List<String>>> tail, Iterable<Fragment> fragments) {
        List<String> out = new ArrayList<>(head.get(table).get(chain));
        for (Fragment f : fragments) {
            Map<String, List<String>> cs = f.shared.get(table);
            if (cs != null) {
                List<String> lines = cs.get(chain);
                if (lines != null) {
                    out.addAll(lines);
                }
            }
        }
        Map<String, List<String>> t = tail.get(table);
        if (t != null && t.containsKey(chain)) {
            out.addAll(t.get(chain));
        }
        return Collections.unmodifiableList(out);
    }

    private static final long FNV_OFFSET = 0xcbf29ce484222325L;
    private static final long FNV_PRIME = 0x100000001b3L;

    static long chainHash(String table, String chain, List<String> lines) {
        long h = FNV_OFFSET;
        h = fnv(h, table);
        h = fnv(h, chain);
        for (String line : lines) {
            h = fnv(h, line);
        }
        // Final avalanche (MurmurHash3's fmix64), so that summing chain hashes mixes well.
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        h *= 0xc4ceb9fe1a85ec53L;
        h ^= h >>> 33;
        return h;
    }

    private static long fnv(long h, String s) {
        for (int i = 0; i < s.length(); i++) {
            h ^= s.charAt(i);
            h *= FNV_PRIME;
        }
        h ^= '\n';
        h *= FNV_PRIME;
        return h;
    }

    @Override
    public String toString() {
        return "IptablesChains[" + fragments.size() + " Service ports, " + serviceCount() + " Services]";
    }
}
