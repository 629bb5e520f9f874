package io.sluice.applier.backend;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class LineDiffTest {
    /** Applies an edit script the way the restore input does: deletes, then inserts at ascending positions. */
    static List<String> applyEdits(List<String> a, List<String> b, LineDiff.Edits e) {
        List<String> out = new ArrayList<>(a);
        List<Integer> del = new ArrayList<>(e.deleted());
        for (int k = del.size() - 1; k >= 0; k--) {
            out.remove((int) del.get(k));
        }
        for (int j : e.inserted()) {
            out.add(j, b.get(j));
        }
        return out;
    }

    @Test
    void findsTheShortestScriptForSmallChanges() {
        List<String> a = List.of("a", "b", "c", "d", "e");
        List<String> b = List.of("a", "c", "d", "x", "e", "f");
        LineDiff.Edits e = LineDiff.diff(a, b, 10);
        assertThat(e.deleted()).containsExactly(1);
        assertThat(e.inserted()).containsExactly(3, 5);
        assertThat(applyEdits(a, b, e)).isEqualTo(b);
    }

    @Test
    void equalListsNeedNoEditsAndTooManyEditsGiveNull() {
        List<String> a = List.of("a", "b");
        assertThat(LineDiff.diff(a, a, 3).size()).isZero();
        assertThat(LineDiff.diff(List.of("a", "b", "c"), List.of("x", "y", "z"), 5)).isNull();
        assertThat(LineDiff.diff(List.of(), List.of("x"), 1).inserted()).containsExactly(0);
        assertThat(LineDiff.diff(List.of("x"), List.of(), 1).deleted()).containsExactly(0);
    }

    @Test
    void randomEditsOfALongListAreReproducedExactly() {
        Random rnd = new Random(42);
        for (int round = 0; round < 200; round++) {
            List<String> a = new ArrayList<>(IntStream.range(0, 200).mapToObj(i -> "rule-" + i).toList());
            List<String> b = new ArrayList<>(a);
            int edits = 1 + rnd.nextInt(6);
            for (int k = 0; k < edits; k++) {
                if (rnd.nextBoolean() && !b.isEmpty()) {
                    b.remove(rnd.nextInt(b.size()));
                } else {
                    b.add(rnd.nextInt(b.size() + 1), "new-" + round + "-" + k);
                }
            }
            LineDiff.Edits e = LineDiff.diff(a, b, 20);
            assertThat(e).isNotNull();
            assertThat(e.size()).isLessThanOrEqualTo(edits);
            assertThat(applyEdits(a, b, e)).isEqualTo(b);
        }
    }
}
