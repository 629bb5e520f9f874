package io.sluice.schema.model;

import java.util.Objects;

/**
 * Identity of one Kubernetes object within a cluster. Namespace is empty for cluster-scoped kinds.
 * {@link #toString()} is the form used in logs and as Kafka record key: {@code Service/default/web}.
 */
public record ObjectKey(Kind kind, String namespace, String name) implements Comparable<ObjectKey> {
    public ObjectKey {
        Objects.requireNonNull(kind, "kind");
        namespace = namespace == null ? "" : namespace;
        Objects.requireNonNull(name, "name");
    }

    public static ObjectKey service(String namespace, String name) {
        return new ObjectKey(Kind.SERVICE, namespace, name);
    }

    public static ObjectKey endpointSlice(String namespace, String name) {
        return new ObjectKey(Kind.ENDPOINT_SLICE, namespace, name);
    }

    public static ObjectKey node(String name) {
        return new ObjectKey(Kind.NODE, "", name);
    }

    /** Parses the {@link #toString()} form. */
    public static ObjectKey parse(String text) {
        String[] parts = text.split("/", -1);
        if (parts.length != 3) {
            throw new IllegalArgumentException("object key '" + text + "' is not of the form Kind/namespace/name");
        }
        return new ObjectKey(Kind.fromWire(parts[0]), parts[1], parts[2]);
    }

    @Override
    public int compareTo(ObjectKey o) {
        int c = kind.compareTo(o.kind);
        if (c == 0) {
            c = namespace.compareTo(o.namespace);
        }
        return c != 0 ? c : name.compareTo(o.name);
    }

    @Override
    public String toString() {
        return kind.wireName() + "/" + namespace + "/" + name;
    }
}
