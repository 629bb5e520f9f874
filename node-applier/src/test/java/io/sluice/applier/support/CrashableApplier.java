package io.sluice.applier.support;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.sluice.applier.ApplierConfig;
import io.sluice.applier.NodeApplier;
import io.sluice.applier.render.NodeContext;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * An applier in its own JVM, for tests that kill it with SIGKILL. Args: bootstrap servers, cluster
 * id, state dir, node name. Prints {@code APPLIED <seq>} after every sync (flushing), nothing else
 * on stdout that starts with APPLIED.
 */
public final class CrashableApplier {
    private CrashableApplier() {
    }

    public static void main(String[] args) {
        ApplierConfig config = ApplierConfig.builder(args[3], args[1], args[0], Path.of(args[2]))
                .metricsPort(0).healthPort(0).minSyncInterval(Duration.ofMillis(10))
                .kafkaProperties(Map.of("max.poll.records", "5", "default.api.timeout.ms", "5000"))
                .build();
        NodeApplier applier = new NodeApplier(config, new ListingRenderer(), new RecordingBackend(), NodeContext.of(args[3]),
                new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
        applier.onApplied(a -> {
            System.out.println("APPLIED " + a.seq());
            System.out.flush();
        });
        Vertx.vertx().deployVerticle(applier).onFailure(e -> {
            e.printStackTrace();
            System.exit(2);
        });
    }
}
