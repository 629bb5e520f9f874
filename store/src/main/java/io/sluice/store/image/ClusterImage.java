package io.sluice.store.image;

import io.sluice.schema.model.EndpointSlice;
import io.sluice.schema.model.Kind;
import io.sluice.schema.model.Node;
import io.sluice.schema.model.ObjectKey;
import io.sluice.schema.model.Resource;
import io.sluice.schema.model.Service;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The state of one cluster after replaying its log up to {@link #seq()}: every Service,
 * EndpointSlice and Node, keyed and sorted by {@link ObjectKey}. Immutable; change it through
 * {@link ImageDelta} (Kafka's metadata image/delta pattern). Pure Java: renderers read it.
 */
public final class ClusterImage {
    private static final ClusterImage EMPTY = new ClusterImage(0, new TreeMap<>(), new TreeMap<>());

    private final long seq;
    private final NavigableMap<ObjectKey, Resource> objects;
    /** Service key → slice name → slice, for slices whose kubernetes.io/service-name points at it. */
    private final SortedMap<ObjectKey, SortedMap<String, EndpointSlice>> slicesByService;

    ClusterImage(long seq, NavigableMap<ObjectKey, Resource> objects,
            SortedMap<ObjectKey, SortedMap<String, EndpointSlice>> slicesByService) {
        this.seq = seq;
        this.objects = Collections.unmodifiableNavigableMap(objects);
        this.slicesByService = Collections.unmodifiableSortedMap(slicesByService);
    }

    public static ClusterImage empty() {
        return EMPTY;
    }

    /** The seq of the last event replayed into this image (0 for the empty image). */
    public long seq() {
        return seq;
    }

    public ImageDelta delta() {
        return new ImageDelta(this);
    }

    public Optional<Resource> get(ObjectKey key) {
        return Optional.ofNullable(objects.get(key));
    }

    public Optional<Service> service(String namespace, String name) {
        return get(ObjectKey.service(namespace, name)).map(Service.class::cast);
    }

    public Optional<Node> node(String name) {
        return get(ObjectKey.node(name)).map(Node.class::cast);
    }

    /** All Services, sorted by namespace then name. */
    public List<Service> services() {
        return ofKind(Kind.SERVICE, Service.class);
    }

    public List<EndpointSlice> endpointSlices() {
        return ofKind(Kind.ENDPOINT_SLICE, EndpointSlice.class);
    }

    public List<Node> nodes() {
        return ofKind(Kind.NODE, Node.class);
    }

    /** The slices of one Service, sorted by slice name. */
    public List<EndpointSlice> slicesFor(ObjectKey serviceKey) {
        SortedMap<String, EndpointSlice> s = slicesByService.get(serviceKey);
        return s == null ? List.of() : List.copyOf(s.values());
    }

    /** Every object, in key order. */
    public Map<ObjectKey, Resource> objects() {
        return objects;
    }

    public int size() {
        return objects.size();
    }

    NavigableMap<ObjectKey, Resource> objectMap() {
        return objects;
    }

    SortedMap<ObjectKey, SortedMap<String, EndpointSlice>> sliceIndex() {
        return slicesByService;
    }

    private <T> List<T> ofKind(Kind kind, Class<T> type) {
        ObjectKey from = new ObjectKey(kind, "", "");
        return objects.tailMap(from, true).entrySet().stream()
                .takeWhile(e -> e.getKey().kind() == kind)
                .map(e -> type.cast(e.getValue()))
                .toList();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ClusterImage other && seq == other.seq && objects.equals(other.objects);
    }

    @Override
    public int hashCode() {
        return Long.hashCode(seq) * 31 + objects.hashCode();
    }

    @Override
    public String toString() {
        return "ClusterImage{seq=" + seq + ", objects=" + objects.size() + "}";
    }
}
