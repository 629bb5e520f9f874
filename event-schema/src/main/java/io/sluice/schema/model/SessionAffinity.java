package io.sluice.schema.model;

/** Service.spec.sessionAffinity. */
public enum SessionAffinity implements WireEnum {
    NONE("None"),
    CLIENT_IP("ClientIP");

    private final String wireName;

    SessionAffinity(String wireName) {
        this.wireName = wireName;
    }

    @Override
    public String wireName() {
        return wireName;
    }

    public static SessionAffinity fromWire(String field, String value) {
        return WireEnum.parse(SessionAffinity.class, field, value);
    }
}
