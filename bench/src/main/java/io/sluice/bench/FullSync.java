package io.sluice.bench;

import io.sluice.applier.render.NodeContext;
import io.sluice.applier.render.RenderOptions;
import io.sluice.applier.render.RuleRenderer;
import io.sluice.applier.render.RuleSet;
import io.sluice.store.image.ClusterImage;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * Benchmark 2: render time of a full rule set (JMH, forked JVM) against the time the kernel tool
 * takes to load the same text into a fresh namespace (iptables-nft-restore, iptables-legacy-restore;
 * nft -f once the nftables renderer exists). Target: render at most 10% of restore.
 */
public final class FullSync {
    private FullSync() {
    }

    public static String run(Args a) throws Exception {
        boolean quick = a.flag("quick");
        int services = a.integer("services", quick ? 1000 : 10_000);
        int reps = a.integer("reps", quick ? 2 : 3);
        List<String> renderers = List.of(a.string("renderers", "iptables,nftables").split(","));
        StringBuilder last = new StringBuilder();
        double worst = 0;
        for (String name : renderers) {
            double modelMs = jmh(name, "render", services, quick);
            double renderMs = jmh(name, "renderText", services, quick);
            System.out.printf(Locale.ROOT, "%s: JMH render %.1f ms as the sync uses it, %.1f ms with the text written out%n",
                    name, modelMs, renderMs);
            ClusterImage image = new SyntheticCluster(services, 5, 3).image();
            RuleSet rules = RenderBenchmark.renderer(name).render(image, NodeContext.of("node-1"),
                    RenderOptions.defaults(SyntheticCluster.CLUSTER_CIDR));
            System.out.printf(Locale.ROOT, "%s: %d Services render to %.1f MB of text, %d chains; JMH render %.1f ms%n",
                    name, services, rules.text().length() / 1e6, rules.chains().size(), renderMs);
            String jfr = a.string("jfr", null);
            if (jfr != null) {
                // Profile: 10 renders in this JVM (after 5 unrecorded), for the top frames.
                RuleRenderer r = RenderBenchmark.renderer(name);
                NodeContext node = NodeContext.of("node-1");
                RenderOptions opts = RenderOptions.defaults(SyntheticCluster.CLUSTER_CIDR);
                for (int i = 0; i < 5; i++) {
                    r.render(image, node, opts);
                }
                try (Profile p = Profile.start(jfr.replace(".jfr", "-" + name + ".jfr"))) {
                    for (int i = 0; i < 10; i++) {
                        r.render(image, node, opts);
                    }
                }
            }
            for (String[] tool : tools(name)) {
                Stats restore = new Stats(tool[0] + " into a fresh netns");
                // One nft -f transaction of 10k Services takes about 45 s here: fewer repetitions.
                int n = tool[0].equals("nft -f") && services >= 5000 ? Math.min(reps, 2) : reps;
                for (int i = 0; i < n; i++) {
                    String ns = Netns.create("fs-" + i);
                    try {
                        restore.add(Timed.run(Netns.in(ns, tool[1].split(" ")), rules.text(), Duration.ofMinutes(5)));
                    } finally {
                        Netns.delete(ns);
                    }
                }
                System.out.println(restore.summary());
                double pct = 100 * renderMs / restore.medianMs();
                double modelPct = 100 * modelMs / restore.medianMs();
                worst = Math.max(worst, pct);
                System.out.printf(Locale.ROOT, "  render+text / %s = %.1f%% (render alone %.1f%%)%n", tool[0], pct, modelPct);
                last.append(String.format(Locale.ROOT, "%s%s render+text %.0f ms = %.1f%% of %s %.0f ms (render alone %.0f ms = %.1f%%)",
                        last.length() == 0 ? "" : "; ", name, renderMs, pct, tool[0], restore.medianMs(), modelMs, modelPct));
            }
        }
        return "full-sync: " + last + String.format(Locale.ROOT, " at %d Services; worst %.1f%% (target <=10%%)", services, worst);
    }

    private static List<String[]> tools(String renderer) {
        return switch (renderer) {
            case "iptables" -> List.of(new String[] {"iptables-nft-restore", "iptables-restore --noflush -w"},
                    new String[] {"iptables-legacy-restore", "iptables-legacy-restore --noflush -w"});
            case "nftables" -> List.<String[]>of(new String[] {"nft -f", "nft -f -"});
            default -> throw new IllegalArgumentException(renderer);
        };
    }

    /** Average render time in ms, JMH in one forked JVM. */
    private static double jmh(String renderer, String method, int services, boolean quick) throws Exception {
        Options opt = new OptionsBuilder()
                .include(RenderBenchmark.class.getName() + "." + method + "$")
                .param("services", Integer.toString(services))
                .param("renderer", renderer)
                .forks(1)
                .warmupIterations(quick ? 2 : 3)
                .warmupTime(TimeValue.seconds(2))
                .measurementIterations(quick ? 3 : 5)
                .measurementTime(TimeValue.seconds(2))
                .jvmArgs("-Xmx2g", "-XX:+UseParallelGC")
                .build();
        Collection<RunResult> results = new Runner(opt).run();
        List<RunResult> list = new ArrayList<>(results);
        return list.get(0).getPrimaryResult().getScore();
    }
}
