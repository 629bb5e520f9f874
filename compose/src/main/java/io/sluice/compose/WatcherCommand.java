package io.sluice.compose;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.sluice.watcher.ClusterWatcher;
import io.sluice.watcher.WatcherConfig;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code sluice watcher}: informers on one cluster's API → versioned events on Kafka. */
@Command(name = "watcher", mixinStandardHelpOptions = true,
        description = {"Watch Services, EndpointSlices and Nodes of one cluster and produce versioned change events",
                "to sluice.<cluster>.events. Kubernetes credentials come from KUBECONFIG, ~/.kube/config or the",
                "in-cluster service account, as for kubectl."})
final class WatcherCommand implements Callable<Integer> {
    @Option(names = "--cluster", required = true, description = "Cluster id the events carry (a DNS label).")
    String cluster;

    @Option(names = "--bootstrap-servers", required = true, description = "Kafka bootstrap servers, host:port[,host:port].")
    String bootstrapServers;

    @Option(names = "--topic", description = "Events topic (default: sluice.<cluster>.events).")
    String topic;

    @Override
    public Integer call() throws Exception {
        String t = topic == null ? "sluice." + cluster + ".events" : topic;
        try (KubernetesClient client = new KubernetesClientBuilder().build();
             ClusterWatcher watcher = new ClusterWatcher(client, WatcherConfig.of(cluster, bootstrapServers).withTopic(t), new SimpleMeterRegistry())) {
            watcher.start();
            SluiceCli.runUntilShutdown(() -> {
                watcher.close();
                client.close();
            });
        }
        return 0;
    }
}
