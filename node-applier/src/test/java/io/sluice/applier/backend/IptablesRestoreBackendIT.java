package io.sluice.applier.backend;

import static io.sluice.applier.render.Fixtures.epTcp;
import static io.sluice.applier.render.Fixtures.image;
import static io.sluice.applier.render.Fixtures.ready;
import static io.sluice.applier.render.Fixtures.service;
import static io.sluice.applier.render.Fixtures.slice;
import static io.sluice.applier.render.Fixtures.tcp;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.applier.render.IptablesRenderer;
import io.sluice.applier.render.NodeContext;
import io.sluice.applier.render.RenderOptions;
import io.sluice.applier.render.RuleSet;
import io.sluice.store.image.ClusterImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The backend against a real kernel, in network namespaces this test creates (one per iptables
 * flavour) and deletes; the host's own rules are never touched. Skips, saying why, when not root
 * or a tool is missing.
 */
class IptablesRestoreBackendIT {
    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static final String NS_PREFIX = "sluice-rb-" + ProcessHandle.current().pid() + "-";
    private static final List<String> FLAVOURS = List.of("iptables-restore", "iptables-legacy-restore");
    private static final List<String> created = new ArrayList<>();
    private static final Exec EXEC = Exec.system();
    private static final NodeContext NODE = NodeContext.of("node1");
    private static final RenderOptions OPTIONS = RenderOptions.defaults("10.244.0.0/16");

    private static final ClusterImage WITH_SERVICE = image(
            service("ns1", "web", "172.30.0.41", tcp("http", 80, "8080")),
            slice("ns1", "web-1", "web", List.of(epTcp("http", 8080)), ready("10.244.1.2"), ready("10.244.2.3")),
            service("ns2", "empty", "172.30.0.42", tcp("http", 80, "8080")));
    private static final ClusterImage WITHOUT_SERVICE = image(service("ns2", "empty", "172.30.0.42", tcp("http", 80, "8080")));

    @BeforeAll
    static void createNamespaces() throws Exception {
        Assumptions.assumeTrue(isRoot(), "not root: creating network namespaces and loading rules needs root");
        for (String tool : List.of("ip", "iptables-restore", "iptables-save", "iptables")) {
            Assumptions.assumeTrue(onPath(tool), tool + " is not installed (not on PATH)");
        }
        for (String flavour : FLAVOURS) {
            String ns = namespace(flavour);
            Exec.Result r = EXEC.run(List.of("ip", "netns", "add", ns), null, TIMEOUT);
            Assumptions.assumeTrue(r.ok(), "cannot create a network namespace: " + r.describe());
            created.add(ns);
        }
    }

    @AfterAll
    static void deleteNamespaces() throws Exception {
        for (String ns : created) {
            EXEC.run(List.of("ip", "netns", "delete", ns), null, TIMEOUT);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"iptables-restore", "iptables-legacy-restore"})
    void applyInstallsChainsAndJumpsExactlyOnceAndReapplyKeepsItSo(String flavour) throws Exception {
        IptablesRestoreBackend backend = freshBackend(flavour);
        RuleSet rules = render(WITH_SERVICE);

        backend.apply(rules);
        String save = save(flavour);
        assertThat(chainsIn(save)).containsAll(rules.chains());
        assertJumpsOnce(save);
        assertThat(save).contains("-j DNAT --to-destination 10.244.1.2:8080", "--dport 80 -j REJECT");

        backend.apply(rules);
        String again = save(flavour);
        assertJumpsOnce(again);
        assertThat(sluiceLines(again)).isEqualTo(sluiceLines(save));
        // A restarted applier (a new backend) converges to the same state too.
        freshBackendKeepingRules(flavour).apply(rules);
        assertThat(sluiceLines(save(flavour))).isEqualTo(sluiceLines(save));
    }

    @ParameterizedTest
    @ValueSource(strings = {"iptables-restore", "iptables-legacy-restore"})
    void chainsOfARemovedServiceAreDeleted(String flavour) throws Exception {
        IptablesRestoreBackend backend = freshBackend(flavour);
        RuleSet before = render(WITH_SERVICE);
        RuleSet after = render(WITHOUT_SERVICE);
        backend.apply(before);

        backend.apply(after);

        Set<String> chains = chainsIn(save(flavour));
        assertThat(chains).containsAll(after.chains());
        assertThat(chains).noneMatch(c -> c.contains("SLUICE-SVC-") || c.contains("SLUICE-SEP-"));
        assertJumpsOnce(save(flavour));
    }

    @ParameterizedTest
    @ValueSource(strings = {"iptables-restore", "iptables-legacy-restore"})
    void aRestartedBackendDeletesChainsAnEarlierRunLeft(String flavour) throws Exception {
        freshBackend(flavour).apply(render(WITH_SERVICE));

        freshBackendKeepingRules(flavour).apply(render(WITHOUT_SERVICE)); // knows nothing: reads iptables-save

        assertThat(chainsIn(save(flavour))).isEqualTo(render(WITHOUT_SERVICE).chains());
    }

