package io.sluice.compose;

import io.sluice.testkit.netns.Netns;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code sluice up}: the embedded dev stack, with the lab as root, and the demo scenario on request. */
@Command(name = "up", mixinStandardHelpOptions = true,
        description = {"Start the embedded dev stack in one process: a KRaft Kafka broker, a mock Kubernetes API seeded",
                "from YAML, the watcher and two node-appliers. As root it builds a lab of network namespaces with real",
                "iptables rules; otherwise the appliers write rule files (dry run)."})
final class UpCommand implements Callable<Integer> {
    @Option(names = "--demo", description = "Run the kube-proxy scenario and exit 0 only if every step passed.")
    boolean demo;

    @Option(names = "--dry-run", description = "Write rule files instead of programming the lab, even as root.")
    boolean dryRun;

    @Option(names = "--state-dir", description = "Where Kafka data, snapshots and rule files go (default: ${DEFAULT-VALUE}).",
            defaultValue = ".sluice/up")
    Path stateDir;

    @Option(names = "--seed", description = "Kubernetes YAML to seed the mock API with (default: the bundled examples/lab.yaml).")
    Path seed;

    @Option(names = "--cluster", description = "Cluster id (default: ${DEFAULT-VALUE}).", defaultValue = "dev")
    String cluster;

    PrintStream out = System.out;

    @Override
    public Integer call() throws Exception {
        if (seed != null && !Files.isReadable(seed)) {
            throw new IllegalArgumentException("--seed " + seed + ": no such readable file");
        }
        Optional<String> noLab = dryRun ? Optional.of("--dry-run was given") : Netns.unavailableReason();
        noLab.ifPresent(why -> out.println("No lab: " + why + ". Running the same pipeline with dry-run backends that write rule files."));
        wipe(stateDir);
        StackOptions options = new StackOptions(stateDir.toAbsolutePath(), cluster, seed, noLab.isEmpty(), List.of("node-1", "node-2"));
        try (EmbeddedStack stack = EmbeddedStack.start(options)) {
            printEndpoints(stack);
            if (demo) {
                boolean ok = new Demo(stack, out).run().stream().allMatch(Demo.Step::passed);
                return ok ? 0 : 1;
            }
            out.println("\nRunning. Ctrl-C stops everything and removes the lab.");
            SluiceCli.runUntilShutdown(stack);
            return 0;
        }
    }

    private void printEndpoints(EmbeddedStack stack) {
        out.println("\nSluice dev stack is up (cluster " + cluster + "):");
        out.println("  Kafka bootstrap:      " + stack.bootstrapServers() + "   topic " + stack.options().eventsTopic());
        out.println("  Kubernetes mock API:  " + stack.apiUrl() + "   (CRUD; e.g. curl " + stack.apiUrl() + "api/v1/services)");
        out.println("  watcher:              emitted up to seq " + stack.watcher().lastSeq());
        for (EmbeddedStack.NodeHandle n : stack.nodes()) {
            n.applier().ifPresent(a -> out.printf("  %-20s  health http://127.0.0.1:%d/healthz  metrics http://127.0.0.1:%d/metrics  applied seq %d%n",
                    n.name() + " applier:", a.healthPort(), a.metricsPort(), a.appliedSeq()));
        }
        stack.lab().ifPresent(lab -> {
            out.println("  lab namespaces:       " + lab.nodeNamespaces() + " and pods " + lab.pods().stream().map(p -> p.namespace() + "=" + p.ip()).toList());
            out.println("  try:                  ip netns exec " + stack.pod("client-1").namespace() + " curl -s http://" + Demo.WEB_VIP + "/");
        });
        if (stack.lab().isEmpty()) {
            stack.nodes().forEach(n -> out.println("  " + n.name() + " rules:        " + stack.dryRunRules(n.name())));
        }
    }

    /** A fresh state dir each run: the dev stack's broker and snapshots start empty. */
    private static void wipe(Path dir) throws IOException {
        if (Files.exists(dir)) {
            try (Stream<Path> s = Files.walk(dir)) {
                for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
    }
}
