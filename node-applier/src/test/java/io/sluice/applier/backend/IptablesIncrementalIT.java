package io.sluice.applier.backend;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.applier.render.IptablesRenderer;
import io.sluice.applier.render.NodeContext;
import io.sluice.applier.render.RenderOptions;
import io.sluice.applier.render.RuleSet;
import io.sluice.schema.model.AddressType;
import io.sluice.schema.model.ChangeEvent;
import io.sluice.schema.model.Endpoint;
import io.sluice.schema.model.EndpointPort;
import io.sluice.schema.model.EndpointSlice;
import io.sluice.schema.model.ObjectKey;
import io.sluice.schema.model.Protocol;
import io.sluice.schema.model.Resource;
import io.sluice.schema.model.Service;
import io.sluice.schema.model.ServicePort;
import io.sluice.store.image.ClusterImage;
import io.sluice.store.image.ImageDelta;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Incremental syncs and drift checks of IptablesRestoreBackend against a real kernel, for both
 * iptables flavours, each test in network namespaces it creates and deletes (the host's rules are
 * never touched). Skips when not root or a tool is missing.
 */
class IptablesIncrementalIT {
    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static final NodeContext NODE = NodeContext.of("node1");
    private static final RenderOptions OPTIONS = RenderOptions.defaults("10.244.0.0/16");
    private static final Pattern IPV6_CIDR = Pattern.compile("[0-9a-fA-F]*:[0-9a-fA-F:]+/\\d+");

    private final List<Netns> namespaces = new ArrayList<>();

    @AfterEach
    void deleteNamespaces() throws Exception {
        for (Netns ns : namespaces) {
            ns.close();
        }
    }

    // ---- the kernel's printing of every rendered form reads back as applied --------------------

    @ParameterizedTest
    @ValueSource(strings = {"iptables-restore", "iptables-legacy-restore"})
    void everyGoldenRuleSetReadsBackAsAppliedWithNoDrift(String flavour) throws Exception {
        for (String name : goldenFiles()) {
            String text = golden(name);
            String binary = IPV6_CIDR.matcher(text).find() ? flavour.replace("iptables", "ip6tables") : flavour;
            Netns ns = namespace("gold");
            IptablesRestoreBackend backend = new IptablesRestoreBackend(Exec.system(), ns.prefix(), binary, TIMEOUT);
            RuleSet rules = ruleSet(text);

            backend.apply(rules, SyncKind.FULL, Set.of());

            assertThat(backend.checkDrift(rules, DriftCheck.FULL)).get().as(name + " full check")
                    .satisfies(d -> assertThat(d.differences()).isEmpty());
            assertThat(backend.checkDrift(rules, DriftCheck.CANARY)).get().as(name + " canary")
                    .satisfies(d -> assertThat(d.differences()).isEmpty());
            assertThat(backend.readBack()).get().as(name).isEqualTo(backend.canonical(rules));
            ApplyReport again = backend.apply(rules, SyncKind.FULL, Set.of());
            assertThat(again.nothingSent()).as(name + ": a second full sync finds nothing to send").isTrue();
            ns.close();
            namespaces.remove(ns);
        }
    }

    // ---- partial syncs send only what changed --------------------------------------------------

