package io.sluice.bench;

import io.sluice.applier.render.IptablesRenderer;
import io.sluice.applier.render.NodeContext;
import io.sluice.applier.render.RenderOptions;
import io.sluice.applier.render.RuleRenderer;
import io.sluice.applier.render.RuleSet;
import io.sluice.store.image.ClusterImage;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/** JMH: a full render of N Services x 5 endpoints, per renderer ("iptables"; "nftables" once it exists). */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class RenderBenchmark {
    @Param("10000")
    public int services;

    @Param("iptables")
    public String renderer;

    private ClusterImage image;
    private RuleRenderer r;
    private final NodeContext node = NodeContext.of("node-1");
    private final RenderOptions options = RenderOptions.defaults(SyntheticCluster.CLUSTER_CIDR);

    @Setup
    public void setUp() {
        image = new SyntheticCluster(services, 5, 3).image();
        r = renderer(renderer);
    }

    /** What a full sync renders: the rule set (for iptables a model; other renderers write text). */
    @Benchmark
    public RuleSet render() {
        return r.render(image, node, options);
    }

    /** The rule set with its restore text written out, as {@code sluice render} and dry-run files need it. */
    @Benchmark
    public String renderText() {
        return r.render(image, node, options).text();
    }

    static RuleRenderer renderer(String name) {
        return switch (name) {
            case "iptables" -> new IptablesRenderer();
            case "nftables" -> new io.sluice.applier.render.NftablesRenderer();
            default -> throw new IllegalArgumentException("no renderer '" + name + "' in this build");
        };
    }
}
