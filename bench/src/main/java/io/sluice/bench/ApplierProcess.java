package io.sluice.bench;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.sluice.applier.ApplierConfig;
import io.sluice.applier.Mode;
import io.sluice.applier.NodeApplier;
import io.sluice.applier.backend.DryRunBackend;
import io.sluice.applier.backend.RuleBackend;
import io.sluice.applier.render.IptablesRenderer;
import io.sluice.applier.render.NodeContext;
import io.vertx.core.Vertx;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * One node-applier alone in its own JVM, as a node runs it, for the cold-start and memory
 * benchmarks ({@link ChildJvm} starts it with the DaemonSet's settings, {@code deploy/applier.env}). Usage: {@code ApplierProcess BOOTSTRAP CLUSTER STATE_DIR RULES_DIR}. Prints
 * {@code EVENT <name> <ms since JVM start>} for {@code deployed}, {@code live} (ready: caught up)
 * and {@code synced} (first sync through the dry-run backend), then obeys stdin: {@code gc} runs
 * full GCs and answers {@code GC_DONE}; {@code exit} (or end of input) stops the applier and exits.
 */
public final class ApplierProcess {
    private ApplierProcess() {
    }

    public static void main(String[] args) throws Exception {
        long jvmStart = ManagementFactory.getRuntimeMXBean().getStartTime();
        ApplierConfig config = ApplierConfig.builder("node-1", args[1], args[0], Path.of(args[2]))
                .clusterCidr(SyntheticCluster.CLUSTER_CIDR).metricsPort(0).healthPort(0).build();
        RuleBackend backend = new DryRunBackend(Path.of(args[3]));
        Vertx vertx = Vertx.vertx();
        NodeApplier applier = new NodeApplier(config, new IptablesRenderer(), backend, NodeContext.of("node-1"),
                new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
        applier.onApplied(s -> event("synced", jvmStart));
        vertx.deployVerticle(applier).await(120, TimeUnit.SECONDS);
        event("deployed", jvmStart);
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(10);
        while (applier.mode() != Mode.LIVE && System.nanoTime() < deadline) {
            Thread.sleep(2);
        }
        event(applier.mode() == Mode.LIVE ? "live" : "not-live", jvmStart);
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
        for (String line; (line = in.readLine()) != null && !line.equals("exit"); ) {
            if (line.equals("gc")) {
                for (int i = 0; i < 3; i++) {
                    System.gc();
                    Thread.sleep(200);
                }
                System.out.println("GC_DONE appliedSeq=" + applier.appliedSeq() + " heapUsedMB="
                        + (Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory()) / (1 << 20)
                        + " heapCommittedMB=" + Runtime.getRuntime().totalMemory() / (1 << 20));
                System.out.flush();
            } else if (line.equals("seq")) {
                System.out.println("SEQ " + applier.appliedSeq());
                System.out.flush();
            }
        }
        applier.close().await(30, TimeUnit.SECONDS);
        vertx.close().await(30, TimeUnit.SECONDS);
        System.exit(0);
    }

    private static synchronized void event(String name, long jvmStart) {
        System.out.println("EVENT " + name + " " + (System.currentTimeMillis() - jvmStart));
        System.out.flush();
    }
}
