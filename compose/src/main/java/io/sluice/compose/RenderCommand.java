package io.sluice.compose;

import io.sluice.applier.render.NodeContext;
import io.sluice.applier.render.RuleSet;
import io.sluice.compose.config.KubeProxyConfigFile;
import io.sluice.compose.config.ProxyConfig;
import io.sluice.compose.input.InputException;
import io.sluice.compose.input.StateFile;
import io.sluice.compose.modes.Modes;
import io.sluice.compose.modes.ProxyMode;
import io.sluice.compose.modes.ToolInput;
import io.sluice.schema.model.IpFamily;
import io.sluice.schema.model.Node;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code sluice render}: what the applier would apply on one node, from a file of Kubernetes YAML,
 * printed as input for the kernel tool. Exit codes: 0 rendered, 1 invalid input (every problem
 * printed, each naming file:line, object, field and value), 2 bad command line.
 */
@Command(name = "render", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Print what the applier would program on one node, as input for the kernel tool",
                "as it stands. On a node without Sluice rules:",
                "  sluice render … | iptables-restore --noflush   (ipv6: ip6tables-restore)",
                "  sluice render … --mode nftables | nft -f -",
                "  sluice render … --mode ipvs | ipvsadm-restore  (after the parts it names)",
                "gives the node its complete Service behaviour. The state is Kubernetes YAML as",
                "`kubectl get -o yaml` prints it: Services, EndpointSlices and Nodes, as several",
                "documents or a List. The node's addresses and zone come from its Node object.",
                "Warnings and notes go to standard error."},
        exitCodeListHeading = "Exit codes:%n",
        exitCodeList = {"0:rendered", "1:invalid input (each problem names file:line, object, field and value)", "2:bad command line"})
final class RenderCommand implements Callable<Integer> {
    @Option(names = "--state", required = true, paramLabel = "FILE", description = "Kubernetes YAML: Services, EndpointSlices and Nodes.")
    Path state;

    @Option(names = "--node", paramLabel = "NAME", description = "The node to render for (default: the config's hostnameOverride).")
    String node;

    @Option(names = "--mode", paramLabel = "MODE", description = "iptables, nftables or ipvs (default: the config's mode, else iptables).")
    ProxyMode mode;

    @Option(names = "--family", paramLabel = "FAMILY", defaultValue = "ipv4", description = "ipv4 or ipv6 (default: ${DEFAULT-VALUE}).")
    IpFamily family;

    @Option(names = "--config", paramLabel = "FILE", description = "kube-proxy's KubeProxyConfiguration file (kubeproxy.config.k8s.io/v1alpha1).")
    Path config;

    @Option(names = "--part", paramLabel = "PART", description = "Which part to print when the mode has several (ipvs: node, ipset, iptables,"
            + " ipvsadm (default), or script: all of them as one shell script).")
    String part;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        try {
            ProxyConfig proxy = loadConfig(err);
            String nodeName = nodeName(proxy);
            StateFile.Loaded loaded = StateFile.load(state);
            loaded.notes().forEach(n -> err.println("note: " + n));
            Node n = loaded.image().node(nodeName).orElseThrow(() -> new InputException(state + ": no Node named '" + nodeName
                    + "' (the file has " + loaded.image().nodes().stream().map(Node::name).toList() + ")"));
            Modes.Support support = Modes.get(proxy.mode(), family);
            NodeContext ctx = NodeContexts.fromNode(n, proxy);
            RuleSet rules = support.renderer().create(proxy).render(loaded.image(), ctx, proxy.renderOptions(family));
            ToolInput.Part chosen = choose(support.toolInput().parts(rules, proxy), support.toolInput().alternatives(rules, proxy), support);
            out.print(chosen.text());
            out.flush();
            err.printf("sluice render: node %s, %s: %d services, %d endpoints; apply with: %s%n", nodeName, support.describe(),
                    rules.serviceCount(), rules.endpointCount(), chosen.tool());
            return 0;
        } catch (InputException e) {
            e.problems().forEach(p -> err.println("error: " + p));
            return 1;
        } catch (UnsupportedOperationException | IllegalArgumentException e) {
            err.println("error: " + e.getMessage());
            return 1;
        } finally {
            err.flush();
        }
    }

    private ProxyConfig loadConfig(PrintWriter err) throws InputException {
        ProxyConfig proxy = ProxyConfig.defaults();
        if (config != null) {
            KubeProxyConfigFile.Loaded loaded = KubeProxyConfigFile.load(config);
            loaded.warnings().forEach(w -> err.println("warning: " + w));
            proxy = loaded.config();
        }
        if (mode != null && mode != proxy.mode()) {
            if (config != null) {
                err.println("note: --mode " + mode + " overrides the config's mode " + proxy.mode());
            }
            proxy = proxy.withMode(mode);
        }
        return proxy;
    }

    private String nodeName(ProxyConfig proxy) throws InputException {
        if (node != null && !node.isBlank()) {
            return node.strip();
        }
        if (!proxy.hostnameOverride().isEmpty()) {
            return proxy.hostnameOverride();
        }
        throw new InputException("--node NAME is required (or a --config whose hostnameOverride names the node)");
    }

    private ToolInput.Part choose(List<ToolInput.Part> parts, List<ToolInput.Part> alternatives, Modes.Support support)
            throws InputException {
        String wanted = part != null ? part : support.toolInput().mainPart(parts);
        if (part == null && parts.size() > 1) {
            spec.commandLine().getErr().println("note: mode " + support.mode() + " has " + parts.size() + " parts; on a node without"
                    + " Sluice rules apply them in this order: " + describe(parts)
                    + (alternatives.isEmpty() ? "" : "; or all at once: " + describe(alternatives))
                    + ". Printing '" + wanted + "'; print the others with --part NAME");
        }
        List<ToolInput.Part> all = new java.util.ArrayList<>(parts);
        all.addAll(alternatives);
        return all.stream().filter(p -> p.name().equals(wanted)).findFirst().orElseThrow(() -> new InputException(
                "--part " + wanted + ": mode " + support.mode() + " has the parts " + all.stream().map(ToolInput.Part::name).toList()));
    }

    private static String describe(List<ToolInput.Part> parts) {
        return String.join(", ", parts.stream().map(p -> p.name() + " (| " + p.tool() + ")").toList());
    }
}
