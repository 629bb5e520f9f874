package io.sluice.schema.model;

/** What happened to an object: its full new state was observed, or it was deleted. */
public enum Op {
    UPSERT,
    DELETE;

    public static Op fromWire(String value) {
        for (Op o : values()) {
            if (o.name().equals(value)) {
                return o;
            }
        }
        throw new IllegalArgumentException("unknown op '" + value + "' (expected UPSERT or DELETE)");
    }
}
