package io.sluice.applier.backend;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The outcome of one drift check.
 *
 * @param depth       how the check looked
 * @param differences what differs, one human-readable line each (at most {@link #MAX_LISTED});
 *                    empty when the kernel holds what was applied
 * @param total       how many differences there were in all (may exceed the list)
 */
public record DriftReport(DriftCheck depth, List<String> differences, int total) {
    /** Differences listed at most; the rest are only counted. */
    public static final int MAX_LISTED = 20;

    public DriftReport {
        Objects.requireNonNull(depth, "depth");
        differences = List.copyOf(differences.size() > MAX_LISTED ? differences.subList(0, MAX_LISTED) : differences);
        if (total < differences.size()) {
            throw new IllegalArgumentException("total " + total + " is below the " + differences.size() + " listed differences");
        }
    }

    public static DriftReport inSync(DriftCheck depth) {
        return new DriftReport(depth, List.of(), 0);
    }

    public static DriftReport of(DriftCheck depth, List<String> differences) {
        return new DriftReport(depth, differences, differences.size());
    }

    public boolean drifted() {
        return total > 0;
    }

    /**
     * Compares two texts line by line, as multisets (order ignored): lines the kernel lacks and lines
     * it has in excess. The default check of backends whose read-back is already canonical.
     */
    public static DriftReport compareLines(DriftCheck depth, String expected, String live) {
        Map<String, Integer> counts = new HashMap<>();
        expected.lines().filter(l -> !l.isBlank()).forEach(l -> counts.merge(l, 1, Integer::sum));
        live.lines().filter(l -> !l.isBlank()).forEach(l -> counts.merge(l, -1, Integer::sum));
        List<String> diffs = new ArrayList<>();
        counts.entrySet().stream().filter(e -> e.getValue() != 0).sorted(Map.Entry.comparingByKey()).forEach(e -> {
            int n = Math.abs(e.getValue());
            String what = e.getValue() > 0 ? "missing in the kernel" : "not applied by Sluice";
            diffs.add(what + (n > 1 ? " (" + n + "x)" : "") + ": " + e.getKey());
        });
        return of(depth, diffs);
    }

    /** One line for logs: the count and the first differences. */
    public String describe() {
        if (!drifted()) {
            return depth.wireName() + " check: kernel holds the applied rules";
        }
        return depth.wireName() + " check: " + total + " difference" + (total == 1 ? "" : "s") + ": "
                + String.join("; ", differences.subList(0, Math.min(5, differences.size())))
                + (total > 5 ? "; …" : "");
    }
}
