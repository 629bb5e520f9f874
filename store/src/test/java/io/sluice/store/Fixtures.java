package io.sluice.store;

import io.sluice.schema.model.ChangeEvent;
import io.sluice.schema.model.Endpoint;
import io.sluice.schema.model.EndpointPort;
import io.sluice.schema.model.EndpointSlice;
import io.sluice.schema.model.Node;
import io.sluice.schema.model.NodeAddress;
import io.sluice.schema.model.ObjectKey;
import io.sluice.schema.model.Op;
import io.sluice.schema.model.Resource;
import io.sluice.schema.model.Service;
import io.sluice.schema.model.ServicePort;
import io.sluice.store.image.ClusterImage;
import io.sluice.store.image.ImageDelta;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;

/**
 * Valid change events over a deliberately small key space (2 namespaces x 3 names per kind, slices
 * pointing at one of 3 Services), so random sequences upsert, overwrite, delete and move slices
 * between Services often. Shared by the pure tests, the store ITs and the child JVM of the crash test.
 */
public final class Fixtures {
    public static final String CLUSTER = "test-cluster";
    private static final Instant T0 = Instant.parse("2025-01-01T00:00:00Z");

    private Fixtures() {
    }

    /** One random change, before it gets a seq. {@code variant} picks the object's content. */
    public record Step(int kind, int namespace, int name, boolean delete, int variant, int service) {
        public ChangeEvent toEvent(long seq) {
            String ns = "ns" + namespace;
            ObjectKey key = switch (kind) {
                case 0 -> ObjectKey.service(ns, "svc" + name);
                case 1 -> ObjectKey.endpointSlice(ns, "svc" + service + "-" + name);
                case 2 -> ObjectKey.node("node" + name);
                default -> throw new IllegalArgumentException("kind " + kind);
            };
            if (delete) {
                return ChangeEvent.delete(CLUSTER, seq, key, T0.plusSeconds(seq), "rv" + seq);
            }
            Resource object = switch (kind) {
                case 0 -> Fixtures.service(ns, "svc" + name, variant);
                case 1 -> Fixtures.slice(ns, key.name(), "svc" + service, variant);
                default -> Fixtures.node("node" + name, variant);
            };
            return ChangeEvent.upsert(CLUSTER, seq, object, T0.plusSeconds(seq), "rv" + seq);
        }
    }

    /** Slice names do not encode their Service, so an upsert of the same slice can move it to another Service. */
    public static Step sliceStep(int namespace, int name, int service, int variant) {
        return new Step(1, namespace, name, false, variant, service);
    }

    public static Arbitrary<Step> step() {
        return Combinators.combine(
                Arbitraries.integers().between(0, 2),
                Arbitraries.integers().between(0, 1),
                Arbitraries.integers().between(0, 2),
                Arbitraries.integers().between(0, 3).map(i -> i == 0),
                Arbitraries.integers().between(0, 5),
                Arbitraries.integers().between(0, 2)).as(Step::new);
    }

    public static Arbitrary<List<Step>> steps(int maxSize) {
        return step().list().ofMaxSize(maxSize);
    }

    public static Step randomStep(Random r) {
        return new Step(r.nextInt(3), r.nextInt(2), r.nextInt(3), r.nextInt(4) == 0, r.nextInt(6), r.nextInt(3));
    }

    /** {@code steps} as events with seqs 1, 2, 3, ... */
    public static List<ChangeEvent> events(List<Step> steps) {
        List<ChangeEvent> out = new ArrayList<>(steps.size());
        for (int i = 0; i < steps.size(); i++) {
            out.add(steps.get(i).toEvent(i + 1));
        }
        return out;
    }

    public static List<ChangeEvent> randomEvents(long seed, int count) {
        Random r = new Random(seed);
        List<Step> steps = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            steps.add(randomStep(r));
        }
        return events(steps);
    }

    public static Service service(String ns, String name, int variant) {
        return Service.builder(ns, name)
                .clusterIP("10.96." + variant + "." + (10 + variant))
                .ports(ServicePort.tcp("http", 80, 8080 + variant))
                .annotations(variant % 2 == 0 ? Map.of() : Map.of("sluice.io/global", "true"))
                .build();
    }

    public static EndpointSlice slice(String ns, String name, String serviceName, int variant) {
        List<Endpoint> endpoints = new ArrayList<>();
        for (int i = 0; i <= variant % 3; i++) {
            endpoints.add(Endpoint.ready("10.244." + variant + "." + (i + 1), "node" + i));
        }
        return new EndpointSlice(ns, name, serviceName, null, List.of(EndpointPort.tcp("http", 8080 + variant)), endpoints);
    }

    public static Node node(String name, int variant) {
        return new Node(name, List.of(NodeAddress.internalIP("192.168.0." + (variant + 1))), "zone-" + variant % 2,
                List.of("10.244." + variant + ".0/24"));
    }

    /** Replays {@code events} into {@code base} in one delta. */
    public static ClusterImage replay(ClusterImage base, List<ChangeEvent> events) {
        ImageDelta delta = base.delta();
        events.forEach(delta::replay);
        return delta.apply();
    }

    /** The obvious model of what a log means: last write per key wins, a delete removes. */
    public static TreeMap<ObjectKey, Resource> model(List<ChangeEvent> events) {
        TreeMap<ObjectKey, Resource> m = new TreeMap<>();
        for (ChangeEvent e : events) {
            if (e.op() == Op.UPSERT) {
                m.put(e.key(), e.object());
            } else {
                m.remove(e.key());
            }
        }
        return m;
    }
}