    @ParameterizedTest
    @ValueSource(strings = {"iptables-restore", "iptables-legacy-restore"})
    void aPartialSyncOfOneServiceSendsOnlyItsChainsAndTheKernelEndsAsAFullLoadWould(String flavour) throws Exception {
        Netns ns = namespace("part");
        RecordingExec exec = new RecordingExec(Exec.system());
        IptablesRestoreBackend backend = new IptablesRestoreBackend(exec, ns.prefix(), flavour, TIMEOUT);
        Cluster cluster = Cluster.of(40);
        RuleSet v1 = render(cluster.image());
        assertThat(backend.apply(v1, SyncKind.FULL, Set.of()).kind()).isEqualTo(SyncKind.FULL);

        // One Service's endpoints change: its SVC chain and SEP chains only; the dispatch chain stays.
        cluster.replaceEndpoint(7, "10.244.7.99");
        RuleSet v2 = render(cluster.image());
        exec.clear();
        ApplyReport r2 = backend.apply(v2, SyncKind.PARTIAL, Set.of(ObjectKey.service("ns1", "svc-7")));

        assertThat(r2.kind()).isEqualTo(SyncKind.PARTIAL);
        assertThat(exec.calls()).as("one restore, nothing else: no save, no jump checks").hasSize(1);
        String input = exec.restoreInputs().get(0);
        assertThat(input).doesNotContain("SLUICE-SERVICES").doesNotContain("*filter");
        assertThat(input.lines().filter(l -> l.startsWith("-A "))).isNotEmpty()
                .allMatch(l -> l.contains("\"ns1/svc-7:http"));
        assertThat(r2.chainsWritten()).hasSizeGreaterThanOrEqualTo(2).noneMatch(c -> c.endsWith("/SLUICE-SERVICES"));
        assertKernelHolds(backend, v2, flavour);

        // A new Service: its chains, and one rule inserted into the long dispatch chain in place.
        cluster.addService(40);
        RuleSet v3 = render(cluster.image());
        exec.clear();
        backend.apply(v3, SyncKind.PARTIAL, Set.of(ObjectKey.service("ns1", "svc-40")));
        input = exec.restoreInputs().get(0);
        assertThat(input).doesNotContain(":SLUICE-SERVICES ").containsPattern("(?m)^-I SLUICE-SERVICES \\d+ -d ");
        assertThat(input.lines().filter(l -> l.startsWith("-A ") || l.startsWith("-I ")))
                .allMatch(l -> l.contains("\"ns1/svc-40:http"));
        assertKernelHolds(backend, v3, flavour);

        // A Service goes: its dispatch rule deleted in place, its chains flushed and deleted.
        cluster.removeService(3);
        RuleSet v4 = render(cluster.image());
        exec.clear();
        ApplyReport r4 = backend.apply(v4, SyncKind.PARTIAL, Set.of(ObjectKey.service("ns1", "svc-3")));
        input = exec.restoreInputs().get(0);
        assertThat(input).containsPattern("(?m)^-D SLUICE-SERVICES -d .*ns1/svc-3:http").containsPattern("(?m)^-X SLUICE-SVC-");
        assertThat(r4.chainsDeleted()).hasSize(3); // SVC + 2 SEP
        assertKernelHolds(backend, v4, flavour);

        // The kernel equals a fresh full load of the same rules into another namespace.
        Netns fresh = namespace("fresh");
        IptablesRestoreBackend loader = new IptablesRestoreBackend(Exec.system(), fresh.prefix(), flavour, TIMEOUT);
        loader.apply(v4, SyncKind.FULL, Set.of());
        assertThat(backend.readBack()).isEqualTo(loader.readBack());
    }

    // ---- drift is found and repaired -------------------------------------------------------------

    @ParameterizedTest
    @ValueSource(strings = {"iptables-restore", "iptables-legacy-restore"})
    void aFlushedDispatchChainIsFoundByTheCanaryAndRepairedByAFullSyncSendingOnlyThatChain(String flavour) throws Exception {
        Netns ns = namespace("drift");
        RecordingExec exec = new RecordingExec(Exec.system());
        IptablesRestoreBackend backend = new IptablesRestoreBackend(exec, ns.prefix(), flavour, TIMEOUT);
        RuleSet rules = render(Cluster.of(5).image());
        backend.apply(rules, SyncKind.FULL, Set.of());
        String iptables = flavour.replace("-restore", "");

        ns.run(iptables, "-w", "-t", "nat", "-F", "SLUICE-SERVICES");

        DriftReport canary = backend.checkDrift(rules, DriftCheck.CANARY).orElseThrow();
        long dispatch = IptablesRules.parseRendered(rules.text()).rules("nat", "SLUICE-SERVICES").size();
        assertThat(canary.differences()).singleElement().asString()
                .startsWith("nat/SLUICE-SERVICES: 0 rules in the kernel, " + dispatch + " applied");
        exec.clear();
        ApplyReport repair = backend.apply(rules, SyncKind.FULL, Set.of());
        assertThat(repair.chainsWritten()).containsExactly("nat/SLUICE-SERVICES");
        assertThat(exec.restoreInputs()).singleElement().asString().startsWith("*nat\n:SLUICE-SERVICES - [0:0]\n");
        assertKernelHolds(backend, rules, flavour);
    }

    @ParameterizedTest
    @ValueSource(strings = {"iptables-restore", "iptables-legacy-restore"})
    void aFlushedTableAndADeepEditAreFoundAndRepaired(String flavour) throws Exception {
        Netns ns = namespace("flush");
        IptablesRestoreBackend backend = new IptablesRestoreBackend(Exec.system(), ns.prefix(), flavour, TIMEOUT);
        RuleSet rules = render(Cluster.of(5).image());
        backend.apply(rules, SyncKind.FULL, Set.of());
        String iptables = flavour.replace("-restore", "");

        // A firewall reload: every rule and every chain of the nat table gone, jumps included.
        ns.run(iptables, "-w", "-t", "nat", "-F");
        ns.run(iptables, "-w", "-t", "nat", "-X");
        DriftReport canary = backend.checkDrift(rules, DriftCheck.CANARY).orElseThrow();
        assertThat(canary.differences()).anyMatch(d -> d.startsWith("nat/SLUICE-SERVICES: missing"))
                .anyMatch(d -> d.startsWith("jump missing: nat -A PREROUTING"));
        assertThat(backend.apply(rules, SyncKind.FULL, Set.of()).kind()).isEqualTo(SyncKind.FULL);
        assertKernelHolds(backend, rules, flavour);

        // Someone edits one endpoint's DNAT deep inside: the canary cannot see it, the full check does.
        String sep = rules.chains().stream().filter(c -> c.startsWith("nat/SLUICE-SEP-")).sorted().findFirst().orElseThrow()
                .substring("nat/".length());
        ns.run(iptables, "-w", "-t", "nat", "-R", sep, "2", "-p", "tcp", "-j", "DNAT", "--to-destination", "10.244.66.66:8080");
        assertThat(backend.checkDrift(rules, DriftCheck.CANARY).orElseThrow().drifted()).isFalse();
        DriftReport full = backend.checkDrift(rules, DriftCheck.FULL).orElseThrow();
        assertThat(full.differences()).singleElement().asString().startsWith("nat/" + sep + ": rule 2 differs")
                .contains("10.244.66.66:8080");
        ApplyReport repair = backend.apply(rules, SyncKind.FULL, Set.of());
        assertThat(repair.chainsWritten()).containsExactly("nat/" + sep);
        assertKernelHolds(backend, rules, flavour);
    }

