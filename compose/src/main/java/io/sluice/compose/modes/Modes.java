package io.sluice.compose.modes;

import io.sluice.applier.backend.IptablesJump;
import io.sluice.applier.backend.IptablesRestoreBackend;
import io.sluice.applier.backend.RuleBackend;
import io.sluice.applier.render.IptablesRenderer;
import io.sluice.applier.render.RuleRenderer;
import io.sluice.schema.model.IpFamily;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Every proxy mode Sluice can run, per IP family: the renderer, the backend and the kernel tools'
 * input. The applier ({@code sluice applier}), {@code sluice render} and {@code sluice cleanup} all
 * take a mode from here, so they cannot disagree. Adding a mode (or a family of one) is one
 * {@code register} line in the static block below.
 */
public final class Modes {

    /**
     * What one mode needs for one family.
     *
     * @param renderer  a new renderer (renderers are pure; one per applier)
     * @param backend   a backend whose commands run behind the given prefix ({@code []} on the host,
     *                  {@code [ip, netns, exec, NS]} in a namespace)
     * @param toolInput the rendered rules as input for the kernel tools, as {@code sluice render} prints them
     * @param tools     commands the backend runs; when one is missing from the node nothing of this
     *                  mode can be installed there, so cleanup skips it
     */
    public record Support(ProxyMode mode, IpFamily family, Supplier<RuleRenderer> renderer,
            Function<List<String>, RuleBackend> backend, ToolInput toolInput, List<String> tools) {
        public Support {
            Objects.requireNonNull(mode, "mode");
            Objects.requireNonNull(family, "family");
            Objects.requireNonNull(renderer, "renderer");
            Objects.requireNonNull(backend, "backend");
            Objects.requireNonNull(toolInput, "toolInput");
            tools = List.copyOf(tools);
        }

        public String describe() {
            return mode.wireName() + " (" + family.wireName() + ")";
        }
    }

    private static final Map<ProxyMode, Map<IpFamily, Support>> REGISTRY = new EnumMap<>(ProxyMode.class);

    static {
        for (IpFamily f : IpFamily.values()) {
            String restore = IptablesRestoreBackend.restoreBinary(f, false);
            String base = restore.substring(0, restore.length() - "-restore".length());
            register(ProxyMode.IPTABLES, f, IptablesRenderer::new, prefix -> IptablesRestoreBackend.forFamily(f, false, prefix),
                    new IptablesToolInput("iptables", restore, IptablesJump.defaults()), restore, base + "-save", base);
        }
    }

    private Modes() {
    }

    private static void register(ProxyMode mode, IpFamily family, Supplier<RuleRenderer> renderer,
            Function<List<String>, RuleBackend> backend, ToolInput toolInput, String... tools) {
        REGISTRY.computeIfAbsent(mode, m -> new EnumMap<>(IpFamily.class))
                .put(family, new Support(mode, family, renderer, backend, toolInput, List.of(tools)));
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

    /** The families {@code mode} supports, IPv4 first; empty when the mode is not in this build. */
    public static List<Support> families(ProxyMode mode) {
        return List.copyOf(REGISTRY.getOrDefault(mode, Map.of()).values());
    }

    /** "iptables (IPv4), iptables (IPv6), …" */
    public static String available() {
        List<String> out = new ArrayList<>();
        REGISTRY.values().forEach(byFamily -> byFamily.values().forEach(s -> out.add(s.describe())));
        return out.isEmpty() ? "none" : String.join(", ", Collections.unmodifiableList(out));
    }
}
