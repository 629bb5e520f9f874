package io.sluice.store.image;

import java.util.AbstractMap;
import java.util.AbstractSet;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Set;
import java.util.SortedMap;

/**
 * An immutable map sorted by its keys' natural order, with structural sharing: {@link #with} and
 * {@link #without} return a new map and leave this one as it was, copying only the O(log n) nodes on
 * the path to the key (a persistent AVL tree). That is what lets {@link ImageDelta} change an image in
 * O(changes · log n) while every earlier image stays valid for the threads that still read it; the
 * iptables renderer's model keeps its chains in it for the same reason.
 *
 * <p>A read-only {@link Map}: {@code put}, {@code remove}, {@code clear}, iterator removal and
 * {@code Entry.setValue} throw {@link UnsupportedOperationException}. Iteration is in key order;
 * {@code equals} and {@code hashCode} follow {@link Map}'s contract, so it equals a {@code TreeMap}
 * with the same entries. Null keys and values are refused. Thread-safe, being immutable.
 */
public final class PersistentSortedMap<K extends Comparable<? super K>, V> extends AbstractMap<K, V> {
    private static final PersistentSortedMap<?, ?> EMPTY = new PersistentSortedMap<>(null, 0);

    private final Node<K, V> root;
    private final int size;
    private Set<Entry<K, V>> entries;

    private PersistentSortedMap(Node<K, V> root, int size) {
        this.root = root;
        this.size = size;
    }

    @SuppressWarnings("unchecked")
    public static <K extends Comparable<? super K>, V> PersistentSortedMap<K, V> empty() {
        return (PersistentSortedMap<K, V>) EMPTY;
    }

    /**
     * A map of {@code sorted}'s entries, built balanced in one pass (O(n), no path copies): for
     * building a large map at once. {@code sorted} must use its keys' natural order.
     */
    public static <K extends Comparable<? super K>, V> PersistentSortedMap<K, V> ofSorted(SortedMap<K, V> sorted) {
        if (sorted.comparator() != null) {
            throw new IllegalArgumentException("the map must be sorted by its keys' natural order, not " + sorted.comparator());
        }
        @SuppressWarnings("unchecked")
        Entry<K, V>[] entries = sorted.entrySet().toArray(new Entry[0]);
        for (Entry<K, V> e : entries) {
            Objects.requireNonNull(e.getKey(), "key");
            Objects.requireNonNull(e.getValue(), "value");
        }
        return entries.length == 0 ? empty() : new PersistentSortedMap<>(balanced(entries, 0, entries.length), entries.length);
    }

    private static <K, V> Node<K, V> balanced(Entry<K, V>[] entries, int from, int to) {
        if (from >= to) {
            return null;
        }
        int mid = (from + to) >>> 1;
        return new Node<>(entries[mid].getKey(), entries[mid].getValue(), balanced(entries, from, mid), balanced(entries, mid + 1, to));
    }

    /** This map with {@code key} mapped to {@code value}; this map itself when it already maps it to that very value. */
    public PersistentSortedMap<K, V> with(K key, V value) {
        return update(key, value).map();
    }

    /** This map without {@code key}; this map itself when it has no such key. */
    public PersistentSortedMap<K, V> without(K key) {
        return delete(key).map();
    }

    /** {@link #with}, also telling the value {@code key} had here: one walk down the tree for both. */
    Updated<K, V> update(K key, V value) {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(value, "value");
        Edit<V> edit = new Edit<>();
        Node<K, V> newRoot = put(root, key, value, edit);
        PersistentSortedMap<K, V> map = newRoot == root ? this
                : new PersistentSortedMap<>(newRoot, edit.previous == null ? size + 1 : size);
        return new Updated<>(map, edit.previous);
    }

    /** {@link #without}, also telling the value {@code key} had here. */
    Updated<K, V> delete(K key) {
        Objects.requireNonNull(key, "key");
        Edit<V> edit = new Edit<>();
        Node<K, V> newRoot = remove(root, key, edit);
        return new Updated<>(newRoot == root ? this : new PersistentSortedMap<>(newRoot, size - 1), edit.previous);
    }

