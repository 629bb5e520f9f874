package io.sluice.applier.backend;

import java.util.ArrayList;
import java.util.List;

/**
 * The shortest edit script between two lists of lines (Myers' O((N+M)D) algorithm), for rewriting
 * a long chain rule by rule instead of flushing and refilling it.
 */
final class LineDiff {
    private LineDiff() {
    }

    /**
     * An edit script.
     *
     * @param deleted  indices into the old list, ascending
     * @param inserted indices into the new list, ascending
     */
    record Edits(List<Integer> deleted, List<Integer> inserted) {
        int size() {
            return deleted.size() + inserted.size();
        }
    }

    /** The edits turning {@code a} into {@code b}, or null when they need more than {@code maxEdits}. */
    static Edits diff(List<String> a, List<String> b, int maxEdits) {
        int n = a.size();
        int m = b.size();
        int offset = maxEdits + 1;
        int[] v = new int[2 * maxEdits + 3];
        List<int[]> trace = new ArrayList<>();
        for (int d = 0; d <= maxEdits; d++) {
            trace.add(v.clone());
            for (int k = -d; k <= d; k += 2) {
                int x = (k == -d || (k != d && v[offset + k - 1] < v[offset + k + 1])) ? v[offset + k + 1] : v[offset + k - 1] + 1;
                int y = x - k;
                while (x < n && y < m && a.get(x).equals(b.get(y))) {
                    x++;
                    y++;
                }
                v[offset + k] = x;
                if (x >= n && y >= m) {
                    return backtrack(trace, n, m, offset);
                }
            }
        }
        return null;
    }

    private static Edits backtrack(List<int[]> trace, int n, int m, int offset) {
        List<Integer> deleted = new ArrayList<>();
        List<Integer> inserted = new ArrayList<>();
        int x = n;
        int y = m;
        for (int d = trace.size() - 1; d > 0; d--) {
            int[] v = trace.get(d);
            int k = x - y;
            int prevK = (k == -d || (k != d && v[offset + k - 1] < v[offset + k + 1])) ? k + 1 : k - 1;
            int prevX = v[offset + prevK];
            int prevY = prevX - prevK;
            while (x > prevX && y > prevY) {
                x--;
                y--;
            }
            if (x == prevX) {
                inserted.add(0, prevY);
            } else {
                deleted.add(0, prevX);
            }
            x = prevX;
            y = prevY;
        }
        return new Edits(deleted, inserted);
    }
}
