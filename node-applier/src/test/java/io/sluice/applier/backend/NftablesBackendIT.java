package io.sluice.applier.backend;

import static io.sluice.applier.render.Fixtures.image;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.applier.render.NftablesFixtures;
import io.sluice.applier.render.NftablesRenderer;
import io.sluice.applier.render.NodeContext;
import io.sluice.applier.render.RenderOptions;
import io.sluice.applier.render.RuleSet;
import io.sluice.applier.render.nft.NftChange;
import io.sluice.schema.model.ObjectKey;
import io.sluice.schema.model.IpFamily;
import io.sluice.schema.model.Resource;
import io.sluice.schema.model.Service;
import io.sluice.schema.model.TrafficPolicy;
import io.sluice.testkit.netns.ExecResult;
import io.sluice.testkit.netns.Netns;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The nftables backend against the real kernel, in two network namespaces this test creates and
 * deletes: {@code inc} is driven through a sequence of changes, {@code ref} gets a fresh full load
 * of each target rule set, and the kernel's two tables must be equal (compared as normalised
 * {@code nft -j list table} output: handles dropped, objects and set elements sorted, rules in
 * chain order). Skips, saying why, without root or nft.
 */
class NftablesBackendIT {
    private static final Logger log = LoggerFactory.getLogger(NftablesBackendIT.class);
    private static final String INC = "sluice-nftb-inc-" + ProcessHandle.current().pid();
    private static final String REF = "sluice-nftb-ref-" + ProcessHandle.current().pid();
    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static final NodeContext NODE = NftablesFixtures.behavioursNode();
    private static final RenderOptions V4 = new RenderOptions(IpFamily.IPV4, List.of("10.244.0.0/16", "fd00:244::/32"),
            14, false, List.of());
    private static final List<String> created = new ArrayList<>();

    @BeforeAll
    static void namespaces() {
        Optional<String> unavailable = Netns.unavailableReason();
        Assumptions.assumeTrue(unavailable.isEmpty(), () -> "no kernel test: " + unavailable.orElse(""));
        Assumptions.assumeTrue(Netns.run(List.of("nft", "--version"), null, TIMEOUT).ok(), "nft is not installed");
        for (String ns : List.of(INC, REF)) {
            Netns.create(ns);
            created.add(ns);
        }
    }

    @AfterAll
    static void deleteNamespaces() {
        created.forEach(Netns::delete);
    }

    private static NftablesBackend backend(String ns) {
        return new NftablesBackend(Exec.system(), List.of("ip", "netns", "exec", ns), "nft", TIMEOUT);
    }

    private static RuleSet render(List<Resource> objects) {
        return NftablesRenderer.dualStack().render(image(objects.toArray(new Resource[0])), NODE, V4);
    }

    @Test
    void aFullLoadOfEveryBehaviourInBothFamiliesIsAcceptedAndListed() throws Exception {
        NftablesBackend b = backend(INC);
        RuleSet rules = render(NftablesFixtures.allBehaviours());

        b.apply(rules);

        assertThat(b.lastChange().orElseThrow().fullTables()).containsExactly("ip sluice", "ip6 sluice");
        String v4 = listOk(INC, "list", "table", "ip", "sluice");
        assertThat(v4).contains("chain services {").contains("map service-ips {")
                .contains("dnat to 10.244.1.2:8080").contains("timeout 10m"); // affinity set of 600 s
        assertThat(listOk(INC, "list", "table", "ip6", "sluice")).contains("dnat to [fd00:244:1::62]:8080");
        assertThat(normalised(INC, "ip")).isEqualTo(fresh(rules, "ip"));
    }

