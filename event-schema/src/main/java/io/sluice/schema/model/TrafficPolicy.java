package io.sluice.schema.model;

/** Service external/internal traffic policy. */
public enum TrafficPolicy implements WireEnum {
    CLUSTER("Cluster"),
    LOCAL("Local");

    private final String wireName;

    TrafficPolicy(String wireName) {
        this.wireName = wireName;
    }

    @Override
    public String wireName() {
        return wireName;
    }

    public static TrafficPolicy fromWire(String field, String value) {
        return WireEnum.parse(TrafficPolicy.class, field, value);
    }
}