    /**
     * The map after an edit, and the value the edited key had before it.
     *
     * @param map      the new map (the same map when the edit changed nothing)
     * @param previous the key's value before the edit; null when it had none
     */
    record Updated<K extends Comparable<? super K>, V>(PersistentSortedMap<K, V> map, V previous) {
    }

    /** The entries whose key is at or above {@code from}, in key order. */
    Iterator<Entry<K, V>> entriesFrom(K from) {
        Objects.requireNonNull(from, "from");
        return new InOrder<>(root, from);
    }

    @Override
    public V get(Object key) {
        Node<K, V> n = find(key);
        return n == null ? null : n.value;
    }

    @Override
    public boolean containsKey(Object key) {
        return find(key) != null;
    }

    @Override
    public int size() {
        return size;
    }

    @Override
    public boolean isEmpty() {
        return size == 0;
    }

    @Override
    public Set<Entry<K, V>> entrySet() {
        Set<Entry<K, V>> e = entries;
        if (e == null) {
            e = new AbstractSet<>() {
                @Override
                public Iterator<Entry<K, V>> iterator() {
                    return new InOrder<>(root, null);
                }

                @Override
                public int size() {
                    return size;
                }
            };
            entries = e;
        }
        return e;
    }

    @Override
    public boolean equals(Object o) {
        return o == this || (o instanceof PersistentSortedMap<?, ?> p && p.root == root) || super.equals(o);
    }

    @Override
    public int hashCode() {
        return super.hashCode();
    }

    /** Checks the tree's invariants (order, AVL balance, heights, size); for tests. */
    void checkInvariants() {
        int counted = check(root, null, null);
        if (counted != size) {
            throw new IllegalStateException("size " + size + " but the tree holds " + counted + " nodes");
        }
    }

    private Node<K, V> find(Object key) {
        @SuppressWarnings("unchecked")
        K k = (K) Objects.requireNonNull(key, "key");
        Node<K, V> n = root;
        while (n != null) {
            int c = k.compareTo(n.key);
            if (c == 0) {
                return n;
            }
            n = c < 0 ? n.left : n.right;
        }
        return null;
    }

    /** What one {@link #put} or {@link #remove} found under its key: null when the key was absent. */
    private static final class Edit<V> {
        V previous;
    }

    private static <K extends Comparable<? super K>, V> Node<K, V> put(Node<K, V> n, K key, V value, Edit<V> edit) {
        if (n == null) {
            return new Node<>(key, value, null, null);
        }
        int c = key.compareTo(n.key);
        if (c == 0) {
            edit.previous = n.value;
            return n.value == value ? n : new Node<>(key, value, n.left, n.right);
        }
        if (c < 0) {
            Node<K, V> left = put(n.left, key, value, edit);
            return left == n.left ? n : balance(n.key, n.value, left, n.right);
        }
        Node<K, V> right = put(n.right, key, value, edit);
        return right == n.right ? n : balance(n.key, n.value, n.left, right);
    }

    private static <K extends Comparable<? super K>, V> Node<K, V> remove(Node<K, V> n, K key, Edit<V> edit) {
        if (n == null) {
            return null;
        }
        int c = key.compareTo(n.key);
        if (c < 0) {
            Node<K, V> left = remove(n.left, key, edit);
            return left == n.left ? n : balance(n.key, n.value, left, n.right);
        }
        if (c > 0) {
            Node<K, V> right = remove(n.right, key, edit);
            return right == n.right ? n : balance(n.key, n.value, n.left, right);
        }
        edit.previous = n.value;
        if (n.left == null) {
            return n.right;
        }
        if (n.right == null) {
            return n.left;
        }
        Node<K, V> successor = n.right;
        while (successor.left != null) {
            successor = successor.left;
        }
        return balance(successor.key, successor.value, n.left, removeMin(n.right));
    }

    private static <K, V> Node<K, V> removeMin(Node<K, V> n) {
        if (n.left == null) {
            return n.right;
        }
        return balance(n.key, n.value, removeMin(n.left), n.right);
    }

