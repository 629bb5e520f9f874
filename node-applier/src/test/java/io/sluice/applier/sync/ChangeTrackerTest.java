package io.sluice.applier.sync;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.schema.model.AddressType;
import io.sluice.schema.model.Endpoint;
import io.sluice.schema.model.EndpointPort;
import io.sluice.schema.model.EndpointSlice;
import io.sluice.schema.model.Node;
import io.sluice.schema.model.ObjectKey;
import io.sluice.schema.model.Protocol;
import io.sluice.schema.model.Resource;
import io.sluice.schema.model.Service;
import io.sluice.schema.model.ServicePort;
import io.sluice.schema.model.ServiceType;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Folding and no-op dropping, as kube-proxy's ServiceChangeTracker and EndpointSliceCache tests. */
class ChangeTrackerTest {
    private static final ObjectKey WEB = ObjectKey.service("ns1", "web");
    private static final ObjectKey API = ObjectKey.service("ns1", "api");

    static Service svc(String name, String ip, int port) {
        return Service.builder("ns1", name).clusterIP(ip)
                .ports(new ServicePort("http", Protocol.TCP, port, "8080", 0, null)).build();
    }

    static Service headless(String name) {
        return Service.builder("ns1", name).headless(true).ports(new ServicePort("http", Protocol.TCP, 80, "8080", 0, null))
                .build();
    }

    static EndpointSlice slice(String name, String service, String... ips) {
        return slice(name, service, AddressType.IPV4, ips);
    }

    static EndpointSlice slice(String name, String service, AddressType type, String... ips) {
        return new EndpointSlice("ns1", name, service, type, List.of(new EndpointPort("http", Protocol.TCP, 8080, null)),
                Arrays.stream(ips).map(ip -> Endpoint.ready(ip, "node1")).toList());
    }

    /** One update: key, previous (null: absent), current (null: deleted). */
    record U(ObjectKey key, Resource previous, Resource current) {
        static U add(Resource r) {
            return new U(r.key(), null, r);
        }

        static U change(Resource from, Resource to) {
            return new U(to.key(), from, to);
        }

        static U delete(Resource r) {
            return new U(r.key(), r, null);
        }
    }

