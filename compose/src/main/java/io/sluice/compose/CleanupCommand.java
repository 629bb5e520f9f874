package io.sluice.compose;

import io.sluice.applier.backend.ApplyException;
import io.sluice.applier.backend.Exec;
import io.sluice.applier.backend.RuleBackend;
import io.sluice.compose.config.KubeProxyConfigFile;
import io.sluice.compose.config.ProxyConfig;
import io.sluice.compose.input.InputException;
import io.sluice.compose.modes.Modes;
import io.sluice.compose.modes.ProxyMode;
import java.io.File;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code sluice cleanup}: removes everything Sluice installed on this node, like
 * {@code kube-proxy --cleanup}, through each mode's own backend ({@code RuleBackend.cleanup()}),
 * for every IP family the mode has. A mode whose tools the node lacks cannot have left anything
 * and is skipped with a note. Exit 0 when everything is gone (or nothing was there).
 */
@Command(name = "cleanup", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Remove every rule, chain, table, set and virtual server Sluice installed on",
                "this node, like `kube-proxy --cleanup`. Run it after stopping the applier.",
                "Other software's iptables rules and nftables tables are left alone. IPVS virtual",
                "servers carry no owner mark: as kube-proxy's, the ipvs cleanup removes every",
                "virtual server of the family but those in the config's ipvs.excludeCIDRs."},
        exitCodeListHeading = "Exit codes:%n",
        exitCodeList = {"0:nothing of Sluice's is left (including: there was nothing)", "1:a cleanup failed (the error says which)", "2:bad command line"})
final class CleanupCommand implements Callable<Integer> {
    /**
     * IPVS first: its iptables rules jump from built-in chains into chains the iptables backend also
     * knows by name, so those jumps must be gone before the iptables cleanup deletes the chains.
     */
    static final List<ProxyMode> ALL_IN_CLEANUP_ORDER = List.of(ProxyMode.IPVS, ProxyMode.NFTABLES, ProxyMode.IPTABLES);

    @Option(names = "--mode", paramLabel = "MODE", defaultValue = "all",
            description = "iptables, nftables, ipvs or all (default: ${DEFAULT-VALUE}).")
    String mode;

    @Option(names = "--netns", paramLabel = "NS", description = "Clean up inside this network namespace instead of the host's.")
    String netns;

    @Option(names = "--config", paramLabel = "FILE", description = "kube-proxy's KubeProxyConfiguration file; its ipvs.excludeCIDRs are kept.")
    Path config;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        List<ProxyMode> modes;
        try {
            modes = mode.equalsIgnoreCase("all") ? ALL_IN_CLEANUP_ORDER : List.of(ProxyMode.parse(mode));
        } catch (IllegalArgumentException e) {
            err.println("error: --mode " + mode + ": expected one of " + ProxyMode.choices() + ", all");
            return 2;
        }
        ProxyConfig proxy = ProxyConfig.defaults();
        if (config != null) {
            try {
                proxy = KubeProxyConfigFile.load(config).config(); // its warnings are about running, not cleaning up
            } catch (InputException e) {
                e.problems().forEach(p -> err.println("error: " + p));
                err.flush();
                return 1;
            }
        }
        List<String> prefix = netns == null ? List.of() : List.of("ip", "netns", "exec", netns);
        String where = netns == null ? "on this node" : "in netns " + netns;
        boolean failed = false;
        Set<String> done = new HashSet<>();
        for (ProxyMode m : modes) {
            List<Modes.Support> families = Modes.families(m);
            if (families.isEmpty()) {
                String msg = "mode " + m + " is not available in this build of Sluice, so it cannot have installed anything";
                if (modes.size() == 1) {
                    err.println("error: " + msg + " (available: " + Modes.available() + ")");
                    return 1;
                }
                err.println("note: " + msg + "; skipped");
                continue;
            }
            for (Modes.Support s : families) {
                failed |= !cleanup(s, proxy, prefix, where, done, out, err);
            }
        }
        out.flush();
        err.flush();
        return failed ? 1 : 0;
    }

    /** Cleans up one mode and family; a backend already cleaned (nftables' serves both families) is not run twice. */
    private static boolean cleanup(Modes.Support s, ProxyConfig proxy, List<String> prefix, String where, Set<String> done,
            PrintWriter out, PrintWriter err) {
        if (s.backend().isEmpty()) {
            out.printf("%s: skipped, this build of Sluice has no backend for it, so it cannot have installed anything%n", s.describe());
            return true;
        }
        Optional<String> missing = s.tools().stream().filter(t -> !onPath(t)).findFirst();
        if (missing.isPresent()) {
            out.printf("%s: skipped, %s is not installed, so Sluice cannot have installed anything with it%n", s.describe(), missing.get());
            return true;
        }
        if (!s.probe().isEmpty()) {
            List<String> probe = new ArrayList<>(prefix);
            probe.addAll(s.probe());
            Optional<String> failed = probeFailure(probe);
            if (failed.isPresent()) {
                out.printf("%s: skipped, `%s` failed (%s): the backend needs it before it installs anything%n", s.describe(),
                        String.join(" ", s.probe()), failed.get());
                return true;
            }
        }
        try (RuleBackend backend = s.createBackend(proxy, prefix)) {
            if (!done.add(backend.describe())) {
                return true;
            }
            backend.cleanup();
            out.printf("%s: nothing of Sluice's left %s (%s)%n", s.describe(), where, backend.describe());
            return true;
        } catch (ApplyException e) {
            err.printf("error: %s: cleanup failed %s: %s%n", s.describe(), where, e.getMessage());
            return false;
        }
    }

    /** Empty when the probe command succeeds, else what it said. */
    private static Optional<String> probeFailure(List<String> command) {
        try {
            Exec.Result r = Exec.system().run(command, null, Duration.ofSeconds(30));
            return r.ok() ? Optional.empty() : Optional.of(r.stderr().isBlank() ? "exit " + r.exitCode() : r.stderr().strip().lines().findFirst().orElse(""));
        } catch (Exec.ExecException e) {
            return Optional.of(e.getMessage());
        }
    }

    private static boolean onPath(String tool) {
        String path = System.getenv().getOrDefault("PATH", "/usr/sbin:/usr/bin:/sbin:/bin");
        List<String> dirs = new ArrayList<>(Arrays.asList(path.split(File.pathSeparator)));
        dirs.addAll(List.of("/usr/sbin", "/sbin"));
        return dirs.stream().anyMatch(d -> Files.isExecutable(Path.of(d, tool)));
    }
}
