package io.sluice.store.image;

import io.sluice.schema.model.EndpointSlice;
import io.sluice.schema.model.Kind;
import io.sluice.schema.model.Node;
import io.sluice.schema.model.ObjectKey;
import io.sluice.schema.model.Resource;
import io.sluice.schema.model.Service;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The state of one cluster after replaying its log up to {@link #seq()}: every Service,
 * EndpointSlice and Node, keyed and sorted by {@link ObjectKey}. Immutable; change it through
 * {@link ImageDelta} (Kafka's metadata image/delta pattern). Pure Java: renderers read it.
 *
 * <p>Its maps are persistent ({@link PersistentSortedMap}): a new image shares every object it did not
 * change with the image it was made from, so a delta costs O(changes · log n), not O(image), and images
 * handed to other threads never change under them.
 */
public final class ClusterImage {
    private static final ClusterImage EMPTY = new ClusterImage(0, PersistentSortedMap.empty(), PersistentSortedMap.empty());

    private final long seq;
    private final PersistentSortedMap<ObjectKey, Resource> objects;
    /**
     * Service key → slice name → slice key, for slices whose kubernetes.io/service-name points at it.
     * Keys, not slices: a slice changed in place (the common change) leaves the index as it is.
     */
    private final PersistentSortedMap<ObjectKey, PersistentSortedMap<String, ObjectKey>> slicesByService;

    ClusterImage(long seq, PersistentSortedMap<ObjectKey, Resource> objects,
            PersistentSortedMap<ObjectKey, PersistentSortedMap<String, ObjectKey>> slicesByService) {
        this.seq = seq;
        this.objects = objects;
        this.slicesByService = slicesByService;
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
        PersistentSortedMap<String, ObjectKey> s = slicesByService.get(serviceKey);
        if (s == null) {
            return List.of();
        }
        List<EndpointSlice> out = new ArrayList<>(s.size());
        for (ObjectKey sliceKey : s.values()) {
            out.add((EndpointSlice) objects.get(sliceKey));
        }
        return List.copyOf(out);
    }

    /** Every object, in key order; read-only. */
    public Map<ObjectKey, Resource> objects() {
        return objects;
    }

    public int size() {
        return objects.size();
    }

    PersistentSortedMap<ObjectKey, Resource> objectMap() {
        return objects;
    }

    PersistentSortedMap<ObjectKey, PersistentSortedMap<String, ObjectKey>> sliceIndex() {
        return slicesByService;
    }

    private <T> List<T> ofKind(Kind kind, Class<T> type) {
        List<T> out = new ArrayList<>();
        for (Iterator<Map.Entry<ObjectKey, Resource>> it = objects.entriesFrom(new ObjectKey(kind, "", "")); it.hasNext(); ) {
            Map.Entry<ObjectKey, Resource> e = it.next();
            if (e.getKey().kind() != kind) {
                break;
            }
            out.add(type.cast(e.getValue()));
        }
        return Collections.unmodifiableList(out);
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