    static Stream<Arguments> cases() {
        Service web1 = svc("web", "10.96.0.10", 80);
        Service web2 = svc("web", "10.96.0.10", 8080);
        Service web3 = svc("web", "10.96.0.11", 8080);
        EndpointSlice s1 = slice("web-1", "web", "10.244.1.2");
        EndpointSlice s1b = slice("web-1", "web", "10.244.1.2", "10.244.1.3");
        EndpointSlice s1moved = slice("web-1", "api", "10.244.1.2");
        EndpointSlice s2 = slice("web-2", "web", "10.244.2.2");
        Node node = new Node("node1", List.of(), "zone-a", List.of());
        Node node2 = new Node("node1", List.of(), "zone-b", List.of());
        return Stream.of(
                Arguments.of("a new Service", List.of(U.add(web1)), Set.of(WEB), 1, 0, false),
                Arguments.of("added then deleted before the sync: nothing", List.of(U.add(web1), U.delete(web1)), Set.of(), 0, 0, false),
                Arguments.of("changed and changed back: nothing", List.of(U.change(web1, web2), U.change(web2, web1)), Set.of(), 0, 0, false),
                Arguments.of("three versions fold into one change", List.of(U.change(web1, web2), U.change(web2, web3)), Set.of(WEB), 1, 0, false),
                Arguments.of("an update to an equal object is a no-op", List.of(U.change(web1, svc("web", "10.96.0.10", 80))), Set.of(), 0, 0, false),
                Arguments.of("a slice change is its Service's", List.of(U.change(s1, s1b)), Set.of(WEB), 0, 1, false),
                Arguments.of("two slices of one Service count once", List.of(U.change(s1, s1b), U.add(s2)), Set.of(WEB), 0, 1, false),
                Arguments.of("a slice that moves changes both Services", List.of(U.change(s1, s1moved)), Set.of(WEB, API), 0, 2, false),
                Arguments.of("Service and slices together", List.of(U.add(web1), U.add(s1)), Set.of(WEB), 1, 1, false),
                Arguments.of("a headless Service is ignored", List.of(U.add(headless("web")), U.delete(headless("web")),
                        U.add(headless("api"))), Set.of(), 0, 0, false),
                Arguments.of("turning headless is a delete", List.of(U.change(web1, headless("web"))), Set.of(WEB), 1, 0, false),
                Arguments.of("an FQDN slice is ignored", List.of(U.add(slice("x", "web", AddressType.FQDN, "a.example"))),
                        Set.of(), 0, 0, false),
                Arguments.of("a Node change is flagged, names no Service", List.of(U.change(node, node2)), Set.of(), 0, 0, true),
                Arguments.of("a Service of type ExternalName is ignored", List.of(U.add(Service.builder("ns1", "ext")
                        .type(ServiceType.EXTERNAL_NAME).externalName("db.example").build())), Set.of(), 0, 0, false));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void foldsUpdatesAndDropsNoOps(String name, List<U> updates, Set<ObjectKey> services, int serviceChanges, int endpointChanges,
            boolean nodes) {
        ChangeTracker tracker = new ChangeTracker();
        updates.forEach(u -> tracker.update(u.key(), u.previous(), u.current()));

        assertThat(tracker.servicesPending()).isEqualTo(serviceChanges);
        assertThat(tracker.endpointsPending()).isEqualTo(endpointChanges);
        ChangeTracker.Changes c = tracker.checkout();
        assertThat(c.services()).isEqualTo(services);
        assertThat(c.serviceChanges()).isEqualTo(serviceChanges);
        assertThat(c.endpointChanges()).isEqualTo(endpointChanges);
        assertThat(c.nodesChanged()).isEqualTo(nodes);
        assertThat(tracker.checkout().isEmpty()).as("checkout forgets").isTrue();
    }

    @Test
    void previousIsWhatTheLastSyncSawSoUndoingAcrossManyUpdatesIsANoOp() {
        ChangeTracker tracker = new ChangeTracker();
        Service v1 = svc("web", "10.96.0.10", 80);
        Service v2 = svc("web", "10.96.0.10", 81);
        Service v3 = svc("web", "10.96.0.10", 82);
        assertThat(tracker.update(WEB, v1, v2)).isTrue();
        assertThat(tracker.update(WEB, v2, v3)).isTrue();
        assertThat(tracker.update(WEB, v3, v1)).as("back to what the last sync saw").isFalse();
        assertThat(tracker.checkout().isEmpty()).isTrue();
    }

    @Test
    void aChangeAfterACheckoutStartsFromWhatThatSyncSaw() {
        ChangeTracker tracker = new ChangeTracker();
        Service v1 = svc("web", "10.96.0.10", 80);
        Service v2 = svc("web", "10.96.0.10", 81);
        tracker.update(WEB, v1, v2);
        tracker.checkout();
        assertThat(tracker.update(WEB, v2, v1)).as("v1 -> v2 was synced; v2 -> v1 is a change").isTrue();
        assertThat(tracker.checkout().services()).containsExactly(WEB);
    }

    @Test
    void totalsCountEveryUpdateNoOpsIncludedAsKubeProxyDoes() {
        ChangeTracker tracker = new ChangeTracker();
        Service v1 = svc("web", "10.96.0.10", 80);
        tracker.update(WEB, null, v1);
        tracker.update(WEB, v1, null);
        EndpointSlice s = slice("web-1", "web", "10.244.1.2");
        tracker.update(s.key(), null, s);
        tracker.checkout();
        assertThat(tracker.serviceUpdates()).isEqualTo(2);
        assertThat(tracker.endpointSliceUpdates()).isEqualTo(1);
        assertThat(tracker.servicesPending()).isZero();
        assertThat(tracker.endpointsPending()).isZero();
    }

    @Test
    void clearForgetsPendingChangesButNotTotals() {
        ChangeTracker tracker = new ChangeTracker();
        tracker.update(WEB, null, svc("web", "10.96.0.10", 80));
        tracker.clear();
        assertThat(tracker.pending().isEmpty()).isTrue();
        assertThat(tracker.serviceUpdates()).isEqualTo(1);
    }
}
