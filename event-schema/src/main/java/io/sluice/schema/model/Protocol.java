package io.sluice.schema.model;

/** Transport protocol of a port. */
public enum Protocol implements WireEnum {
    TCP("TCP"),
    UDP("UDP"),
    SCTP("SCTP");

    private final String wireName;

    Protocol(String wireName) {
        this.wireName = wireName;
    }

    @Override
    public String wireName() {
        return wireName;
    }

    public static Protocol fromWire(String field, String value) {
        return WireEnum.parse(Protocol.class, field, value);
    }
}