    /**
     * Drift checks compare the shape of the kernel's tables (chains with their rule counts, sets
     * and maps with their element counts) with the applied rule set's: in sync after a full load
     * and after an incremental change; a chain flushed and an element deleted behind Sluice's back
     * are found at either depth; the next apply then loads the tables whole and repairs them.
     */
    @Test
    void driftChecksFindAFlushedChainAndADeletedElementAndTheNextApplyRepairsThem() throws Exception {
        List<Resource> objects = new ArrayList<>(NftablesFixtures.allBehaviours());
        NftablesBackend b = backend(INC);
        RuleSet rules = render(objects);
        assertThat(b.apply(rules, SyncKind.FULL, Set.of()).kind()).isEqualTo(SyncKind.FULL);
        for (DriftCheck depth : DriftCheck.values()) {
            assertThat(b.checkDrift(rules, depth).orElseThrow().drifted()).as("%s after a full load", depth).isFalse();
        }
        RuleSet fewer = NftablesRenderer.dualStack().render(image(minus(objects, "ns1/web").toArray(new Resource[0])),
                NODE, V4, rules, Set.of(ObjectKey.service("ns1", "web")));
        ApplyReport partial = b.apply(fewer, SyncKind.PARTIAL, Set.of(ObjectKey.service("ns1", "web")));
        assertThat(partial.kind()).isEqualTo(SyncKind.PARTIAL);
        assertThat(partial.chainsDeleted()).isNotEmpty().allMatch(c -> c.contains("ns1/web"));
        assertThat(b.checkDrift(fewer, DriftCheck.FULL).orElseThrow().drifted()).as("after a partial sync").isFalse();

        listOk(INC, "flush", "chain", "ip", "sluice", "services");
        listOk(INC, "delete", "element", "ip", "sluice", "cluster-ips", "{", "172.30.0.42", "}");
        DriftReport drift = b.checkDrift(fewer, DriftCheck.CANARY).orElseThrow();

        assertThat(drift.drifted()).isTrue();
        assertThat(drift.differences()).anyMatch(d -> d.contains("missing in the kernel") && d.contains("ip sluice chain services: 2 rules"))
                .anyMatch(d -> d.contains("ip sluice chain services: 0 rules"))
                .anyMatch(d -> d.contains("ip sluice set cluster-ips"));
        assertThat(b.nextApplyIsFull()).isTrue();
        assertThat(b.apply(fewer, SyncKind.PARTIAL, Set.of()).kind()).isEqualTo(SyncKind.FULL);
        assertThat(b.checkDrift(fewer, DriftCheck.FULL).orElseThrow().drifted()).isFalse();
        assertThat(normalised(INC, "ip")).isEqualTo(fresh(fewer, "ip"));
    }

    /**
     * Start from every behaviour, then change one Service at a time: each change goes in
     * incrementally (no table replaced), and the kernel's table then equals a fresh full load of
     * the new rule set.
     */
    @Test
    void incrementalChangesLeaveTheKernelEqualToAFreshFullLoad() throws Exception {
        List<Resource> objects = new ArrayList<>(NftablesFixtures.allBehaviours());
        NftablesBackend b = backend(INC);
        b.apply(render(objects));
        Map<String, UnaryOperator<List<Resource>>> changes = new java.util.LinkedHashMap<>();
        changes.put("Service added", o -> plus(o, NftablesFixtures.service(900, 3)));
        changes.put("endpoints changed", o -> plus(minus(o, "ns900/svc900-1"), NftablesFixtures.service(900, 1).get(1)));
        changes.put("Service deleted", o -> minus(o, "ns7/np"));
        changes.put("eTP switched", o -> o.stream().map(r -> r instanceof Service s && s.name().equals("lb")
                ? s.toBuilder().externalTrafficPolicy(TrafficPolicy.LOCAL).build() : r).toList());
        changes.put("affinity timeout", o -> o.stream().map(r -> r instanceof Service s && s.name().equals("sticky")
                ? s.toBuilder().sessionAffinityTimeoutSeconds(30).build() : r).toList());
        changes.put("IPv6 Service deleted", o -> minus(o, "ns22/dual"));
        for (Map.Entry<String, UnaryOperator<List<Resource>>> change : changes.entrySet()) {
            objects = new ArrayList<>(change.getValue().apply(objects));
            RuleSet rules = render(objects);

            b.apply(rules);

            NftChange c = b.lastChange().orElseThrow();
            assertThat(c.full()).as("%s sent incrementally", change.getKey()).isFalse();
            assertThat(c.isEmpty()).as("%s changed something", change.getKey()).isFalse();
            log.info("{}: {}", change.getKey(), c.summary());
            for (String family : List.of("ip", "ip6")) {
                assertThat(normalised(INC, family)).as("%s table after %s", family, change.getKey())
                        .isEqualTo(fresh(rules, family));
            }
        }
    }