    /** A node of {@code key}/{@code value} over two subtrees whose heights differ by at most 2, rotated back into balance. */
    private static <K, V> Node<K, V> balance(K key, V value, Node<K, V> left, Node<K, V> right) {
        int hl = height(left);
        int hr = height(right);
        if (hl > hr + 1) {
            if (height(left.left) >= height(left.right)) {
                return new Node<>(left.key, left.value, left.left, new Node<>(key, value, left.right, right));
            }
            Node<K, V> lr = left.right;
            return new Node<>(lr.key, lr.value, new Node<>(left.key, left.value, left.left, lr.left),
                    new Node<>(key, value, lr.right, right));
        }
        if (hr > hl + 1) {
            if (height(right.right) >= height(right.left)) {
                return new Node<>(right.key, right.value, new Node<>(key, value, left, right.left), right.right);
            }
            Node<K, V> rl = right.left;
            return new Node<>(rl.key, rl.value, new Node<>(key, value, left, rl.left),
                    new Node<>(right.key, right.value, rl.right, right.right));
        }
        return new Node<>(key, value, left, right);
    }

    private static int height(Node<?, ?> n) {
        return n == null ? 0 : n.height;
    }

    /** Returns the node count below {@code n}; throws when a key is out of (lo, hi) or a node is out of balance. */
    private static <K extends Comparable<? super K>, V> int check(Node<K, V> n, K lo, K hi) {
        if (n == null) {
            return 0;
        }
        if ((lo != null && n.key.compareTo(lo) <= 0) || (hi != null && n.key.compareTo(hi) >= 0)) {
            throw new IllegalStateException("key " + n.key + " is out of order between " + lo + " and " + hi);
        }
        int hl = height(n.left);
        int hr = height(n.right);
        if (Math.abs(hl - hr) > 1 || n.height != Math.max(hl, hr) + 1) {
            throw new IllegalStateException("node " + n.key + " has height " + n.height + " over subtrees of " + hl
                    + " and " + hr);
        }
        return 1 + check(n.left, lo, n.key) + check(n.right, n.key, hi);
    }

    /** A tree node, also the map entry it holds (immutable). */
    private static final class Node<K, V> implements Entry<K, V> {
        final K key;
        final V value;
        final Node<K, V> left;
        final Node<K, V> right;
        final int height;

        Node(K key, V value, Node<K, V> left, Node<K, V> right) {
            this.key = key;
            this.value = value;
            this.left = left;
            this.right = right;
            this.height = Math.max(height(left), height(right)) + 1;
        }

        @Override
        public K getKey() {
            return key;
        }

        @Override
        public V getValue() {
            return value;
        }

        @Override
        public V setValue(V v) {
            throw new UnsupportedOperationException("an image's maps are immutable");
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Entry<?, ?> e && key.equals(e.getKey()) && value.equals(e.getValue());
        }

        @Override
        public int hashCode() {
            return key.hashCode() ^ value.hashCode();
        }

        @Override
        public String toString() {
            return key + "=" + value;
        }
    }

    /** In-order traversal from the first key at or above {@code from} (from the start when null). */
    private static final class InOrder<K extends Comparable<? super K>, V> implements Iterator<Entry<K, V>> {
        private final ArrayDeque<Node<K, V>> path = new ArrayDeque<>();

        InOrder(Node<K, V> root, K from) {
            Node<K, V> n = root;
            while (n != null) {
                if (from == null || from.compareTo(n.key) <= 0) {
                    path.push(n);
                    n = n.left;
                } else {
                    n = n.right;
                }
            }
        }

        @Override
        public boolean hasNext() {
            return !path.isEmpty();
        }

        @Override
        public Entry<K, V> next() {
            if (path.isEmpty()) {
                throw new NoSuchElementException();
            }
            Node<K, V> n = path.pop();
            for (Node<K, V> m = n.right; m != null; m = m.left) {
                path.push(m);
            }
            return n;
        }
    }
}
