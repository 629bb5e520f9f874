package io.sluice.store.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

class PersistentSortedMapTest {

    /** One edit: put {@code key -> value}, or remove {@code key} when value is null. */
    record Op(int key, String value) {
    }

    @Property(tries = 500)
    void everyVersionBehavesLikeATreeMapWithTheSameEdits(@ForAll("ops") List<Op> ops, @ForAll("probes") List<Integer> probes) {
        TreeMap<Integer, String> model = new TreeMap<>();
        PersistentSortedMap<Integer, String> map = PersistentSortedMap.empty();
        List<PersistentSortedMap<Integer, String>> versions = new ArrayList<>();
        List<TreeMap<Integer, String>> models = new ArrayList<>();
        for (Op op : ops) {
            if (op.value() == null) {
                model.remove(op.key());
                map = map.without(op.key());
            } else {
                model.put(op.key(), op.value());
                map = map.with(op.key(), op.value());
            }
            versions.add(map);
            models.add(new TreeMap<>(model));
        }
        for (int i = 0; i < versions.size(); i++) {
            assertSameAs(versions.get(i), models.get(i), probes);
        }
    }

    @Test
    void staysBalancedUnderAscendingInsertsAndDeletes() {
        PersistentSortedMap<Integer, String> map = PersistentSortedMap.empty();
        for (int i = 0; i < 10_000; i++) {
            map = map.with(i, "v" + i);
        }
        map.checkInvariants();
        for (int i = 0; i < 10_000; i += 2) {
            map = map.without(i);
        }
        map.checkInvariants();
        assertThat(map).hasSize(5_000);
        assertThat(map.keySet().iterator().next()).isEqualTo(1);
    }

    @Test
    void ofSortedBuildsABalancedMapEqualToItsSourceThatTakesFurtherEdits() {
        for (int n : new int[] {0, 1, 2, 3, 7, 100, 1023, 1024}) {
            java.util.TreeMap<Integer, String> source = new java.util.TreeMap<>();
            for (int i = 0; i < n; i++) {
                source.put(i * 2, "v" + i);
            }
            PersistentSortedMap<Integer, String> m = PersistentSortedMap.ofSorted(source);
            m.checkInvariants();
            assertThat(m).isEqualTo(source).hasSize(n);
            assertThat(new java.util.ArrayList<>(m.keySet())).isEqualTo(new java.util.ArrayList<>(source.keySet()));
            PersistentSortedMap<Integer, String> edited = m.with(1, "odd").without(0);
            edited.checkInvariants();
            assertThat(edited.get(1)).isEqualTo("odd");
            assertThat(m).isEqualTo(source); // the original is untouched
        }
        assertThatThrownBy(() -> PersistentSortedMap.ofSorted(new java.util.TreeMap<Integer, String>(java.util.Comparator.reverseOrder())))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("natural order");
    }

    @Test
    void noOpEditsReturnTheSameMap() {
        String value = "a";
        PersistentSortedMap<Integer, String> map = PersistentSortedMap.<Integer, String>empty().with(1, value).with(2, "b");
        assertThat(map.with(1, value)).isSameAs(map);
        assertThat(map.without(3)).isSameAs(map);
        assertThat(map.with(1, new String("a"))).isNotSameAs(map).isEqualTo(map);
        assertThat(map.update(2, "c").previous()).isEqualTo("b");
        assertThat(map.update(3, "c").previous()).isNull();
        assertThat(map.delete(1).previous()).isEqualTo("a");
        assertThat(map.delete(3).previous()).isNull();
    }

    @Test
    void isReadOnlyThroughEveryMapView() {
        PersistentSortedMap<Integer, String> map = PersistentSortedMap.<Integer, String>empty().with(1, "a").with(2, "b");
        assertThatThrownBy(() -> map.put(3, "c")).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> map.remove(1)).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(map::clear).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> map.keySet().remove(1)).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> map.values().clear()).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> map.entrySet().iterator().next().setValue("x"))
                .isInstanceOf(UnsupportedOperationException.class);
        Iterator<Integer> it = map.keySet().iterator();
        it.next();
        assertThatThrownBy(it::remove).isInstanceOf(UnsupportedOperationException.class);
        assertThat(map).containsExactly(Map.entry(1, "a"), Map.entry(2, "b"));
    }

    @Test
    void refusesNulls() {
        PersistentSortedMap<Integer, String> map = PersistentSortedMap.empty();
        assertThatThrownBy(() -> map.with(null, "a")).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> map.with(1, null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> map.without(null)).isInstanceOf(NullPointerException.class);
    }

    private static void assertSameAs(PersistentSortedMap<Integer, String> map, TreeMap<Integer, String> model,
            List<Integer> probes) {
        map.checkInvariants();
        assertThat(map).isEqualTo(model);
        assertThat(model).isEqualTo(map);
        assertThat(map.hashCode()).isEqualTo(model.hashCode());
        assertThat(map.size()).isEqualTo(model.size());
        assertThat(new ArrayList<>(map.entrySet())).containsExactlyElementsOf(model.entrySet());
        for (int probe : probes) {
            assertThat(map.get(probe)).isEqualTo(model.get(probe));
            assertThat(map.containsKey(probe)).isEqualTo(model.containsKey(probe));
            List<Map.Entry<Integer, String>> tail = new ArrayList<>();
            map.entriesFrom(probe).forEachRemaining(tail::add);
            assertThat(tail).containsExactlyElementsOf(model.tailMap(probe, true).entrySet());
        }
    }

    @Provide
    Arbitrary<List<Op>> ops() {
        Arbitrary<Integer> keys = Arbitraries.integers().between(0, 40);
        Arbitrary<String> values = Arbitraries.of("a", "b", "c").injectNull(0.35);
        return Combinators.combine(keys, values).as(Op::new).list().ofMaxSize(120);
    }

    @Provide
    Arbitrary<List<Integer>> probes() {
        return Arbitraries.integers().between(-1, 41).list().ofMinSize(1).ofMaxSize(8);
    }
}
