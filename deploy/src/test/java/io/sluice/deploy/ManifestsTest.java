package io.sluice.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
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
import java.util.List;
import java.util.Map;
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
