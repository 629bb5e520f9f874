package io.sluice.bench;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import org.HdrHistogram.Histogram;

/** Samples in nanoseconds: medians and percentiles (HdrHistogram, 3 significant digits). */
public final class Stats {
    private final String name;
    private final List<Long> samples = new ArrayList<>();
    private final Histogram histogram = new Histogram(3_600_000_000_000L, 3);

    public Stats(String name) {
        this.name = name;
    }

    public synchronized void add(long nanos) {
        samples.add(nanos);
        histogram.recordValue(Math.max(1, Math.min(nanos, histogram.getHighestTrackableValue())));
    }

    public synchronized int count() {
        return samples.size();
    }

    /** Exact median of the samples. */
    public synchronized double medianMs() {
        if (samples.isEmpty()) {
            return Double.NaN;
        }
        List<Long> s = new ArrayList<>(samples);
        Collections.sort(s);
        int n = s.size();
        double m = n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2.0;
        return m / 1e6;
    }

    public synchronized double percentileMs(double p) {
        return samples.isEmpty() ? Double.NaN : histogram.getValueAtPercentile(p) / 1e6;
    }

    public synchronized double minMs() {
        return samples.isEmpty() ? Double.NaN : Collections.min(samples) / 1e6;
    }

    public synchronized double maxMs() {
        return samples.isEmpty() ? Double.NaN : Collections.max(samples) / 1e6;
    }

    public String name() {
        return name;
    }

    /** "name: n=15 median 180.2 ms p99 250.1 ms (min 170.0, max 260.3)". */
    public String summary() {
        return String.format(Locale.ROOT, "%-40s n=%-5d median %9.2f ms  p50 %9.2f  p99 %9.2f  (min %.2f, max %.2f)",
                name, count(), medianMs(), percentileMs(50), percentileMs(99), minMs(), maxMs());
    }

    public static String fmt(double v) {
        return String.format(Locale.ROOT, "%.2f", v);
    }
}
