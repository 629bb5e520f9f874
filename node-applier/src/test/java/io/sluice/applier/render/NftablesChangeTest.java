package io.sluice.applier.render;

import static io.sluice.applier.render.Fixtures.epTcp;
import static io.sluice.applier.render.Fixtures.image;
import static io.sluice.applier.render.Fixtures.readyOn;
import static io.sluice.applier.render.Fixtures.slice;
import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.applier.render.nft.NftChange;
import io.sluice.applier.render.nft.NftDiff;
import io.sluice.applier.render.nft.NftKernelModel;
import io.sluice.applier.render.nft.NftScript;
import io.sluice.applier.render.nft.NftTable;
import io.sluice.schema.model.Resource;
import io.sluice.schema.model.Service;
import io.sluice.schema.model.SessionAffinity;
import io.sluice.schema.model.TrafficPolicy;
import io.sluice.store.image.ClusterImage;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A change to one Service, on top of every behaviour of {@link Behaviours} rendered together,
 * gives a transaction that touches only that Service's map elements, chains and sets (each line
 * names the Service or one of its addresses), never the table or another Service; and applying
 * it to the old table gives exactly the new one.
 */
class NftablesChangeTest {
    private static final NodeContext NODE = Behaviours.NODE1;
    private static final RenderOptions OPTIONS = RenderOptions.defaults(Behaviours.CLUSTER_CIDR);

    record Edit(String name, String service, List<String> addresses, UnaryOperator<List<Resource>> edit) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Arguments> edits() {
        return Stream.of(
                new Edit("an endpoint added", "ns1/web", List.of("172.30.0.41"), objs -> replace(objs,
                        slice("ns1", "web-1", "web", List.of(epTcp("http", 8080)), readyOn("10.244.1.2", "node1"),
                                readyOn("10.244.2.3", "node2"), readyOn("10.244.2.99", "node2")))),
                new Edit("the last endpoint removed", "ns5/self", List.of("172.30.0.45"), objs -> replace(objs,
                        slice("ns5", "self-1", "self", List.of(epTcp("http", 8080))))),
                new Edit("a Service deleted", "ns7/np", List.of("172.30.0.47", "tcp . 30080"), objs -> objs.stream()
                        .filter(o -> !o.key().toString().contains("ns7/np")).toList()),
                new Edit("a Service created", "ns30/new", List.of("172.30.0.90"), objs -> {
                    List<Resource> out = new ArrayList<>(objs);
                    out.add(Fixtures.service("ns30", "new", "172.30.0.90", Fixtures.tcp("http", 80, "8080")));
                    out.add(slice("ns30", "new-1", "new", List.of(epTcp("http", 8080)), readyOn("10.244.1.90", "node1")));
                    return out;
                }),
                new Edit("external traffic policy switched to Local", "ns7/np", List.of("172.30.0.47", "tcp . 30080"),
                        objs -> replace(objs, service(objs, "ns7/np").toBuilder()
                                .externalTrafficPolicy(TrafficPolicy.LOCAL).build())),
                new Edit("affinity timeout changed", "ns15/sticky", List.of("172.30.0.55"), objs -> replace(objs,
                        service(objs, "ns15/sticky").toBuilder().sessionAffinityTimeoutSeconds(60).build())),
                new Edit("affinity switched off", "ns15/sticky", List.of("172.30.0.55"), objs -> replace(objs,
                        service(objs, "ns15/sticky").toBuilder().sessionAffinity(SessionAffinity.NONE).build())),
                new Edit("load-balancer source range added", "ns10/lb", List.of("192.0.2.50"), objs -> replace(objs,
                        service(objs, "ns10/lb").toBuilder()
                                .loadBalancerSourceRanges(List.of("203.0.113.0/28", "198.51.100.0/24")).build())))
                .map(Arguments::of);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("edits")
    void oneServiceChangeTouchesOnlyThatServicesElementsAndChains(Edit e) {
        List<Resource> before = Behaviours.everything();
        NftTable old = table(before);
        NftTable neu = table(e.edit().apply(before));

        NftChange c = NftDiff.between(old, neu);

        assertThat(c.full()).isFalse();
        assertThat(c.isEmpty()).isFalse();
        String objectName = e.service() + "/"; // per-Service names read ns/name/protocol/port
        for (String line : c.script().lines().toList()) {
            assertThat(line).as("line of the transaction for %s", e.name())
                    .doesNotContain(" table ")
                    .matches(l -> l.contains(objectName) || e.addresses().stream().anyMatch(l::contains),
                            "names " + e.service() + " or one of " + e.addresses());
        }
        assertThat(apply(old, c.script())).as("old table + transaction = new table").isEqualTo(neu);
    }

    /**
     * Any rule set to any other: every behaviour alone, and all of them together, to every other.
     * The transaction, run command by command against a model that refuses what the kernel refuses
     * (dangling names, deleting what is still used), ends in exactly the target table.
     */
    @ParameterizedTest(name = "from {0}")
    @MethodSource("behaviourNames")
    void everyTransitionBetweenBehavioursEndsInTheTargetTable(String from) {
        NftTable old = table(from.equals("everything") ? Behaviours.everything() : Behaviours.all().get(from));
        for (String to : behaviourNames().toList()) {
            NftTable neu = table(to.equals("everything") ? Behaviours.everything() : Behaviours.all().get(to));
            NftChange c = NftDiff.between(old, neu);
            assertThat(c.full()).isFalse();
            assertThat(apply(old, c.script())).as("%s -> %s", from, to).isEqualTo(neu);
            assertThat(c.isEmpty()).as("%s -> %s sends nothing only when equal", from, to).isEqualTo(old.equals(neu));
        }
    }

    static Stream<String> behaviourNames() {
        return Stream.concat(Behaviours.all().keySet().stream(), Stream.of("everything"));
    }

    private static NftTable apply(NftTable t, String script) {
        return NftKernelModel.apply(t, script);
    }

    private static final java.util.Map<List<Resource>, NftTable> RENDERED = new java.util.concurrent.ConcurrentHashMap<>();

    private static NftTable table(List<Resource> objects) {
        return RENDERED.computeIfAbsent(List.copyOf(objects), NftablesChangeTest::render);
    }

    private static NftTable render(List<Resource> objects) {
        ClusterImage img = image(objects.toArray(new Resource[0]));
        return NftScript.parse(new NftablesRenderer().render(img, NODE, OPTIONS).text()).tables().get(0);
    }

    private static Service service(List<Resource> objs, String key) {
        return objs.stream().filter(o -> o instanceof Service s && (s.namespace() + "/" + s.name()).equals(key))
                .map(Service.class::cast).findFirst().orElseThrow();
    }

    private static List<Resource> replace(List<Resource> objs, Resource r) {
        return objs.stream().map(o -> o.key().equals(r.key()) ? r : o).toList();
    }
}
