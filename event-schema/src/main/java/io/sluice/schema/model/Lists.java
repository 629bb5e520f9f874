package io.sluice.schema.model;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/** Null-tolerant immutable copies, so records stay immutable and their toString deterministic. */
final class Lists {
    private Lists() {
    }

    static <T> List<T> copy(List<T> list) {
        return list == null ? List.of() : List.copyOf(list);
    }

    static SortedMap<String, String> sorted(Map<String, String> map) {
        return map == null ? Collections.emptySortedMap() : Collections.unmodifiableSortedMap(new TreeMap<>(map));
    }
}
