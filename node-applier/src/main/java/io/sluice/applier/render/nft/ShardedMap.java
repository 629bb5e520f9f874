package io.sluice.applier.render.nft;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.function.BiConsumer;

/**
 * An immutable hash map split into {@value #SHARDS} shards by key hash, so that a copy with a few
 * entries changed ({@link #edit()}) copies only the shards those entries fall in and shares every
 * other shard with the original. Two maps descended from one another can then be compared shard by
 * shard ({@link #forEachDifference}): shards held by reference in both are skipped whole. That is
 * what lets a one-Service change at 10,000 Services touch a few dozen entries of the 10,000-element
 * verdict maps instead of copying and comparing all of them (docs/PERFORMANCE.md, benchmark 1).
 *
 * <p>Iteration order is unspecified. Null keys and values are not allowed.
 */
public final class ShardedMap<K, V> {
    static final int SHARDS = 256;
    private static final ShardedMap<?, ?> EMPTY = new ShardedMap<>(new Map<?, ?>[SHARDS], 0);

    /** Each shard an unmodifiable map, or null when empty. */
    private final Map<K, V>[] shards;
    private final int size;

    private ShardedMap(Map<?, ?>[] shards, int size) {
        @SuppressWarnings("unchecked")
        Map<K, V>[] s = (Map<K, V>[]) shards;
        this.shards = s;
        this.size = size;
    }

    @SuppressWarnings("unchecked")
    public static <K, V> ShardedMap<K, V> empty() {
        return (ShardedMap<K, V>) EMPTY;
    }

    public static <K, V> ShardedMap<K, V> copyOf(Map<K, V> entries) {
        Editor<K, V> e = ShardedMap.<K, V>empty().edit();
        entries.forEach(e::put);
        return e.build();
    }

    private static int shard(Object key) {
        int h = key.hashCode();
        h ^= h >>> 16;
        h *= 0x85ebca6b;
        h ^= h >>> 13;
        return h & (SHARDS - 1);
    }

    public V get(Object key) {
        Map<K, V> s = shards[shard(key)];
        return s == null ? null : s.get(key);
    }

    public boolean containsKey(Object key) {
        return get(key) != null;
    }

    public int size() {
        return size;
    }

    public boolean isEmpty() {
        return size == 0;
    }

    public void forEach(BiConsumer<? super K, ? super V> action) {
        for (Map<K, V> s : shards) {
            if (s != null) {
                s.forEach(action);
            }
        }
    }

    /** A mutable copy; {@link Editor#build()} gives the new map, sharing every untouched shard with this one. */
    public Editor<K, V> edit() {
        return new Editor<>(this);
    }

    /**
     * Calls {@code action(key, valueInA, valueInB)} for every key whose value differs by reference
     * between {@code a} and {@code b} (null where a map lacks the key). Shards the two maps share
     * are skipped without looking at their entries.
     */
    public static <K, V> void forEachDifference(ShardedMap<K, V> a, ShardedMap<K, V> b, DifferenceVisitor<K, V> action) {
        if (a == b) {
            return;
        }
        for (int i = 0; i < SHARDS; i++) {
            Map<K, V> sa = a.shards[i];
            Map<K, V> sb = b.shards[i];
            if (sa == sb) {
                continue;
            }
            Map<K, V> ma = sa == null ? Map.of() : sa;
            Map<K, V> mb = sb == null ? Map.of() : sb;
            ma.forEach((k, va) -> {
                V vb = mb.get(k);
                if (va != vb) {
                    action.visit(k, va, vb);
                }
            });
            mb.forEach((k, vb) -> {
                if (!ma.containsKey(k)) {
                    action.visit(k, null, vb);
                }
            });
        }
    }

    /** What {@link #forEachDifference} calls per differing key. */
    @FunctionalInterface
    public interface DifferenceVisitor<K, V> {
        void visit(K key, V inA, V inB);
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof ShardedMap<?, ?> m) || m.size != size) {
            return false;
        }
        for (int i = 0; i < SHARDS; i++) {
            Map<?, ?> a = shards[i] == null ? Map.of() : shards[i];
            Map<?, ?> b = m.shards[i] == null ? Map.of() : m.shards[i];
            if (a != b && !a.equals(b)) {
                return false;
            }
        }
        return true;
    }

    @Override
    public int hashCode() {
        int h = 0;
        for (Map<K, V> s : shards) {
            if (s != null) {
                h += s.hashCode();
            }
        }
        return h;
    }

    @Override
    public String toString() {
        return "ShardedMap[" + size + " entries]";
    }

    /** Changes to a copy of a map; each shard is copied on its first change. Not thread-safe; build once. */
    public static final class Editor<K, V> {
        private final Map<K, V>[] shards;
        private final boolean[] owned = new boolean[SHARDS];
        private int size;
        private boolean built;

        private Editor(ShardedMap<K, V> from) {
            this.shards = Arrays.copyOf(from.shards, SHARDS);
            this.size = from.size;
        }

        public V get(Object key) {
            Map<K, V> s = shards[shard(key)];
            return s == null ? null : s.get(key);
        }

        /** Returns the value {@code key} had. */
        public V put(K key, V value) {
            Objects.requireNonNull(key, "key");
            Objects.requireNonNull(value, "value");
            V before = writable(shard(key)).put(key, value);
            if (before == null) {
                size++;
            }
            return before;
        }

        /** Returns the value {@code key} had, or null. */
        public V remove(Object key) {
            int i = shard(key);
            if (shards[i] == null || !shards[i].containsKey(key)) {
                return null;
            }
            V before = writable(i).remove(key);
            size--;
            return before;
        }

        public void forEach(BiConsumer<? super K, ? super V> action) {
            for (Map<K, V> s : shards) {
                if (s != null) {
                    s.forEach(action);
                }
            }
        }

        private Map<K, V> writable(int i) {
            if (built) {
                throw new IllegalStateException("editor already built");
            }
            if (!owned[i]) {
                shards[i] = shards[i] == null ? new HashMap<>() : new HashMap<>(shards[i]);
                owned[i] = true;
            }
            return shards[i];
        }

        public ShardedMap<K, V> build() {
            built = true;
            Map<?, ?>[] out = new Map<?, ?>[SHARDS];
            for (int i = 0; i < SHARDS; i++) {
                Map<K, V> s = shards[i];
                if (owned[i]) {
                    out[i] = s.isEmpty() ? null : java.util.Collections.unmodifiableMap(s);
                } else {
                    out[i] = s;
                }
            }
            return new ShardedMap<>(out, size);
        }
    }
}
