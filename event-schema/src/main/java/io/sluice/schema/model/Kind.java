package io.sluice.schema.model;

/** The kinds of Kubernetes object Sluice follows. {@link #wireName()} is the Kubernetes kind. */
public enum Kind {
    SERVICE("Service"),
    ENDPOINT_SLICE("EndpointSlice"),
    NODE("Node");

    private final String wireName;

    Kind(String wireName) {
        this.wireName = wireName;
    }

    public String wireName() {
        return wireName;
    }

    public static Kind fromWire(String value) {
        for (Kind k : values()) {
            if (k.wireName.equals(value)) {
                return k;
            }
        }
        throw new IllegalArgumentException("unknown kind '" + value + "' (expected Service, EndpointSlice or Node)");
    }
}
