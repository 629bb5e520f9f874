package io.sluice.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.sluice.compose.SluiceCli;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The manifests parse, agree with each other, and pass arguments the sluice CLI accepts. */
class ManifestsTest {
    private final List<HasMetadata> all = load();

    @Test
    void everyManifestParsesAndLivesInAKnownNamespace() {
        assertThat(all).isNotEmpty();
        assertThat(all).allSatisfy(r -> assertThat(r.getMetadata().getNamespace()).isIn(null, "sluice-system", "kafka"));
    }

    @Test
    void theApplierNeedsNoKubernetesCredentialsAndExposesKubeProxyPorts() {
        DaemonSet ds = one(DaemonSet.class);
        assertThat(ds.getSpec().getTemplate().getSpec().getAutomountServiceAccountToken()).isFalse();
        Container c = ds.getSpec().getTemplate().getSpec().getContainers().get(0);
        assertThat(c.getPorts()).extracting(p -> p.getContainerPort()).containsExactly(10249, 10256);
        assertThat(c.getSecurityContext().getCapabilities().getAdd()).contains("NET_ADMIN");
        assertParses(c.getArgs());
    }

    /** One source for the applier's JVM settings: the DaemonSet runs it with what bench/run memory measured. */
    @Test
    void theApplierRunsWithTheJvmSettingsTheMemoryBenchmarkMeasures() {
        Map<String, String> env = new LinkedHashMap<>();
        for (EnvVar e : applier().getEnv()) {
            if (e.getValue() != null) {
                env.put(e.getName(), e.getValue());
            }
        }
        Map<String, String> measured = readEnvFile(Path.of("applier.env"));
        assertThat(measured).containsKeys("JAVA_TOOL_OPTIONS", "MALLOC_ARENA_MAX");
        assertThat(env).containsAllEntriesOf(measured);
    }

    /**
     * At its peak (the first full render) the applier's RSS was its heap limit plus some 155 MB
     * outside the heap (docs/PERFORMANCE.md, section 5), so the container's limit must leave at
     * least 160 MiB above -Xmx or the kernel kills the pod mid-render.
     */
    @Test
    void theApplierHeapLimitLeavesRoomForNativeMemoryUnderTheContainerLimit() {
        Container c = applier();
        long limit = Quantity.getAmountInBytes(c.getResources().getLimits().get("memory")).longValueExact();
        String opts = readEnvFile(Path.of("applier.env")).get("JAVA_TOOL_OPTIONS");
        assertThat(limit - maxHeapBytes(opts)).isGreaterThanOrEqualTo(160L << 20);
    }

    @Test
    void theWatcherMayOnlyListAndWatchWhatItFollows() {
        ClusterRole role = one(ClusterRole.class);
        assertThat(role.getRules()).allSatisfy(r -> assertThat(r.getVerbs()).containsExactlyInAnyOrder("list", "watch"));
        assertThat(role.getRules()).flatExtracting(r -> r.getResources()).containsExactlyInAnyOrder("services", "nodes", "endpointslices");
        assertParses(one(Deployment.class).getSpec().getTemplate().getSpec().getContainers().get(0).getArgs());
    }

    @Test
    void theEventsTopicHasOnePartitionAndIsCompacted() {
        GenericKubernetesResource events = all.stream().filter(r -> r.getMetadata().getName().endsWith(".events"))
                .map(GenericKubernetesResource.class::cast).findFirst().orElseThrow();
        @SuppressWarnings("unchecked")
        Map<String, Object> spec = (Map<String, Object>) events.getAdditionalProperties().get("spec");
        assertThat(spec).containsEntry("partitions", 1);
        assertThat(spec.get("config").toString()).contains("cleanup.policy=compact");
    }

    /** Arguments with $(VAR) references must still be accepted by picocli's parser. */
    private static void assertParses(List<String> args) {
        List<String> concrete = args.stream().map(a -> a.replaceAll("\\$\\([A-Z_]+\\)", "x")).toList();
        CommandLine.ParseResult parsed = SluiceCli.commandLine().parseArgs(concrete.toArray(String[]::new));
        assertThat(parsed.hasSubcommand()).isTrue();
    }

    private Container applier() {
        return one(DaemonSet.class).getSpec().getTemplate().getSpec().getContainers().get(0);
    }

    /** The -Xmx of a JVM option string, in bytes; fails if there is none (the heap would follow the host's RAM). */
    private static long maxHeapBytes(String opts) {
        Matcher m = Pattern.compile("(?:^|\\s)-Xmx(\\d+)([kKmMgG]?)(?:\\s|$)").matcher(opts);
        assertThat(m.find()).as("-Xmx in '%s'", opts).isTrue();
        long n = Long.parseLong(m.group(1));
        return switch (m.group(2).toLowerCase(Locale.ROOT)) {
            case "k" -> n << 10;
            case "m" -> n << 20;
            case "g" -> n << 30;
            default -> n;
        };
    }

    /** KEY=value lines (Docker's --env-file format); blank lines and # comments skipped. */
    private static Map<String, String> readEnvFile(Path file) {
        Map<String, String> env = new LinkedHashMap<>();
        try {
            for (String line : Files.readAllLines(file)) {
                String t = line.strip();
                if (!t.isEmpty() && !t.startsWith("#")) {
                    int eq = t.indexOf('=');
                    assertThat(eq).as("%s: '%s' is KEY=value", file, line).isPositive();
                    env.put(t.substring(0, eq), t.substring(eq + 1));
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return env;
    }

    private <T> T one(Class<T> type) {
        return all.stream().filter(type::isInstance).map(type::cast).findFirst().orElseThrow();
    }

    private static List<HasMetadata> load() {
        List<HasMetadata> out = new ArrayList<>();
        try (Stream<Path> files = Files.list(Path.of("manifests"))) {
            for (Path f : files.sorted().toList()) {
                try (InputStream in = Files.newInputStream(f)) {
                    Object parsed = Serialization.unmarshal(in);
                    if (parsed instanceof List<?> list) {
                        list.forEach(o -> out.add((HasMetadata) o));
                    } else {
                        out.add((HasMetadata) parsed);
                    }
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return out;
    }
}
