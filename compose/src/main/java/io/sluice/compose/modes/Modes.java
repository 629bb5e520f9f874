package io.sluice.compose.modes;

import io.sluice.applier.backend.Exec;
import io.sluice.applier.backend.IptablesJump;
import io.sluice.applier.backend.IptablesRestoreBackend;
import io.sluice.applier.backend.IpvsBackend;
import io.sluice.applier.backend.NftablesBackend;
import io.sluice.applier.backend.RuleBackend;
import io.sluice.applier.render.IptablesRenderer;
import io.sluice.applier.render.IpvsOptions;
import io.sluice.applier.render.IpvsRenderer;
import io.sluice.applier.render.NftablesRenderer;
import io.sluice.applier.render.RuleRenderer;
import io.sluice.compose.config.ProxyConfig;
import io.sluice.schema.model.IpFamily;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Every proxy mode Sluice can run, per IP family: the renderer, the backend and the kernel tools'
 * input. The applier ({@code sluice applier}), {@code sluice render} and {@code sluice cleanup} all
 * take a mode from here, so they cannot disagree. Adding a mode, or a family of one, is one
 * {@code register} line in the static block below; a mode registered without a backend can be
 * rendered but not applied or cleaned up.
 */
public final class Modes {

    /** A renderer for a configuration (renderers are pure; one per applier). */
    @FunctionalInterface
    public interface RendererFactory {
        RuleRenderer create(ProxyConfig config);
    }

    /**
     * A backend for a configuration, its commands run behind {@code commandPrefix} ({@code []} on
     * the host, {@code [ip, netns, exec, NS]} in a namespace).
     */
    @FunctionalInterface
    public interface BackendFactory {
        RuleBackend create(ProxyConfig config, List<String> commandPrefix);
    }

    /**
     * What one mode needs for one family.
     *
     * @param toolInput the rendered rules as input for the kernel tools, as {@code sluice render} prints them
     * @param tools     commands the backend runs; when one is missing from the node nothing of this
     *                  mode can have been installed there, so cleanup skips it
     * @param probe     a command (run behind the prefix) the backend's first step needs to succeed;
     *                  when it fails nothing of this mode can have been installed, so cleanup skips
     *                  it (IPVS: the kernel has no ip_vs); empty for none
     */
    public record Support(ProxyMode mode, IpFamily family, RendererFactory renderer, Optional<BackendFactory> backend,
            ToolInput toolInput, List<String> tools, List<String> probe) {
        public Support {
            Objects.requireNonNull(mode, "mode");
            Objects.requireNonNull(family, "family");
            Objects.requireNonNull(renderer, "renderer");
            Objects.requireNonNull(backend, "backend");
            Objects.requireNonNull(toolInput, "toolInput");
            tools = List.copyOf(tools);
            probe = List.copyOf(probe);
        }

        /** The backend; the error says that this build can only render the mode. */
        public RuleBackend createBackend(ProxyConfig config, List<String> commandPrefix) {
            return backend.orElseThrow(() -> new UnsupportedOperationException("mode " + mode + " has no backend in this build"
                    + " of Sluice yet: `sluice render --mode " + mode + "` prints its rules, but they cannot be applied"
                    + " (modes with a backend: " + withBackend() + ")")).create(config, commandPrefix);
        }

        public String describe() {
            return mode.wireName() + " (" + family.wireName() + ")";
        }
    }

    private static final Map<ProxyMode, Map<IpFamily, Support>> REGISTRY = new EnumMap<>(ProxyMode.class);
    private static final List<String> NO_PROBE = List.of();
    /** IpvsBackend sets net.ipv4.vs.conntrack before anything else; without ip_vs the sysctl does not exist. */
    private static final List<String> IPVS_PROBE = List.of("sysctl", "-n", "net.ipv4.vs.conntrack");

    static {
        for (IpFamily f : IpFamily.values()) {
            String restore = IptablesRestoreBackend.restoreBinary(f, false);
            String tool = restore.substring(0, restore.length() - "-restore".length());
            register(ProxyMode.IPTABLES, f, c -> new IptablesRenderer(), (c, prefix) -> IptablesRestoreBackend.forFamily(f, false, prefix),
                    new IptablesToolInput("iptables", restore, IptablesJump.defaults()), NO_PROBE, restore, tool + "-save", tool);
            register(ProxyMode.NFTABLES, f, c -> new NftablesRenderer(), (c, prefix) -> new NftablesBackend(prefix),
                    ToolInput.asIs("nftables", "nft -f -"), NO_PROBE, "nft");
            register(ProxyMode.IPVS, f, c -> new IpvsRenderer(new IpvsOptions(c.ipvs().scheduler())),
                    (c, prefix) -> new IpvsBackend(Exec.system(), prefix, f, false, IpvsBackend.DEFAULT_TIMEOUT, ipvsSettings(c)),
                    new IpvsToolInput(restore), IPVS_PROBE, "ipvsadm", "ipset", restore, "sysctl", "ip");
        }
    }

    private Modes() {
    }

    private static void register(ProxyMode mode, IpFamily family, RendererFactory renderer, BackendFactory backend,
            ToolInput toolInput, List<String> probe, String... tools) {
        REGISTRY.computeIfAbsent(mode, m -> new EnumMap<>(IpFamily.class))
                .put(family, new Support(mode, family, renderer, Optional.ofNullable(backend), toolInput, List.of(tools), probe));
    }

    /** The node-level settings of kube-proxy's ipvs section, which the IPVS backend applies. */
    static IpvsBackend.Settings ipvsSettings(ProxyConfig c) {
        ProxyConfig.Ipvs ipvs = c.ipvs();
        return new IpvsBackend.Settings(ipvs.strictARP(), ipvs.tcpTimeout(), ipvs.tcpFinTimeout(), ipvs.udpTimeout(), ipvs.excludeCIDRs());
    }

    /** The support for {@code mode} and {@code family}, if this build has it. */
    public static Optional<Support> find(ProxyMode mode, IpFamily family) {
        return Optional.ofNullable(REGISTRY.getOrDefault(mode, Map.of()).get(family));
    }

    /** The support for {@code mode} and {@code family}; the error says what this build supports. */
    public static Support get(ProxyMode mode, IpFamily family) {
        return find(mode, family).orElseThrow(() -> new UnsupportedOperationException(
                "mode " + mode + " for " + family.wireName() + " is not available in this build of Sluice (available: "
                        + available() + ")"));
    }

    /** Every family {@code mode} supports, IPv4 first; empty when the mode is not in this build. */
    public static List<Support> families(ProxyMode mode) {
        return List.copyOf(REGISTRY.getOrDefault(mode, Map.of()).values());
    }

    /** "iptables (IPv4), iptables (IPv6), …" */
    public static String available() {
        List<String> out = new ArrayList<>();
        REGISTRY.values().forEach(byFamily -> byFamily.values().forEach(s -> out.add(s.describe())));
        return out.isEmpty() ? "none" : String.join(", ", out);
    }

    private static String withBackend() {
        List<String> out = new ArrayList<>();
        REGISTRY.forEach((m, byFamily) -> {
            if (byFamily.values().stream().anyMatch(s -> s.backend().isPresent())) {
                out.add(m.wireName());
            }
        });
        return out.isEmpty() ? "none" : String.join(", ", out);
    }
}
