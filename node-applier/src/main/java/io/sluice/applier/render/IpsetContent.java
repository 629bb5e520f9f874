package io.sluice.applier.render;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * Sets and their members in {@code ipset restore} / {@code ipset save} form: {@code create NAME
 * TYPE params…} and {@code add NAME ENTRY} lines. The same class reads what Sluice rendered and
 * what {@code ipset save} prints, so the two compare: a set is its name, type and family (other
 * create parameters such as hashsize or the kernel's initval are kept as text, not compared), its
 * members are the entry strings exactly as ipset prints them. Immutable once built.
 */
public final class IpsetContent {
    /**
     * One set's header.
     *
     * @param createLine the whole {@code create} line, as written or as ipset printed it
     * @param family     {@code inet}, {@code inet6}, or "" for types without family (bitmap:port)
     */
    public record Definition(String name, String type, String family, String createLine) {
        public Definition {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(type, "type");
            Objects.requireNonNull(family, "family");
        }

        /** Same name, type and family: an existing set can take this set's members. */
        public boolean compatibleWith(Definition other) {
            return name.equals(other.name) && type.equals(other.type) && family.equals(other.family);
        }
    }

    private final Map<String, Definition> sets;
    private final Map<String, SortedSet<String>> members;

    private IpsetContent(Map<String, Definition> sets, Map<String, SortedSet<String>> members) {
        this.sets = sets;
        this.members = members;
    }

    /** Builds content set by set; sets keep the order they are declared in. */
    public static final class Builder {
        private final Map<String, Definition> sets = new LinkedHashMap<>();
        private final Map<String, SortedSet<String>> members = new LinkedHashMap<>();

        public Builder declare(String createLine) {
            Definition d = parseCreate(createLine);
            sets.putIfAbsent(d.name(), d);
            members.computeIfAbsent(d.name(), n -> new TreeSet<>());
            return this;
        }

        public Builder add(String set, String entry) {
            SortedSet<String> m = members.get(set);
            if (m == null) {
                throw new IllegalArgumentException("entry " + entry + " for undeclared set " + set);
            }
            if (entry.isBlank() || entry.chars().anyMatch(Character::isWhitespace)) {
                throw new IllegalArgumentException("ipset entry '" + entry + "' of set " + set + " is empty or has spaces");
            }
            m.add(entry);
            return this;
        }

        public IpsetContent build() {
            Map<String, SortedSet<String>> frozen = new LinkedHashMap<>();
            members.forEach((k, v) -> frozen.put(k, Collections.unmodifiableSortedSet(new TreeSet<>(v))));
            return new IpsetContent(Collections.unmodifiableMap(new LinkedHashMap<>(sets)),
                    Collections.unmodifiableMap(frozen));
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * Reads {@code ipset save} output or rendered restore input. Lines other than {@code create}
     * and {@code add} (comments, blanks) are skipped; trailing options of an add line (such as
     * {@code -exist} or {@code timeout N}) are not part of the entry.
     */
    public static IpsetContent parse(String text) {
        Builder b = new Builder();
        for (String line : text.lines().map(String::strip).toList()) {
            String[] t = line.split("\\s+");
            if (t[0].equals("create")) {
                b.declare(line);
            } else if (t[0].equals("add")) {
                if (t.length < 3) {
                    throw new IllegalArgumentException("ipset line '" + line + "' has no entry");
                }
                b.add(t[1], t[2]);
            }
        }
        return b.build();
    }

    static Definition parseCreate(String line) {
        String[] t = line.strip().split("\\s+");
        if (t.length < 3 || !t[0].equals("create")) {
            throw new IllegalArgumentException("'" + line + "' is not an ipset create line");
        }
        String family = "";
        for (int i = 3; i + 1 < t.length; i++) {
            if (t[i].equals("family")) {
                family = t[i + 1];
            }
        }
        if (family.isEmpty() && t[2].startsWith("hash:")) {
            family = "inet"; // ipset's default for hash types
        }
        return new Definition(t[1], t[2], family, line.strip());
    }

    /** The sets, in declaration order. */
    public Map<String, Definition> sets() {
        return sets;
    }

    /** Members of {@code set}, sorted; empty when the set is unknown. */
    public SortedSet<String> members(String set) {
        return members.getOrDefault(set, Collections.emptySortedSet());
    }

    /** Only the named sets (those that exist here), in the order given. */
    public IpsetContent only(List<String> names) {
        Builder b = new Builder();
        for (String n : names) {
            Definition d = sets.get(n);
            if (d != null) {
                b.sets.put(n, d);
                b.members.put(n, new TreeSet<>(members(n)));
            }
        }
        return b.build();
    }

    /** {@code ipset restore} input: each set's create line, then its members. */
    public String render() {
        StringBuilder out = new StringBuilder();
        for (Definition d : sets.values()) {
            out.append(d.createLine()).append('\n');
            for (String e : members(d.name())) {
                out.append("add ").append(d.name()).append(' ').append(e).append('\n');
            }
        }
        return out.toString();
    }

    /** Member count over all sets. */
    public int entryCount() {
        return members.values().stream().mapToInt(SortedSet::size).sum();
    }

    /** Names of sets with at least one member. */
    public List<String> nonEmptySets() {
        List<String> out = new ArrayList<>();
        members.forEach((k, v) -> {
            if (!v.isEmpty()) {
                out.add(k);
            }
        });
        return out;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof IpsetContent other && sets.keySet().equals(other.sets.keySet())
                && members.equals(other.members);
    }

    @Override
    public int hashCode() {
        return Objects.hash(sets.keySet(), members);
    }

    @Override
    public String toString() {
        return render();
    }
}
