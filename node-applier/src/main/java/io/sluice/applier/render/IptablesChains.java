package io.sluice.applier.render;

import io.sluice.schema.model.ObjectKey;
import io.sluice.schema.model.Protocol;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;

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

    private final NodeContext node;
    private final RenderOptions options;
    /** table → shared chain → node-wide lines before / after the fragments' contributions. */
    private final Map<String, Map<String, List<String>>> head;
    private final Map<String, Map<String, List<String>>> tail;
    private final SortedMap<PortKey, Fragment> fragments;
    private final Map<ObjectKey, List<PortKey>> portsByService;
    /** table → chain → lines: owned and shared chains together. */
    private final Map<String, Map<String, List<String>>> tables;
    private final int endpointChains;
    private volatile String fingerprint;

    private IptablesChains(NodeContext node, RenderOptions options, Map<String, Map<String, List<String>>> head,
            Map<String, Map<String, List<String>>> tail, SortedMap<PortKey, Fragment> fragments,
            Map<ObjectKey, List<PortKey>> portsByService, Map<String, Map<String, List<String>>> tables) {
        this.node = node;
        this.options = options;
        this.head = head;
        this.tail = tail;
        this.fragments = fragments;
        this.portsByService = portsByService;
        Map<String, Map<String, List<String>>> frozen = new LinkedHashMap<>();
        for (String t : TABLES) {
            frozen.put(t, Collections.unmodifiableMap(tables.getOrDefault(t, Map.of())));
        }
        this.tables = Collections.unmodifiableMap(frozen);
        this.endpointChains = fragments.values().stream().mapToInt(f -> f.endpointChains).sum();
    }

    /** A model of {@code fragments} on top of the node-wide {@code head} and {@code tail}. */
    static IptablesChains of(NodeContext node, RenderOptions options, Map<String, Map<String, List<String>>> head,
            Map<String, Map<String, List<String>>> tail, List<Fragment> fragments) {
        SortedMap<PortKey, Fragment> byKey = new TreeMap<>();
        Map<ObjectKey, List<PortKey>> byService = new HashMap<>();
        Map<String, Map<String, List<String>>> tables = emptyTables(head);
        for (Fragment f : fragments) {
            byKey.put(f.key, f);
            byService.computeIfAbsent(f.service, s -> new ArrayList<>()).add(f.key);
            putOwned(tables, f);
        }
        for (String t : head.keySet()) {
            for (String chain : head.get(t).keySet()) {
                tables.get(t).put(chain, joinShared(t, chain, head, tail, byKey));
            }
        }
        return new IptablesChains(node, options, head, tail, byKey, freezeLists(byService), tables);
    }

    /**
     * This model with the fragments of {@code services} replaced by {@code replacements} (all of
     * those Services' ports now; none for a Service that went or is ignored). Every other chain's
     * line list is shared with this model.
     */
    IptablesChains with(Set<ObjectKey> services, List<Fragment> replacements) {
        SortedMap<PortKey, Fragment> byKey = new TreeMap<>(fragments);
        Map<ObjectKey, List<PortKey>> byService = new HashMap<>(portsByService);
        Map<String, Map<String, List<String>>> next = new HashMap<>();
        tables.forEach((t, cs) -> next.put(t, new HashMap<>(cs)));
        Map<PortKey, Fragment> removed = new HashMap<>();
        for (ObjectKey s : services) {
            for (PortKey k : byService.getOrDefault(s, List.of())) {
                Fragment f = byKey.remove(k);
                removed.put(k, f);
                f.owned.forEach((t, cs) -> cs.keySet().forEach(next.get(t)::remove));
            }
            byService.remove(s);
        }
        Set<String> dirty = new TreeSet<>();
        Map<PortKey, Fragment> added = new HashMap<>();
        for (Fragment f : replacements) {
            byKey.put(f.key, f);
            added.put(f.key, f);
            byService.computeIfAbsent(f.service, s -> new ArrayList<>()).add(f.key);
            putOwned(next, f);
        }
        Set<PortKey> touched = new HashSet<>(removed.keySet());
        touched.addAll(added.keySet());
        for (PortKey k : touched) {
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
            next.get(t).put(chain, joinShared(t, chain, head, tail, byKey));
        }
        return new IptablesChains(node, options, head, tail, byKey, freezeLists(byService), next);
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
        String f = fingerprint;
        if (f == null) {
            long sum = 0;
            for (Fragment fr : fragments.values()) {
                sum += fr.hash();
            }
            for (String t : head.keySet()) {
                for (String chain : head.get(t).keySet()) {
                    sum += chainHash(t, chain, tables.get(t).get(chain));
                }
            }
            f = String.format("chains-fnv64:%016x", sum);
            fingerprint = f;
        }
        return f;
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
            Map<String, List<String>> cs = tables.get(t);
            String[] names = cs.keySet().toArray(String[]::new);
            Arrays.sort(names);
            out.append('*').append(t).append('\n');
            for (String chain : names) {
                out.append(':').append(chain).append(" - [0:0]\n");
            }
            for (String chain : names) {
                for (String line : cs.get(chain)) {
                    out.append(line).append('\n');
                }
            }
            out.append("COMMIT\n");
        }
        return out.toString();
    }

    private static Map<String, Map<String, List<String>>> emptyTables(Map<String, Map<String, List<String>>> head) {
        Map<String, Map<String, List<String>>> tables = new HashMap<>();
        for (String t : TABLES) {
            tables.put(t, new HashMap<>());
        }
        head.keySet().forEach(t -> tables.computeIfAbsent(t, x -> new HashMap<>()));
        return tables;
    }

    private static void putOwned(Map<String, Map<String, List<String>>> tables, Fragment f) {
        f.owned.forEach((t, cs) -> {
            Map<String, List<String>> into = tables.computeIfAbsent(t, x -> new HashMap<>());
            cs.forEach((chain, lines) -> {
                if (into.putIfAbsent(chain, lines) != null) {
                    throw new IllegalStateException("chain " + t + "/" + chain + " of " + f.key.name()
                            + " is also another Service port's (a chain-name collision)");
                }
            });
        });
    }

    private static List<String> joinShared(String table, String chain, Map<String, Map<String, List<String>>> head,
            Map<String, Map<String, List<String>>> tail, SortedMap<PortKey, Fragment> fragments) {
        List<String> out = new ArrayList<>(head.get(table).get(chain));
        for (Fragment f : fragments.values()) {
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

    private static Map<ObjectKey, List<PortKey>> freezeLists(Map<ObjectKey, List<PortKey>> byService) {
        byService.replaceAll((k, v) -> List.copyOf(v));
        return byService;
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

    /** For tests: the fragment count. */
    int fragmentCount() {
        return fragments.size();
    }
}