    @Test
    void aRefusedChangeThrowsKeepsTheOldRulesAndTheNextApplyLoadsWhole() throws Exception {
        NftablesBackend b = backend(INC);
        RuleSet good = render(NftablesFixtures.behaviours().get("cluster-ip"));
        b.apply(good);
        String before = normalised(INC, "ip");
        RuleSet next = render(NftablesFixtures.behaviours().get("node-port"));
        // A well-formed text the kernel refuses: a jump to a chain that does not exist.
        RuleSet broken = new RuleSet(next.mode(), next.text() + "add rule ip sluice services jump no-such-chain\n",
                next.chains(), next.serviceCount(), next.endpointCount());

        assertThatThrownBy(() -> b.apply(broken)).isInstanceOf(ApplyException.class)
                .hasMessageContaining("refused the transaction").hasMessageContaining("exited 1")
                .hasMessageContaining("no-such-chain");

        assertThat(normalised(INC, "ip")).as("the kernel kept the old rules").isEqualTo(before)
                .as("the comparison sees a difference where there is one").isNotEqualTo(fresh(next, "ip"));
        assertThat(b.nextApplyIsFull()).isTrue();
        b.apply(next);
        assertThat(b.lastChange().orElseThrow().full()).isTrue();
        assertThat(normalised(INC, "ip")).isEqualTo(fresh(next, "ip"));
    }

    @Test
    void cleanupRemovesBothTablesAndIsIdempotent() throws Exception {
        NftablesBackend b = backend(INC);
        b.apply(render(NftablesFixtures.behaviours().get("dual-stack")));
        assertThat(listOk(INC, "list", "tables")).contains("table ip sluice").contains("table ip6 sluice");

        b.cleanup();
        b.cleanup();

        assertThat(listOk(INC, "list", "tables")).doesNotContain("sluice");
    }

    /**
     * ARCHITECTURE.md's shape (1,000 NodePort Services, 5 endpoints each): the full load, then one
     * Service's endpoints changed. Logs both times and sizes; asserts only what is deterministic
     * (the incremental transaction is a tiny fraction of the full one and took effect; that an
     * incremental result equals a full load is the test above).
     */
    @Test
    void oneServiceChangeOnAThousandServicesSendsAFewLinesInsteadOfTheTable() throws Exception {
        NftablesBackend b = backend(INC);
        b.cleanup();
        List<Resource> base = NftablesFixtures.services(1000, 5);
        RuleSet full = render1000(base, 500, 5);
        long t0 = System.nanoTime();
        b.apply(full);
        long fullNanos = System.nanoTime() - t0;
        int fullBytes = b.lastChange().orElseThrow().script().length();

        // Service 500 alternates between 4 and 5 endpoints; the fastest of four changes is logged.
        long incNanos = Long.MAX_VALUE;
        NftChange c = null;
        RuleSet last = null;
        for (int i = 0; i < 4; i++) {
            last = render1000(base, 500, i % 2 == 0 ? 4 : 5);
            long t1 = System.nanoTime();
            b.apply(last);
            incNanos = Math.min(incNanos, System.nanoTime() - t1);
            c = b.lastChange().orElseThrow();
            assertThat(c.full()).isFalse();
            assertThat(c.script().length()).isLessThan(fullBytes / 100);
            assertThat(c.script().lines()).allMatch(l -> l.contains("ns500/svc500"));
        }

        log.info("1000 Services x 5 endpoints: full load {} ms ({} KB of text); one Service's endpoints changed {} ms"
                + " ({} bytes: {}); ratio {}", fullNanos / 1_000_000, fullBytes / 1024, incNanos / 1_000_000,
                c.script().length(), c.summary(), String.format("%.3f", (double) incNanos / fullNanos));
        String chain = last.chains().stream().filter(ch -> ch.startsWith("ip sluice/service-")
                && ch.endsWith("ns500/svc500/tcp/http")).findFirst().orElseThrow().substring("ip sluice/".length());
        assertThat(listOk(INC, "list", "chain", "ip", "sluice", chain)).contains("numgen random mod 5 vmap");
    }

