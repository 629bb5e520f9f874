package io.sluice.compose;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.sluice.applier.ApplierConfig;
import io.sluice.applier.NodeApplier;
import io.sluice.applier.backend.DryRunBackend;
import io.sluice.applier.backend.IptablesRestoreBackend;
import io.sluice.applier.backend.RuleBackend;
import io.sluice.applier.render.IptablesRenderer;
import io.sluice.applier.render.NodeContext;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code sluice applier}: one node's agent. */
@Command(name = "applier", mixinStandardHelpOptions = true,
        description = {"Run the node-applier for one node: replay the cluster's events into a RocksDB snapshot and",
                "program this node's iptables rules. Needs no Kubernetes credentials, only Kafka."})
final class ApplierCommand implements Callable<Integer> {
    @Option(names = "--node", required = true, description = "This node's Kubernetes name.")
    String node;

    @Option(names = "--cluster", required = true, description = "Cluster id (a DNS label).")
    String cluster;

    @Option(names = "--bootstrap-servers", required = true, description = "Kafka bootstrap servers.")
    String bootstrapServers;

    @Option(names = "--state-dir", required = true, description = "Directory of this node's RocksDB snapshot.")
    Path stateDir;

    @Option(names = "--cluster-cidr", description = "Pod CIDR of the cluster; Service traffic from outside it is masqueraded.")
    String clusterCidr;

    @Option(names = "--node-ip", description = "This node's IP address(es).", split = ",")
    List<String> nodeIps = new ArrayList<>();

    @Option(names = "--netns", description = "Program the rules inside this network namespace instead of the host's.")
    String netns;

    @Option(names = "--dry-run-dir", description = "Write the rules to files in this directory instead of the kernel.")
    Path dryRunDir;

    @Option(names = "--metrics-port", defaultValue = "10249", description = "Prometheus metrics port (default: ${DEFAULT-VALUE}; 0 picks one).")
    int metricsPort;

    @Option(names = "--health-port", defaultValue = "10256", description = "Health port (default: ${DEFAULT-VALUE}; 0 picks one).")
    int healthPort;

    @Override
    public Integer call() throws Exception {
        ApplierConfig config = ApplierConfig.builder(node, cluster, bootstrapServers, stateDir)
                .clusterCidr(clusterCidr).metricsPort(metricsPort).healthPort(healthPort).build();
        RuleBackend backend = dryRunDir != null ? new DryRunBackend(dryRunDir)
                : new IptablesRestoreBackend(netns == null ? List.of() : List.of("ip", "netns", "exec", netns), "iptables-restore");
        Vertx vertx = Vertx.vertx();
        try {
            NodeApplier applier = new NodeApplier(config, new IptablesRenderer(), backend, new NodeContext(node, nodeIps, null),
                    new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
            vertx.deployVerticle(applier).await(60, TimeUnit.SECONDS);
            System.out.printf("node-applier %s up: health http://127.0.0.1:%d/healthz metrics http://127.0.0.1:%d/metrics (%s)%n",
                    node, applier.healthPort(), applier.metricsPort(), backend.describe());
            CountDownLatch stop = new CountDownLatch(1);
            Runtime.getRuntime().addShutdownHook(new Thread(stop::countDown));
            stop.await();
        } finally {
            vertx.close().await(30, TimeUnit.SECONDS);
        }
        return 0;
    }
}