    // ---- helpers -----------------------------------------------------------------------------------

    private static void assertKernelHolds(IptablesRestoreBackend backend, RuleSet rules, String flavour) throws Exception {
        assertThat(backend.checkDrift(rules, DriftCheck.FULL).orElseThrow().differences()).as(flavour).isEmpty();
        assertThat(backend.checkDrift(rules, DriftCheck.CANARY).orElseThrow().differences()).as(flavour).isEmpty();
        assertThat(backend.readBack()).get().isEqualTo(backend.canonical(rules));
    }

    private Netns namespace(String tag) throws Exception {
        Netns ns = Netns.create(tag + namespaces.size(), "iptables-restore", "iptables-save", "iptables");
        namespaces.add(ns);
        return ns;
    }

    private static RuleSet render(ClusterImage image) {
        return new IptablesRenderer().render(image, NODE, OPTIONS);
    }

    static RuleSet ruleSet(String text) {
        Set<String> chains = new TreeSet<>();
        String table = null;
        for (String l : text.lines().toList()) {
            if (l.startsWith("*")) {
                table = l.substring(1);
            } else if (l.startsWith(":")) {
                chains.add(table + "/" + l.substring(1, l.indexOf(' ')));
            }
        }
        return new RuleSet("iptables", text, chains, 0, 0);
    }

    /** Every golden rule set the iptables renderer is tested against (names without .txt). */
    private static List<String> goldenFiles() throws Exception {
        Path dir = Path.of(IptablesIncrementalIT.class.getResource("/golden/iptables").toURI());
        try (Stream<Path> files = Files.list(dir)) {
            List<String> names = files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".txt"))
                    .map(n -> n.substring(0, n.length() - 4)).sorted().toList();
            assertThat(names).as("golden files in " + dir).isNotEmpty();
            return names;
        }
    }

    private static String golden(String name) throws IOException {
        try (InputStream in = IptablesIncrementalIT.class.getResourceAsStream("/golden/iptables/" + name + ".txt")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /** Services ns1/svc-i (172.30.0.i, port 80) with two ready endpoints each (10.244.i.1, .2). */
    static final class Cluster {
        private final List<Resource> objects = new ArrayList<>();

        static Cluster of(int services) {
            Cluster c = new Cluster();
            for (int i = 0; i < services; i++) {
                c.addService(i);
            }
            return c;
        }

        void addService(int i) {
            objects.add(Service.builder("ns1", "svc-" + i).clusterIP("172.30." + (i / 200) + "." + (i % 200 + 1))
                    .ports(new ServicePort("http", Protocol.TCP, 80, "8080", 0, null)).build());
            objects.add(slice(i, "10.244." + i + ".1", "10.244." + i + ".2"));
        }

        void replaceEndpoint(int i, String ip) {
            objects.removeIf(o -> o.key().equals(ObjectKey.endpointSlice("ns1", "svc-" + i + "-1")));
            objects.add(slice(i, "10.244." + i + ".1", ip));
        }

        void removeService(int i) {
            objects.removeIf(o -> o.key().equals(ObjectKey.service("ns1", "svc-" + i))
                    || o.key().equals(ObjectKey.endpointSlice("ns1", "svc-" + i + "-1")));
        }

        private static EndpointSlice slice(int i, String... ips) {
            return new EndpointSlice("ns1", "svc-" + i + "-1", "svc-" + i, AddressType.IPV4,
                    List.of(new EndpointPort("http", Protocol.TCP, 8080, null)),
                    java.util.Arrays.stream(ips).map(ip -> Endpoint.ready(ip, "node1")).toList());
        }

        ClusterImage image() {
            ImageDelta delta = ClusterImage.empty().delta();
            long seq = 0;
            for (Resource r : objects) {
                delta.replay(ChangeEvent.upsert("test", ++seq, r, Instant.EPOCH, Long.toString(seq)));
            }
            return delta.apply();
        }
    }
}
