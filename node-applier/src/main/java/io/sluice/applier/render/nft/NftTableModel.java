package io.sluice.applier.render.nft;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * One nftables table as a model built from parts: a node-wide {@code base} ({@link NftTable}: the
 * base chains, the sets and maps every table declares, their node-wide elements) plus one
 * {@link Fragment} per key (a Service port): the chains and sets only that key has, and the
 * elements it adds to the base's sets and maps (its entries in the verdict maps). A sync after a
 * change replaces only the changed keys' fragments ({@link #with}); every other fragment, and every
 * shard of the element maps the change did not touch, is shared by reference with the model
 * before it ({@link ShardedMap}). {@link NftDiff#between(Map, List)} compares two such models by
 * reference first, so the difference after a one-Service change costs in proportion to that
 * Service, not to the 60,000 chains and 30,000 elements of the table (docs/PERFORMANCE.md,
 * benchmark 1).
 *
 * <p>Two fragments adding an element with the same key to the same set (two Services claiming one
 * address and port, or two ports of one Service their cluster IP) resolve as the renderer's table
 * builder did: the element of the smallest key wins; each key's number of claims is kept so that
 * removing the winner finds the next one.
 *
 * <p>{@link #toText()} writes exactly what {@link NftTable#toText()} writes for the same table, and
 * {@link #toTable()} gives that table. A plain {@link NftTable} (a parsed text) is a model with the
 * whole table as its base and no fragments ({@link #of(NftTable)}). Chain names are assumed unique
 * across fragments (the renderer's names hash the Service port's full name); a fragment's names
 * must not be the base's. Immutable and thread-safe.
 *
 * @param <K> the fragment key; its order decides which of two clashing elements wins
 */
public final class NftTableModel<K extends Comparable<K>> {
    /**
     * An element a fragment adds to a set or map of the base.
     *
     * @param body the element as written between the braces of {@code add element}
     */
    public record Claim(String set, String key, String body, boolean valued) {
    }

    /** Which fragment's element a set holds under one key, and how many fragments claim that key. */
    record Winner<K>(String body, K owner, int claims) {
    }

    private final NftTable base;
    private final ShardedMap<K, Fragment> fragments;
    /** Base set or map → element key → the winning claim; only sets that have claims. */
    private final Map<String, ShardedMap<String, Winner<K>>> claims;
    private final int chainCount;
    /** Sum of the winning elements' hashes; null until computed ({@link #fingerprintHash()}). */
    private volatile Long elementHash;
    private volatile Long baseHash;

    private NftTableModel(NftTable base, ShardedMap<K, Fragment> fragments, Map<String, ShardedMap<String, Winner<K>>> claims,
            int chainCount, Long elementHash, Long baseHash) {
        this.base = base;
        this.fragments = fragments;
        this.claims = claims;
        this.chainCount = chainCount;
        this.elementHash = elementHash;
        this.baseHash = baseHash;
    }

    /** A table without fragments: everything in the base. */
    public static <K extends Comparable<K>> NftTableModel<K> of(NftTable table) {
        return new NftTableModel<K>(table, ShardedMap.<K, Fragment>empty(), Map.of(), table.chains().size(), null, null);
    }

    /** {@code base} with {@code fragments}. */
    public static <K extends Comparable<K>> NftTableModel<K> of(NftTable base, Map<K, Fragment> fragments) {
        return NftTableModel.<K>of(base).with(List.of(), fragments);
    }

    /**
     * This model without the fragments of {@code remove} and with {@code add} (a key in both is
     * replaced). Everything else is shared with this model.
     *
     * @throws IllegalStateException when a fragment names a chain or set of the base, or adds an
     *                               element to a set the base lacks, of the other kind, or that
     *                               the base fills itself
     */
    public NftTableModel<K> with(Collection<K> remove, Map<K, Fragment> add) {
        Edit e = new Edit();
        e.remove(remove);
        e.add(add);
        return e.build();
    }

    /** One {@link #with}: fragments out, their claims settled, fragments in, winners re-derived where needed. */
    private final class Edit {
        final ShardedMap.Editor<K, Fragment> fragmentEditor = fragments.edit();
        final Map<String, ShardedMap.Editor<String, Winner<K>>> claimEditors = new HashMap<>();
        /** Claims whose winner went while others remain: re-derived from every fragment at the end. */
        final Set<SetKey> rescan = new HashSet<>();
        /** Keys whose winner may change, for the element hash; null when that hash is not kept. */
        final Set<SetKey> touched = elementHash == null ? null : new HashSet<>();
        int chains = chainCount;

        /** Takes the fragments out and their claims with them (a key's winner stays while it is not one of them). */
        void remove(Collection<K> keys) {
            Map<SetKey, Integer> removedClaims = new HashMap<>();
            Set<SetKey> ownerRemoved = new HashSet<>();
            for (K k : keys) {
                Fragment f = fragmentEditor.remove(k);
                if (f == null) {
                    continue;
                }
                chains -= f.chains.size();
                for (Claim c : f.claims) {
                    SetKey sk = new SetKey(c.set(), c.key());
                    removedClaims.merge(sk, 1, Integer::sum);
                    Winner<K> w = editor(c.set()).get(c.key());
                    if (w != null && w.owner().equals(k)) {
                        ownerRemoved.add(sk);
                    }
                }
            }
            removedClaims.forEach((sk, n) -> {
                touch(sk);
                ShardedMap.Editor<String, Winner<K>> e = editor(sk.set());
                Winner<K> w = e.get(sk.key());
                int left = w.claims() - n;
                if (left <= 0) {
                    e.remove(sk.key());
                } else if (ownerRemoved.contains(sk)) {
                    rescan.add(sk); // the next claim in key order is not known here
                } else {
                    e.put(sk.key(), new Winner<>(w.body(), w.owner(), left));
                }
            });
        }

        /** Puts the fragments in; each claim wins over the present winner when its key is smaller. */
        void add(Map<K, Fragment> added) {
            for (Map.Entry<K, Fragment> entry : added.entrySet()) {
                K k = entry.getKey();
                Fragment f = entry.getValue();
                check(k, f);
                if (fragmentEditor.put(k, f) != null) {
                    throw new IllegalStateException("fragment " + k + " added twice (remove it first)");
                }
                chains += f.chains.size();
                for (Claim c : f.claims) {
                    SetKey sk = new SetKey(c.set(), c.key());
                    touch(sk);
                    if (!rescan.contains(sk)) {
                        ShardedMap.Editor<String, Winner<K>> e = editor(c.set());
                        e.put(c.key(), claim(e.get(c.key()), k, c.body()));
                    }
                }
            }
        }

        NftTableModel<K> build() {
            ShardedMap<K, Fragment> nextFragments = fragmentEditor.build();
            if (!rescan.isEmpty()) {
                rescan(nextFragments);
            }
            Map<String, ShardedMap<String, Winner<K>>> nextClaims = new HashMap<>(claims);
            claimEditors.forEach((set, e) -> nextClaims.put(set, e.build()));
            Long eh = elementHash;
            if (eh != null) {
                long h = eh;
                for (SetKey sk : touched) {
                    Winner<K> was = winner(claims, sk);
                    Winner<K> is = winner(nextClaims, sk);
                    if (was != is) {
                        h -= was == null ? 0 : elementHash(sk.set(), was.body());
                        h += is == null ? 0 : elementHash(sk.set(), is.body());
                    }
                }
                eh = h;
            }
            return new NftTableModel<>(base, nextFragments, Map.copyOf(nextClaims), chains, eh, baseHash);
        }

        /** Re-derives the winners of {@link #rescan} from every fragment. */
        private void rescan(ShardedMap<K, Fragment> all) {
            Map<SetKey, Winner<K>> found = new HashMap<>();
            all.forEach((k, f) -> {
                for (Claim c : f.claims) {
                    SetKey sk = new SetKey(c.set(), c.key());
                    if (rescan.contains(sk)) {
                        found.put(sk, claim(found.get(sk), k, c.body()));
                    }
                }
            });
            for (SetKey sk : rescan) {
                Winner<K> w = found.get(sk);
                if (w == null) {
                    editor(sk.set()).remove(sk.key());
                } else {
                    editor(sk.set()).put(sk.key(), w);
                }
            }
        }

        private ShardedMap.Editor<String, Winner<K>> editor(String set) {
            return claimEditors.computeIfAbsent(set, s -> claims.getOrDefault(s, ShardedMap.empty()).edit());
        }

        private void touch(SetKey sk) {
            if (touched != null) {
                touched.add(sk);
            }
        }
    }

    /** {@code present} (or nothing) with one more claim, {@code owner}'s: the smaller key wins. */
    private static <K extends Comparable<K>> Winner<K> claim(Winner<K> present, K owner, String body) {
        if (present == null) {
            return new Winner<>(body, owner, 1);
        }
        return owner.compareTo(present.owner()) < 0 ? new Winner<>(body, owner, present.claims() + 1)
                : new Winner<>(present.body(), present.owner(), present.claims() + 1);
    }

    private record SetKey(String set, String key) {
    }

    private static <K> Winner<K> winner(Map<String, ShardedMap<String, Winner<K>>> claims, SetKey sk) {
        ShardedMap<String, Winner<K>> m = claims.get(sk.set());
        return m == null ? null : m.get(sk.key());
    }

    private void check(K key, Fragment f) {
        for (NftChain c : f.chains) {
            if (base.chains().containsKey(c.name()) || base.sets().containsKey(c.name())) {
                throw new IllegalStateException("chain " + c.name() + " of " + key + " is also the table's own");
            }
        }
        for (NftSet s : f.sets) {
            if (base.chains().containsKey(s.name()) || base.sets().containsKey(s.name())) {
                throw new IllegalStateException(s.kind() + " " + s.name() + " of " + key + " is also the table's own");
            }
        }
        for (Claim c : f.claims) {
            NftSet s = base.sets().get(c.set());
            if (s == null) {
                throw new IllegalStateException("element " + c.key() + " of " + key + " for undeclared set " + c.set());
            }
            if (s.map() != c.valued()) {
                throw new IllegalStateException("element " + c.key() + " of " + s.kind() + " " + c.set()
                        + (c.valued() ? " cannot have a value" : " needs a value"));
            }
            if (!s.elements().isEmpty()) {
                throw new IllegalStateException("element " + c.key() + " of " + key + " for " + c.set()
                        + ", which the table fills itself");
            }
        }
    }

    /** The node-wide part. */
    public NftTable base() {
        return base;
    }

    public String qualifiedName() {
        return base.qualifiedName();
    }

    ShardedMap<K, Fragment> fragments() {
        return fragments;
    }

    ShardedMap<String, Winner<K>> claims(String set) {
        return claims.getOrDefault(set, ShardedMap.empty());
    }

    Set<String> claimedSets() {
        return claims.keySet();
    }

    /** The fragment of {@code key}, or null. */
    public Fragment fragment(K key) {
        return fragments.get(key);
    }

    public int fragmentCount() {
        return fragments.size();
    }

    public int chainCount() {
        return chainCount;
    }

    /** Every rule of every chain. */
    public int ruleCount() {
        int[] n = {base.ruleCount()};
        fragments.forEach((k, f) -> f.chains.forEach(c -> n[0] += c.rules().size()));
        return n[0];
    }

    /** The element {@code set} holds under {@code key} (its body), or null: base elements and winning claims. */
    public String element(String set, String key) {
        NftSet s = base.sets().get(set);
        if (s != null && s.elements().containsKey(key)) {
            return s.elements().get(key);
        }
        Winner<K> w = claims(set).get(key);
        return w == null ? null : w.body();
    }

    /** Every chain as {@code family name/chain}. */
    public Set<String> qualifiedChains() {
        String q = qualifiedName() + "/";
        Set<String> out = new TreeSet<>();
        base.chains().keySet().forEach(c -> out.add(q + c));
        fragments.forEach((k, f) -> f.chains.forEach(c -> out.add(q + c.name())));
        return out;
    }

    /** The table this model stands for. */
    public NftTable toTable() {
        if (fragments.isEmpty() && claims.values().stream().allMatch(ShardedMap::isEmpty)) {
            return base;
        }
        SortedMap<String, NftChain> chains = new TreeMap<>(base.chains());
        SortedMap<String, NftSet> sets = new TreeMap<>(base.sets());
        fragments.forEach((k, f) -> {
            f.chains.forEach(c -> chains.put(c.name(), c));
            f.sets.forEach(s -> sets.put(s.name(), s));
        });
        claims.forEach((set, winners) -> {
            NftSet s = sets.get(set);
            SortedMap<String, String> els = new TreeMap<>(s.elements());
            winners.forEach((key, w) -> els.put(key, w.body()));
            sets.put(set, new NftSet(s.name(), s.map(), s.spec(), els));
        });
        return new NftTable(base.family(), base.name(), base.spec(), chains, sets);
    }

    /** Exactly {@link #toTable()}{@code .toText()}, written without building the table. */
    public String toText() {
        StringBuilder out = new StringBuilder(estimatedLength());
        appendText(out);
        return out.toString();
    }

    void appendText(StringBuilder out) {
        String q = qualifiedName();
        List<NftChain> chainList = new ArrayList<>(chainCount);
        chainList.addAll(base.chains().values());
        List<NftSet> setList = new ArrayList<>(base.sets().values());
        fragments.forEach((k, f) -> {
            chainList.addAll(f.chains);
            setList.addAll(f.sets);
        });
        NftChain[] chains = chainList.toArray(NftChain[]::new);
        Arrays.sort(chains, Comparator.comparing(NftChain::name));
        NftSet[] sets = setList.toArray(NftSet[]::new);
        Arrays.sort(sets, Comparator.comparing(NftSet::name));
        out.append(base.tableLine()).append('\n');
        if (sets.length > 0) {
            out.append('\n');
            for (NftSet s : sets) {
                out.append("add ").append(s.kind()).append(' ').append(q).append(' ').append(s.name()).append(' ')
                        .append(s.spec()).append('\n');
            }
        }
        if (chains.length > 0) {
            out.append('\n');
            for (NftChain c : chains) {
                out.append("add chain ").append(q).append(' ').append(c.name());
                if (!c.spec().isEmpty()) {
                    out.append(' ').append(c.spec());
                }
                out.append('\n');
            }
        }
        for (NftChain c : chains) {
            if (!c.rules().isEmpty()) {
                out.append('\n');
                for (String r : c.rules()) {
                    out.append("add rule ").append(q).append(' ').append(c.name()).append(' ').append(r).append('\n');
                }
            }
        }
        for (NftSet s : sets) {
            ShardedMap<String, Winner<K>> won = claims(s.name());
            if (won.isEmpty()) {
                if (!s.elements().isEmpty()) {
                    out.append('\n');
                    s.elements().values().forEach(e -> appendElement(out, q, s.name(), e));
                }
                continue;
            }
            String[] keys = new String[won.size()];
            int[] i = {0};
            won.forEach((key, w) -> keys[i[0]++] = key);
            Arrays.sort(keys);
            out.append('\n');
            for (String key : keys) {
                out.append("add element ").append(q).append(' ').append(s.name()).append(" { ")
                        .append(won.get(key).body()).append(" }\n");
            }
        }
    }

    private static void appendElement(StringBuilder out, String q, String set, String body) {
        out.append("add element ").append(q).append(' ').append(set).append(" { ").append(body).append(" }\n");
    }

    private int estimatedLength() {
        long n = 4096L + 450L * chainCount; // about 425 characters per chain at 10,000 Services, rules included
        for (ShardedMap<String, Winner<K>> m : claims.values()) {
            n += 120L * m.size();
        }
        return (int) Math.min(Integer.MAX_VALUE - 16, n);
    }

    /**
     * An order-independent 64-bit hash of the table's rules as written: the sum of a hash of every
     * chain (name, declaration, rules), set (declaration) and element, with the table's name and
     * declaration. Equal tables give equal hashes however they were built; after a change only the
     * changed fragments and elements are hashed again.
     */
    public long fingerprintHash() {
        Long bh = baseHash;
        if (bh == null) {
            long h = mix(fnv(fnv(FNV_OFFSET, "table"), base.tableLine()));
            for (NftChain c : base.chains().values()) {
                h += chainHash(c);
            }
            for (NftSet s : base.sets().values()) {
                h += setHash(s);
            }
            bh = h;
            baseHash = bh;
        }
        Long eh = elementHash;
        if (eh == null) {
            long[] h = {0};
            claims.forEach((set, won) -> won.forEach((key, w) -> h[0] += elementHash(set, w.body())));
            eh = h[0];
            elementHash = eh;
        }
        long[] sum = {bh + eh};
        fragments.forEach((k, f) -> sum[0] += f.hash());
        return mix(sum[0] ^ fnv(FNV_OFFSET, qualifiedName()));
    }

    private static long chainHash(NftChain c) {
        long h = fnv(fnv(FNV_OFFSET, "chain"), c.name());
        h = fnv(h, c.spec());
        for (String r : c.rules()) {
            h = fnv(h, r);
        }
        return mix(h);
    }

    private static long setHash(NftSet s) {
        long h = fnv(fnv(fnv(FNV_OFFSET, s.kind()), s.name()), s.spec());
        long sum = mix(h);
        for (String e : s.elements().values()) {
            sum += elementHash(s.name(), e);
        }
        return sum;
    }

    private static long elementHash(String set, String body) {
        return mix(fnv(fnv(fnv(FNV_OFFSET, "element"), set), body));
    }

    private static final long FNV_OFFSET = 0xcbf29ce484222325L;
    private static final long FNV_PRIME = 0x100000001b3L;

    private static long fnv(long h, String s) {
        for (int i = 0; i < s.length(); i++) {
            h ^= s.charAt(i);
            h *= FNV_PRIME;
        }
        h ^= '\n';
        h *= FNV_PRIME;
        return h;
    }

    /** MurmurHash3's fmix64, so that summing hashes mixes well. */
    private static long mix(long h) {
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        h *= 0xc4ceb9fe1a85ec53L;
        h ^= h >>> 33;
        return h;
    }

    @Override
    public String toString() {
        return "NftTableModel[" + qualifiedName() + ", " + fragments.size() + " fragments, " + chainCount + " chains]";
    }

    /** One key's part of the table: its own chains and sets, and the elements it adds to the base's sets and maps. */
    public static final class Fragment {
        final List<NftChain> chains;
        final List<NftSet> sets;
        final List<Claim> claims;
        private volatile Long hash;

        Fragment(List<NftChain> chains, List<NftSet> sets, List<Claim> claims) {
            this.chains = List.copyOf(chains);
            this.sets = List.copyOf(sets);
            this.claims = List.copyOf(claims);
        }

        public List<NftChain> chains() {
            return chains;
        }

        public List<NftSet> sets() {
            return sets;
        }

        public List<Claim> claims() {
            return claims;
        }

        /** Its chains' and sets' hashes ({@link NftTableModel#fingerprintHash()}), computed once. */
        long hash() {
            Long h = hash;
            if (h == null) {
                long sum = 0;
                for (NftChain c : chains) {
                    sum += chainHash(c);
                }
                for (NftSet s : sets) {
                    sum += setHash(s);
                }
                h = sum;
                hash = h;
            }
            return h;
        }

        @Override
        public boolean equals(Object o) {
            return o == this || o instanceof Fragment f && chains.equals(f.chains) && sets.equals(f.sets)
                    && claims.equals(f.claims);
        }

        @Override
        public int hashCode() {
            return Objects.hash(chains, sets, claims);
        }

        @Override
        public String toString() {
            return "Fragment[" + chains.size() + " chains, " + sets.size() + " sets, " + claims.size() + " elements]";
        }
    }

    public static FragmentBuilder fragmentBuilder() {
        return new FragmentBuilder();
    }

    /**
     * Collects one fragment with {@link NftTable.Builder}'s calls: chains and their rules, sets, and
     * elements (into a set of the fragment, or else into the base's set or map of that name). As
     * there, the first element with a given key wins.
     */
    public static final class FragmentBuilder {
        private final Map<String, String> chainSpecs = new LinkedHashMap<>();
        private final Map<String, List<String>> rules = new HashMap<>();
        private final Map<String, NftSet> sets = new LinkedHashMap<>();
        private final Map<String, Map<String, String>> setElements = new HashMap<>();
        private final Map<String, Map<String, Claim>> claims = new LinkedHashMap<>();

        private FragmentBuilder() {
        }

        /** Declares a chain; declaring it again with the same spec is a no-op. */
        public FragmentBuilder chain(String chain, String spec) {
            String s = Objects.requireNonNullElse(spec, "").strip();
            String before = chainSpecs.putIfAbsent(chain, s);
            if (before != null && !before.equals(s)) {
                throw new IllegalStateException("chain " + chain + " declared twice: '" + before + "' and '" + s + "'");
            }
            rules.computeIfAbsent(chain, c -> new ArrayList<>());
            return this;
        }

        public FragmentBuilder chain(String chain) {
            return chain(chain, "");
        }

        public FragmentBuilder rule(String chain, String rule) {
            List<String> list = rules.get(chain);
            if (list == null) {
                throw new IllegalStateException("rule for undeclared chain " + chain + ": " + rule);
            }
            list.add(rule.strip());
            return this;
        }

        public FragmentBuilder set(String set, String spec) {
            return declare(new NftSet(set, false, spec, new TreeMap<>()));
        }

        public FragmentBuilder map(String map, String spec) {
            return declare(new NftSet(map, true, spec, new TreeMap<>()));
        }

        private FragmentBuilder declare(NftSet s) {
            NftSet before = sets.putIfAbsent(s.name(), s);
            if (before != null && (before.map() != s.map() || !before.spec().equals(s.spec()))) {
                throw new IllegalStateException(s.kind() + " " + s.name() + " declared twice: '" + before.spec()
                        + "' and '" + s.spec() + "'");
            }
            setElements.computeIfAbsent(s.name(), n -> new LinkedHashMap<>());
            return this;
        }

        /** As {@link NftTable.Builder#element}; returns whether the element was added (its key was new here). */
        public boolean element(String set, String key, String comment, String value) {
            String k = key.strip();
            String body = NftTable.elementBody(key, comment, value);
            Map<String, String> own = setElements.get(set);
            if (own != null) {
                if (sets.get(set).map() != (value != null)) {
                    throw new IllegalStateException("element " + key + " of " + sets.get(set).kind() + " " + set
                            + (value == null ? " needs a value" : " cannot have a value"));
                }
                return own.putIfAbsent(k, body) == null;
            }
            return claims.computeIfAbsent(set, s -> new LinkedHashMap<>())
                    .putIfAbsent(k, new Claim(set, k, body, value != null)) == null;
        }

        public Fragment build() {
            List<NftChain> cs = new ArrayList<>(chainSpecs.size());
            chainSpecs.forEach((c, s) -> cs.add(new NftChain(c, s, rules.get(c))));
            List<NftSet> ss = new ArrayList<>(sets.size());
            sets.forEach((n, s) -> ss.add(setElements.get(n).isEmpty() ? s
                    : new NftSet(n, s.map(), s.spec(), new TreeMap<>(setElements.get(n)))));
            List<Claim> cl = new ArrayList<>();
            claims.values().forEach(m -> cl.addAll(m.values()));
            return new Fragment(cs, ss, cl);
        }
    }
}
