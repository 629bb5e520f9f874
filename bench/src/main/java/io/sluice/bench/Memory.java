package io.sluice.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Benchmark 5: resident memory of one node-applier in its own JVM, run as the DaemonSet runs it
 * ({@link ChildJvm#DEFAULT_OPTS} and the rest of {@code deploy/applier.env}), after it replayed N
 * Services x 5 endpoints from Kafka and synced them (dry-run backend, so the full render happens).
 * Two readings of VmRSS from /proc/PID/status: after it was left alone for {@link #settleSeconds}
 * ("before GC", what an idle node keeps), then after three System.gc() and 2 s. If it fails at the
 * applier's heap, the next larger heap is tried and the failure reported. {@code --jvm-opts} and
 * {@code --heaps} replace the flags and heaps for experiments.
 */
public final class Memory {
    private Memory() {
    }

    public static String run(Args a) throws Exception {
        boolean quick = a.flag("quick");
        String sizes = a.string("sizes", quick ? "1000,5000" : "10000,50000");
        String base = a.string("jvm-opts", ChildJvm.DEFAULT_OPTS);
        String heap = base.replaceAll(".*-Xmx(\\S+).*", "$1");
        List<String> heaps = List.of(a.string("heaps", heap.equals(base) ? "1g" : heap + ",1g").split(","));
        int settle = a.integer("settle-s", settleSeconds(base));
        StringBuilder last = new StringBuilder();
        for (String s : sizes.split(",")) {
            int n = Integer.parseInt(s.trim());
            String result = null;
            for (String h : heaps) {
                String opts = (base.contains("-Xmx") ? base.replaceAll("-Xmx\\S+", "-Xmx" + h) : base + " -Xmx" + h)
                        + " -XX:NativeMemoryTracking=summary";
                try {
                    result = measure(n, opts, settle);
                    break;
                } catch (IllegalStateException e) {
                    System.out.printf("%d Services with %s: FAILED: %s%n", n, opts, e.getMessage());
                    last.append(String.format(Locale.ROOT, "%d Services fail with -Xmx%s; ", n, h));
                }
            }
            last.append(result == null ? n + " Services: no heap tried was enough; " : result + "; ");
        }
        return "memory: " + last + "(target <=300 MB RSS at 10000 Services)";
    }

    /**
     * How long to leave the applier alone after its sync before the first reading: 3 s, or, when
     * its flags ask G1 for a periodic GC, twice that interval plus 5 s (G1 checks once per interval
     * whether the last GC is an interval old, so the periodic GC comes 1 to 2 intervals after the
     * last one), so the "before GC" reading shows what an idle node keeps without anybody calling
     * System.gc().
     */
    static int settleSeconds(String jvmOpts) {
        Matcher m = Pattern.compile("-XX:G1PeriodicGCInterval=(\\d+)").matcher(jvmOpts);
        long periodicMs = m.find() ? Long.parseLong(m.group(1)) : 0;
        return periodicMs > 0 && jvmOpts.contains("-XX:+UseG1GC") ? (int) (2 * periodicMs / 1000) + 5 : 3;
    }

    private static String measure(int services, String opts, int settleSeconds) throws Exception {
        Path state = Files.createTempDirectory("sluice-bench-mem");
        Path err = Files.createTempFile("sluice-bench-mem", ".log");
        try (BenchKafka kafka = new BenchKafka()) {
            SyntheticCluster cluster = new SyntheticCluster(services, 5, 3);
            long events = kafka.produce(cluster.events().iterator());
            long t0 = System.nanoTime();
            try (ChildJvm child = new ChildJvm(opts, ApplierProcess.class, List.of(kafka.bootstrap(), SyntheticCluster.CLUSTER,
                    state.resolve("store").toString(), state.resolve("rules").toString()), err)) {
                child.await("EVENT live", Duration.ofMinutes(5));
                long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
                long applied = -1;
                List<long[]> during = new ArrayList<>();
                while (applied < events) {
                    if (System.nanoTime() > deadline) {
                        throw new IllegalStateException("applied seq " + applied + " of " + events + " after 5 min"
                                + oom(err));
                    }
                    during.add(child.rssKb());
                    Thread.sleep(500);
                    child.send("seq");
                    applied = Long.parseLong(child.await("SEQ", Duration.ofSeconds(60)).split(" ")[1]);
                }
                double syncedAfter = (System.nanoTime() - t0) / 1e9;
                Thread.sleep(settleSeconds * 1000L); // steady state: nothing changes any more
                long[] before = child.rssKb();
                child.send("gc");
                String gc = child.await("GC_DONE", Duration.ofSeconds(60));
                Thread.sleep(2000);
                long[] after = child.rssKb();
                nmt(child.pid());
                System.out.printf(Locale.ROOT, "%d Services / %d endpoints, %s: synced %.1f s after spawn; RSS before GC %.0f MB, "
                                + "after GC %.0f MB, peak (VmHWM) %.0f MB; %s%n", services, services * 5, opts + envNote(), syncedAfter,
                        before[0] / 1024.0, after[0] / 1024.0, after[1] / 1024.0, gc);
                return String.format(Locale.ROOT, "%d Services: RSS %.0f MB after GC (%.0f MB before, peak %.0f MB, -Xmx%s)",
                        services, after[0] / 1024.0, before[0] / 1024.0, after[1] / 1024.0, opts.replaceAll(".*-Xmx(\\S+).*", "$1"));
            }
        } finally {
            OneChange.deleteTree(state);
            Files.deleteIfExists(err);
        }
    }

    /** The JVM's own account of its committed memory (NMT); RSS minus it is native memory outside the JVM (RocksDB, malloc arenas). */
    private static void nmt(long pid) {
        try {
            String out = Timed.output(List.of(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
                    Long.toString(pid), "VM.native_memory", "summary", "scale=MB"), Duration.ofSeconds(30)).stdout();
            for (String line : out.split("\n")) {
                String t = line.strip();
                if (t.startsWith("Total:") || (t.startsWith("-") && t.contains("committed="))) {
                    System.out.println("  NMT " + t.replaceAll("\\s+", " "));
                }
            }
        } catch (RuntimeException e) {
            System.out.println("  NMT unavailable: " + e.getMessage());
        }
    }

    private static String envNote() {
        StringBuilder env = new StringBuilder();
        ChildJvm.APPLIER_ENV.forEach((k, v) -> {
            if (!k.equals("JAVA_TOOL_OPTIONS")) {
                env.append(' ').append(k).append('=').append(v);
            }
        });
        return env.length() == 0 ? "" : " (env" + env + ")";
    }

    private static String oom(Path err) {
        try {
            return Files.readString(err).contains("OutOfMemoryError") ? " (OutOfMemoryError in the applier's log)" : "";
        } catch (java.io.IOException e) {
            return "";
        }
    }
}