    @ParameterizedTest
    @ValueSource(strings = {"iptables-restore", "iptables-legacy-restore"})
    void aRefusedRuleSetThrowsAndLeavesThePreviousRulesInPlace(String flavour) throws Exception {
        IptablesRestoreBackend backend = freshBackend(flavour);
        backend.apply(render(WITH_SERVICE));
        List<String> good = sluiceLines(save(flavour));
        String brokenText = render(WITHOUT_SERVICE).text().replace("-A SLUICE-MARK-MASQ -j MARK",
                "-A SLUICE-MARK-MASQ -j SLUICE-NO-SUCH-CHAIN\n-A SLUICE-MARK-MASQ -j MARK");
        RuleSet broken = new RuleSet("iptables", brokenText, render(WITHOUT_SERVICE).chains(), 0, 0);

        assertThatThrownBy(() -> backend.apply(broken))
                .isInstanceOf(ApplyException.class)
                .hasMessageContaining(flavour + " --noflush -w exited")
                .hasMessageContaining("keeps the previous rules");

        assertThat(sluiceLines(save(flavour))).isEqualTo(good);
        backend.apply(render(WITHOUT_SERVICE)); // and the next good apply still converges
        assertThat(chainsIn(save(flavour))).isEqualTo(render(WITHOUT_SERVICE).chains());
    }

    @ParameterizedTest
    @ValueSource(strings = {"iptables-restore", "iptables-legacy-restore"})
    void cleanupLeavesNoSluiceChainsOrJumps(String flavour) throws Exception {
        IptablesRestoreBackend backend = freshBackend(flavour);
        backend.apply(render(WITH_SERVICE));

        backend.cleanup();

        String save = save(flavour);
        assertThat(save).doesNotContain("SLUICE");
        assertThat(save).contains("*nat", "*filter"); // the tables themselves stay
        backend.cleanup(); // idempotent
    }

    // --- helpers ---

    private static RuleSet render(ClusterImage image) {
        return new IptablesRenderer().render(image, NODE, OPTIONS);
    }

    /** A backend on a namespace whose nat and filter tables were emptied first. */
    private static IptablesRestoreBackend freshBackend(String flavour) throws Exception {
        Exec.Result r = EXEC.run(inNs(flavour, flavour), "*nat\nCOMMIT\n*filter\nCOMMIT\n", TIMEOUT);
        assertThat(r.ok()).as("resetting the namespace: %s", r.describe()).isTrue();
        return freshBackendKeepingRules(flavour);
    }

    private static IptablesRestoreBackend freshBackendKeepingRules(String flavour) {
        return new IptablesRestoreBackend(EXEC, List.of("ip", "netns", "exec", namespace(flavour)), flavour, TIMEOUT);
    }

    private static String save(String flavour) throws Exception {
        String saveBinary = flavour.replace("-restore", "-save");
        Exec.Result r = EXEC.run(inNs(flavour, saveBinary), null, TIMEOUT);
        assertThat(r.ok()).as(r.describe()).isTrue();
        return r.stdout();
    }

    /** kube-proxy's jumps (filter INPUT/FORWARD/OUTPUT and nat), each exactly once, as iptables-save prints them. */
    private static void assertJumpsOnce(String save) {
        List<String> lines = save.lines().toList();
        for (String jump : IptablesJump.defaults().stream().map(j -> j.rule().render()).toList()) {
            assertThat(lines.stream().filter(jump::equals).count()).as("copies of %s in\n%s", jump, save).isEqualTo(1);
        }
    }

    private static Set<String> chainsIn(String save) {
        return IptablesRestoreBackend.sluiceChains(save);
    }

    /** Every line mentioning SLUICE, without the comment and counter lines that change between saves. */
    private static List<String> sluiceLines(String save) {
        return save.lines().filter(l -> l.contains("SLUICE") && !l.startsWith("#")).toList();
    }

    private static String namespace(String flavour) {
        return NS_PREFIX + (flavour.contains("legacy") ? "legacy" : "nft");
    }

    private static List<String> inNs(String flavour, String... argv) {
        List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", namespace(flavour)));
        cmd.addAll(Arrays.asList(argv));
        return cmd;
    }

    private static boolean isRoot() {
        try {
            return Files.readAllLines(Path.of("/proc/self/status")).stream()
                    .filter(l -> l.startsWith("Uid:")).anyMatch(l -> l.split("\\s+")[1].equals("0"));
        } catch (IOException e) {
            return false;
        }
    }

    private static boolean onPath(String tool) {
        return Arrays.stream(System.getenv().getOrDefault("PATH", "/usr/sbin:/usr/bin:/sbin:/bin").split(":"))
                .anyMatch(dir -> Files.isExecutable(Path.of(dir, tool)));
    }
}
