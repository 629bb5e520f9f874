package io.sluice.applier.render;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.schema.model.IpFamily;
import io.sluice.schema.model.Protocol;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * kube-proxy's TestCategorizeEndpoints (pkg/proxy/topology_test.go), ported case by case with
 * today's semantics: terminating fallback and topology hints always on (the feature gates that
 * once switched them are gone), the hints annotation no longer read, PreferSameNode enabled.
 * kube-proxy's "nil" (the service does not use that kind of endpoints) is {@code null} here.
 */
class EndpointSelectionTest {

    /** Service port flags as kube-proxy's BaseServicePort in the tests. */
    record Svc(boolean internalLocal, boolean externalLocal, int nodePort) {
    }

    record Case(String name, String zone, Svc svc, List<EndpointTarget> endpoints, String cluster, String local,
            String all, boolean onlyRemote) {
        @Override
        public String toString() {
            return name;
        }
    }

    static final Svc CLUSTER = new Svc(false, false, 0);

    static EndpointTarget ep(String ipPort, boolean ready, boolean local, String... zoneHints) {
        return ep(ipPort, ready, ready, false, local, zoneHints);
    }

    static EndpointTarget ep(String ipPort, boolean ready, boolean serving, boolean terminating, boolean local,
            String... zoneHints) {
        String[] hp = ipPort.split(":");
        return new EndpointTarget(hp[0], Integer.parseInt(hp[1]), local ? "node1" : "node9", ready, serving,
                terminating, null, Set.of(zoneHints), Set.of());
    }

    static EndpointTarget nodeHinted(String ipPort, String zone, String node) {
        String[] hp = ipPort.split(":");
        return new EndpointTarget(hp[0], Integer.parseInt(hp[1]), "node9", true, true, false, null,
                zone == null ? Set.of() : Set.of(zone), node == null ? Set.of() : Set.of(node));
    }

    static Case c(String name, String zone, Svc svc, String cluster, String local, String all, boolean onlyRemote,
            EndpointTarget... eps) {
        return new Case(name, zone, svc, List.of(eps), cluster, local, all, onlyRemote);
    }

    static final String A4 = "10.1.2.3:80, 10.1.2.4:80, 10.1.2.5:80, 10.1.2.6:80";

