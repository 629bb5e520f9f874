package io.sluice.applier.render.nft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The copy-on-write sharded map: edits leave the original alone and share what they do not touch. */
class ShardedMapTest {
    private static ShardedMap<String, String> numbers(int n) {
        Map<String, String> m = new HashMap<>();
        for (int i = 0; i < n; i++) {
            m.put("k" + i, "v" + i);
        }
        return ShardedMap.copyOf(m);
    }

    @Test
    void anEditLeavesTheOriginalAsItWasAndGivesTheChangedCopy() {
        ShardedMap<String, String> a = numbers(1000);
        ShardedMap.Editor<String, String> e = a.edit();
        assertThat(e.put("k1", "changed")).isEqualTo("v1");
        assertThat(e.remove("k2")).isEqualTo("v2");
        assertThat(e.remove("absent")).isNull();
        assertThat(e.put("new", "n")).isNull();
        ShardedMap<String, String> b = e.build();

        assertThat(a.size()).isEqualTo(1000);
        assertThat(a.get("k1")).isEqualTo("v1");
        assertThat(a.get("k2")).isEqualTo("v2");
        assertThat(a.get("new")).isNull();
        assertThat(b.size()).isEqualTo(1000);
        assertThat(b.get("k1")).isEqualTo("changed");
        assertThat(b.containsKey("k2")).isFalse();
        assertThat(b.get("new")).isEqualTo("n");
        assertThatThrownBy(() -> e.put("late", "x")).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void differencesAreExactlyTheChangedKeysWithBothValues() {
        ShardedMap<String, String> a = numbers(5000);
        ShardedMap.Editor<String, String> e = a.edit();
        e.put("k10", "ten");
        e.remove("k20");
        e.put("extra", "x");
        e.put("k30", "v30"); // an equal but different string object counts as a difference by reference
        ShardedMap<String, String> b = e.build();

        List<String> seen = new ArrayList<>();
        ShardedMap.forEachDifference(a, b, (k, inA, inB) -> seen.add(k + ":" + inA + "->" + inB));

        assertThat(seen).containsExactlyInAnyOrder("k10:v10->ten", "k20:v20->null", "extra:null->x", "k30:v30->v30");
        List<String> none = new ArrayList<>();
        ShardedMap.forEachDifference(a, a, (k, x, y) -> none.add(k));
        assertThat(none).isEmpty();
    }

    @Test
    void equalContentIsEqualHoweverBuilt() {
        Random r = new Random(4);
        Map<String, String> plain = new HashMap<>();
        ShardedMap<String, String> m = ShardedMap.empty();
        for (int step = 0; step < 50; step++) {
            ShardedMap.Editor<String, String> e = m.edit();
            for (int i = 0; i < 40; i++) {
                String k = "k" + r.nextInt(300);
                if (r.nextBoolean()) {
                    e.put(k, "v" + step);
                    plain.put(k, "v" + step);
                } else {
                    e.remove(k);
                    plain.remove(k);
                }
            }
            m = e.build();
            assertThat(m).isEqualTo(ShardedMap.copyOf(plain));
            assertThat(m.hashCode()).isEqualTo(ShardedMap.copyOf(plain).hashCode());
            assertThat(m.size()).isEqualTo(plain.size());
            Map<String, String> back = new HashMap<>();
            m.forEach(back::put);
            assertThat(back).isEqualTo(plain);
        }
    }
}
