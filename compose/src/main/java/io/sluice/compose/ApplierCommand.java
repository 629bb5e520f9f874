package io.sluice.compose;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.sluice.applier.ApplierConfig;
import io.sluice.applier.NodeApplier;
import io.sluice.applier.backend.ConntrackCleaner;
import io.sluice.applier.backend.DryRunBackend;
import io.sluice.applier.backend.RuleBackend;
import io.sluice.applier.render.NodeContext;
import io.sluice.applier.render.RenderOptions;
import io.sluice.compose.config.KubeProxyConfigFile;
import io.sluice.compose.config.ProxyConfig;
import io.sluice.compose.input.InputException;
import io.sluice.compose.modes.Modes;
import io.sluice.compose.modes.ProxyMode;
import io.sluice.schema.model.IpFamily;
import io.vertx.core.Vertx;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code sluice applier}: one node's agent. */
@Command(name = "applier", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Run the node-applier for one node: replay the cluster's events into a RocksDB snapshot and",
                "program this node's Service rules. Needs no Kubernetes credentials, only Kafka. With --config it takes",
                "kube-proxy's own KubeProxyConfiguration file (fields that do not apply are reported at start);",
                "command-line options override the file."})
final class ApplierCommand implements Callable<Integer> {
    @Option(names = "--node", description = "This node's Kubernetes name (default: the config's hostnameOverride).")
    String node;

    @Option(names = "--cluster", required = true, description = "Cluster id (a DNS label).")
    String cluster;

    @Option(names = "--bootstrap-servers", required = true, description = "Kafka bootstrap servers.")
    String bootstrapServers;

    @Option(names = "--state-dir", required = true, description = "Directory of this node's RocksDB snapshot.")
    Path stateDir;

    @Option(names = "--config", paramLabel = "FILE", description = "kube-proxy's KubeProxyConfiguration file (kubeproxy.config.k8s.io/v1alpha1).")
    Path config;

    @Option(names = "--mode", paramLabel = "MODE", description = "iptables, nftables or ipvs (default: the config's mode, else iptables).")
    ProxyMode mode;

    @Option(names = "--family", paramLabel = "FAMILY", defaultValue = "ipv4", description = "IP family to program: ipv4 or ipv6 (default: ${DEFAULT-VALUE}).")
    IpFamily family;

    @Option(names = "--cluster-cidr", description = "Pod CIDR(s) of the cluster, comma-separated for dual stack (default: the config's clusterCIDR);"
            + " Service traffic from outside it is masqueraded.")
    String clusterCidr;

    @Option(names = "--node-ip", description = "This node's IP address(es), primary first (default: the config's bindAddress when it is a specific IP).",
            split = ",")
    List<String> nodeIps = new ArrayList<>();

    @Option(names = "--netns", description = "Program the rules inside this network namespace instead of the host's.")
    String netns;

    @Option(names = "--dry-run-dir", description = "Write the rules to files in this directory instead of the kernel.")
    Path dryRunDir;

    @Option(names = "--metrics-port", description = "Prometheus metrics port (default: the config's metricsBindAddress port, else 10249; 0 picks one).")
    Integer metricsPort;

    @Option(names = "--health-port", description = "Health port (default: the config's healthzBindAddress port, else 10256; 0 picks one).")
    Integer healthPort;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter err = spec.commandLine().getErr();
        Setup setup;
        try {
            setup = setup(err);
        } catch (InputException e) {
            e.problems().forEach(p -> err.println("error: " + p));
            err.flush();
            return 1;
        }
        List<String> prefix = netns == null ? List.of() : List.of("ip", "netns", "exec", netns);
        RuleBackend backend = dryRunDir != null ? new DryRunBackend(dryRunDir) : setup.support().createBackend(setup.proxy(), prefix);
        Vertx vertx = Vertx.vertx();
        try {
            NodeApplier applier = new NodeApplier(setup.config(), setup.support().renderer().create(setup.proxy()), backend, setup.node(),
                    new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
            if (dryRunDir == null) {
                applier.withConntrackCleaner(ConntrackCleaner.system(prefix));
            }
            vertx.deployVerticle(applier).await(60, TimeUnit.SECONDS);
            System.out.printf("node-applier %s up (%s): health http://127.0.0.1:%d/healthz metrics http://127.0.0.1:%d/metrics (%s)%n",
                    setup.config().nodeName(), setup.support().describe(), applier.healthPort(), applier.metricsPort(), backend.describe());
            SluiceCli.runUntilShutdown(() -> vertx.close().await(30, TimeUnit.SECONDS));
        } finally {
            vertx.close().await(30, TimeUnit.SECONDS);
        }
        return 0;
    }

    /** What the applier runs with: its config, its mode's renderer and backend, its node. */
    record Setup(ApplierConfig config, Modes.Support support, NodeContext node, ProxyConfig proxy) {
    }

    /**
     * Resolves the configuration: the file (or kube-proxy's defaults), then the command line on top.
     * Prints the file's warnings. Package-private for tests.
     */
    Setup setup(PrintWriter err) throws InputException {
        ProxyConfig proxy = ProxyConfig.defaults();
        if (config != null) {
            KubeProxyConfigFile.Loaded loaded = KubeProxyConfigFile.load(config);
            loaded.warnings().forEach(w -> err.println("warning: " + w));
            proxy = loaded.config();
        }
        if (mode != null) {
            proxy = proxy.withMode(mode);
        }
        try {
            if (clusterCidr != null) {
                proxy = proxy.withClusterCidrs(clusterCidr.isBlank() ? List.of() : List.of(clusterCidr.split("\\s*,\\s*")));
            }
            String nodeName = node != null ? node : proxy.hostnameOverride();
            if (nodeName == null || nodeName.isBlank()) {
                throw new InputException("--node NAME is required (or a --config whose hostnameOverride names the node)");
            }
            Modes.Support support = Modes.get(proxy.mode(), family);
            if (dryRunDir == null && support.backend().isEmpty()) {
                support.createBackend(proxy, List.of()); // throws, saying the mode can only be rendered
            }
            ApplierConfig.Builder builder = ApplierConfig.builder(nodeName, cluster, bootstrapServers, stateDir);
            if (config != null) {
                proxy.applyTo(builder, family);
            } else {
                // No file: the render options kube-proxy's defaults give, the applier's own sync and port defaults.
                RenderOptions r = proxy.renderOptions(family);
                builder.family(family).clusterCidr(proxy.clusterCidr()).masqueradeBit(r.masqueradeBit())
                        .masqueradeAll(r.masqueradeAll()).nodePortAddresses(r.nodePortAddresses());
            }
            if (metricsPort != null) {
                builder.metricsPort(metricsPort);
            }
            if (healthPort != null) {
                builder.healthPort(healthPort);
            }
            List<String> ips = !nodeIps.isEmpty() ? nodeIps : proxy.primaryNodeIp().map(List::of).orElse(List.of());
            return new Setup(builder.build(), support, new NodeContext(nodeName, ips, null), proxy);
        } catch (IllegalArgumentException | UnsupportedOperationException e) {
            throw new InputException(e.getMessage());
        }
    }
}