    /** The 1,000 Services with Service {@code changed} given {@code endpoints} endpoints. */
    private static RuleSet render1000(List<Resource> base, int changed, int endpoints) {
        List<Resource> objects = new ArrayList<>(base);
        objects.removeAll(NftablesFixtures.service(changed, 5));
        objects.addAll(NftablesFixtures.service(changed, endpoints));
        return new NftablesRenderer().render(image(objects.toArray(new Resource[0])), NODE, V4);
    }

    // --- helpers ---

    private static List<Resource> plus(List<Resource> objects, List<Resource> more) {
        List<Resource> out = new ArrayList<>(objects);
        out.addAll(more);
        return out;
    }

    private static List<Resource> plus(List<Resource> objects, Resource more) {
        return plus(objects, List.of(more));
    }

    /** Without the Service or slice whose key ends in {@code ns/name}, and a Service's slices with it. */
    private static List<Resource> minus(List<Resource> objects, String nsName) {
        return objects.stream().filter(r -> !r.key().toString().endsWith("/" + nsName)
                && !(r instanceof io.sluice.schema.model.EndpointSlice s
                && (s.namespace() + "/" + s.serviceName()).equals(nsName))).toList();
    }

    /** The table of {@code family} after a fresh full load of {@code rules} into the reference namespace. */
    private static String fresh(RuleSet rules, String family) throws ApplyException {
        NftablesBackend ref = backend(REF);
        ref.apply(rules);
        return normalised(REF, family);
    }

    private static String listOk(String ns, String... args) {
        List<String> cmd = new ArrayList<>(List.of("nft"));
        cmd.addAll(List.of(args));
        ExecResult r = Netns.run(Netns.inNamespace(ns, cmd.toArray(new String[0])), null, TIMEOUT);
        assertThat(r.exitCode()).as("nft %s: %s", String.join(" ", args), r.stderr()).isZero();
        return r.stdout();
    }

    /**
     * {@code nft -j list table} without handles, with sets, maps and chains sorted by name, set
     * elements sorted, rules kept in chain order: equal for two kernels holding the same table,
     * whatever order the objects were created in.
     */
    static String normalised(String ns, String family) {
        JsonArray items = new JsonObject(listOk(ns, "-j", "list", "table", family, "sluice")).getJsonArray("nftables");
        Map<String, String> out = new TreeMap<>();
        Map<String, Integer> ruleIndex = new TreeMap<>();
        for (Object o : items) {
            JsonObject item = (JsonObject) o;
            String kind = item.fieldNames().iterator().next();
            if (kind.equals("metainfo")) {
                continue;
            }
            JsonObject body = stripHandles(item.getJsonObject(kind));
            if (body.containsKey("elem")) {
                List<String> elems = new ArrayList<>();
                body.getJsonArray("elem").forEach(e -> elems.add(String.valueOf(e)));
                elems.sort(null);
                body.put("elem", new JsonArray(new ArrayList<>(elems)));
            }
            String key = switch (kind) {
                case "rule" -> {
                    String chain = body.getString("chain");
                    int i = ruleIndex.merge(chain, 1, Integer::sum);
                    yield "rule " + chain + " " + String.format("%05d", i);
                }
                case "table" -> "table";
                default -> kind + " " + body.getString("name");
            };
            out.put(key, body.encode());
        }
        StringBuilder s = new StringBuilder();
        out.forEach((k, v) -> s.append(k).append(" = ").append(v).append('\n'));
        return s.toString();
    }

    private static JsonObject stripHandles(JsonObject o) {
        JsonObject copy = o.copy();
        copy.remove("handle");
        return copy;
    }
}