    static Stream<Case> cases() {
        Svc etpLocal = new Svc(false, true, 8080);
        Svc itpLocal = new Svc(true, false, 0);
        return Stream.of(
                c("hints used: all endpoints hinted, some for the node's zone", "zone-a", CLUSTER,
                        "10.1.2.3:80, 10.1.2.6:80", null, null, false,
                        ep("10.1.2.3:80", true, false, "zone-a"), ep("10.1.2.4:80", true, false, "zone-b"),
                        ep("10.1.2.5:80", true, false, "zone-c"), ep("10.1.2.6:80", true, false, "zone-a")),
                c("externalTrafficPolicy: Local, topology ignored for Local endpoints", "zone-a", etpLocal,
                        "10.1.2.3:80, 10.1.2.6:80", "10.1.2.3:80, 10.1.2.4:80", "10.1.2.3:80, 10.1.2.4:80, 10.1.2.6:80",
                        false,
                        ep("10.1.2.3:80", true, true, "zone-a"), ep("10.1.2.4:80", true, true, "zone-b"),
                        ep("10.1.2.5:80", true, false, "zone-c"), ep("10.1.2.6:80", true, false, "zone-a")),
                c("internalTrafficPolicy: Local, topology ignored for Local endpoints", "zone-a", new Svc(true, false, 8080),
                        "10.1.2.3:80, 10.1.2.6:80", "10.1.2.3:80, 10.1.2.4:80", "10.1.2.3:80, 10.1.2.4:80, 10.1.2.6:80",
                        false,
                        ep("10.1.2.3:80", true, true, "zone-a"), ep("10.1.2.4:80", true, true, "zone-b"),
                        ep("10.1.2.5:80", true, false, "zone-c"), ep("10.1.2.6:80", true, false, "zone-a")),
                c("empty node labels", null, CLUSTER, "10.1.2.3:80", null, null, false,
                        ep("10.1.2.3:80", true, false, "zone-a")),
                c("empty zone label", "", CLUSTER, "10.1.2.3:80", null, null, false,
                        ep("10.1.2.3:80", true, false, "zone-a")),
                c("node in different zone, no endpoint filtering", "zone-b", CLUSTER, "10.1.2.3:80", null, null, false,
                        ep("10.1.2.3:80", true, false, "zone-a")),
                c("unready endpoint", "zone-a", CLUSTER, "10.1.2.3:80", null, null, false,
                        ep("10.1.2.3:80", true, false, "zone-a"), ep("10.1.2.4:80", true, false, "zone-b"),
                        ep("10.1.2.5:80", true, false, "zone-c"), ep("10.1.2.6:80", false, false, "zone-a")),
                c("only unready endpoints in same zone (should not filter)", "zone-a", CLUSTER,
                        "10.1.2.4:80, 10.1.2.5:80", null, null, false,
                        ep("10.1.2.3:80", false, false, "zone-a"), ep("10.1.2.4:80", true, false, "zone-b"),
                        ep("10.1.2.5:80", true, false, "zone-c"), ep("10.1.2.6:80", false, false, "zone-a")),
                c("missing hints, no filtering applied", "zone-a", CLUSTER, A4, null, null, false,
                        ep("10.1.2.3:80", true, false, "zone-a"), ep("10.1.2.4:80", true, false, "zone-b"),
                        ep("10.1.2.5:80", true, false), ep("10.1.2.6:80", true, false, "zone-a")),
                c("multiple hints per endpoint, filtering includes any endpoint with zone included", "zone-c", CLUSTER,
                        "10.1.2.3:80, 10.1.2.4:80, 10.1.2.6:80", null, null, false,
                        ep("10.1.2.3:80", true, false, "zone-a", "zone-b", "zone-c"),
                        ep("10.1.2.4:80", true, false, "zone-b", "zone-c"),
                        ep("10.1.2.5:80", true, false, "zone-b", "zone-d"), ep("10.1.2.6:80", true, false, "zone-c")),
                c("conflicting topology and localness require merging allEndpoints", "zone-a", etpLocal,
                        "10.0.0.0:80, 10.0.0.2:80", "10.0.0.0:80, 10.0.0.1:80", "10.0.0.0:80, 10.0.0.1:80, 10.0.0.2:80",
                        false,
                        ep("10.0.0.0:80", true, true, "zone-a"), ep("10.0.0.1:80", true, true, "zone-b"),
                        ep("10.0.0.2:80", true, false, "zone-a"), ep("10.0.0.3:80", true, false, "zone-b")),
                c("internalTrafficPolicy: Local, with empty endpoints", null, itpLocal, null, "", null, false),
                c("internalTrafficPolicy: Local, but all endpoints are remote", null, itpLocal, null, "", null, true,
                        ep("10.0.0.0:80", true, false), ep("10.0.0.1:80", true, false)),
                c("internalTrafficPolicy: Local, all endpoints are local", null, itpLocal, null,
                        "10.0.0.0:80, 10.0.0.1:80", null, false,
                        ep("10.0.0.0:80", true, true), ep("10.0.0.1:80", true, true)),
                c("internalTrafficPolicy: Local, some endpoints are local", null, itpLocal, null, "10.0.0.0:80", null,
                        false, ep("10.0.0.0:80", true, true), ep("10.0.0.1:80", true, false)),
                c("Cluster traffic policy, endpoints not Ready", null, CLUSTER, "", null, null, false,
                        ep("10.0.0.0:80", false, false), ep("10.0.0.1:80", false, false)),
                c("Cluster traffic policy, some endpoints are Ready", null, CLUSTER, "10.0.0.1:80", null, null, false,
                        ep("10.0.0.0:80", false, false), ep("10.0.0.1:80", true, false)),
                c("Cluster traffic policy, all endpoints are terminating", null, CLUSTER, "10.0.0.0:80, 10.0.0.1:80",
                        null, null, false,
                        ep("10.0.0.0:80", false, true, true, true), ep("10.0.0.1:80", false, true, true, false)),
                c("iTP: Local, eTP: Cluster, some endpoints local", null, new Svc(true, false, 8080),
                        "10.0.0.0:80, 10.0.0.1:80", "10.0.0.0:80", "10.0.0.0:80, 10.0.0.1:80", false,
                        ep("10.0.0.0:80", true, true), ep("10.0.0.1:80", true, false)),
                c("iTP: Cluster, eTP: Local, some endpoints local", null, etpLocal,
                        "10.0.0.0:80, 10.0.0.1:80", "10.0.0.0:80", "10.0.0.0:80, 10.0.0.1:80", false,
                        ep("10.0.0.0:80", true, true), ep("10.0.0.1:80", true, false)),
                c("iTP: Local, eTP: Local, some endpoints local", null, new Svc(true, true, 8080),
                        "10.0.0.0:80, 10.0.0.1:80", "10.0.0.0:80", "10.0.0.0:80, 10.0.0.1:80", false,
                        ep("10.0.0.0:80", true, true), ep("10.0.0.1:80", true, false)),
                c("iTP: Local, eTP: Local, all endpoints remote", null, new Svc(true, true, 8080),
                        "10.0.0.0:80, 10.0.0.1:80", "", "10.0.0.0:80, 10.0.0.1:80", false,
                        ep("10.0.0.0:80", true, false), ep("10.0.0.1:80", true, false)),
                c("iTP: Local, eTP: Local, all endpoints remote and terminating", null, new Svc(true, true, 8080),
                        "10.0.0.0:80, 10.0.0.1:80", "", "10.0.0.0:80, 10.0.0.1:80", true,
                        ep("10.0.0.0:80", false, true, true, false), ep("10.0.0.1:80", false, true, true, false)),
                c("iTP: Cluster, eTP: Local, with terminating endpoints", null, etpLocal,
                        "10.0.0.0:80", "10.0.0.2:80", "10.0.0.0:80, 10.0.0.2:80", false,
                        ep("10.0.0.0:80", true, false), ep("10.0.0.1:80", false, false, false, true),
                        ep("10.0.0.2:80", false, true, true, true), ep("10.0.0.3:80", false, true, true, false)),
                c("externalTrafficPolicy ignored if not externally accessible", null, new Svc(false, false, 0),
                        "10.0.0.0:80, 10.0.0.1:80", null, "10.0.0.0:80, 10.0.0.1:80", false,
                        ep("10.0.0.0:80", true, false), ep("10.0.0.1:80", true, true)),
                c("no cluster endpoints for iTP:Local internal-only service", null, itpLocal,
                        null, "10.0.0.1:80", "10.0.0.1:80", false,
                        ep("10.0.0.0:80", true, false), ep("10.0.0.1:80", true, true)),
                // PreferSameNode (node hints), enabled as in kube-proxy 1.34
                c("PreferSameNode: node hints used", "zone-a", CLUSTER, "10.0.0.1:80", null, null, false,
                        nodeHinted("10.0.0.0:80", "zone-a", "node2"), nodeHinted("10.0.0.1:80", "zone-a", "node1"),
                        nodeHinted("10.0.0.2:80", "zone-b", "node3")),
                c("PreferSameNode ignored if some endpoints unhinted, zone hints used", "zone-a", CLUSTER,
                        "10.0.0.0:80, 10.0.0.1:80", null, null, false,
                        nodeHinted("10.0.0.0:80", "zone-a", "node2"), nodeHinted("10.0.0.1:80", "zone-a", "node1"),
                        nodeHinted("10.0.0.2:80", "zone-b", null)),
                c("PreferSameNode falls back to zone if no endpoint for the node", "zone-a", CLUSTER,
                        "10.0.0.0:80, 10.0.0.1:80", null, null, false,
                        nodeHinted("10.0.0.0:80", "zone-a", "node2"), nodeHinted("10.0.0.1:80", "zone-a", "node4"),
                        nodeHinted("10.0.0.2:80", "zone-b", "node3")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void categorizesLikeKubeProxy(Case c) {
        ResolvedServicePort port = new ResolvedServicePort(new ServicePortName("ns", "svc", "p"), Protocol.TCP,
                IpFamily.IPV4, "172.30.0.1", 80, c.svc().nodePort(), List.of(), List.of(), List.of(), false, 0,
                c.svc().externalLocal() && c.svc().nodePort() != 0, c.svc().internalLocal(), 0, null, null,
                c.endpoints());
        EndpointSelection.Categorized got = EndpointSelection.categorize(port,
                new NodeContext("node1", List.of(), c.zone()));

        assertThat(port.usesClusterEndpoints()).as("uses cluster endpoints").isEqualTo(c.cluster() != null);
        assertThat(port.usesLocalEndpoints()).as("uses local endpoints").isEqualTo(c.local() != null);
        assertThat(set(got.cluster())).as("cluster").isEqualTo(parse(c.cluster()));
        assertThat(set(got.local())).as("local").isEqualTo(parse(c.local()));
        String expectedAll = c.cluster() != null && c.local() == null ? c.cluster()
                : c.local() != null && c.cluster() == null ? c.local() : c.all();
        assertThat(set(got.allReachable())).as("all").isEqualTo(parse(expectedAll));
        assertThat(got.hasAnyEndpoints()).as("hasAnyEndpoints")
                .isEqualTo(!parse(expectedAll).isEmpty() || c.onlyRemote());
    }

    private static Set<String> set(List<EndpointTarget> eps) {
        return eps.stream().map(EndpointTarget::toString).collect(Collectors.toCollection(TreeSet::new));
    }

    private static Set<String> parse(String s) {
        if (s == null || s.isEmpty()) {
            return Set.of();
        }
        return Arrays.stream(s.split(",")).map(String::strip).collect(Collectors.toCollection(TreeSet::new));
    }
}
