package io.sluice.schema.model;

/** EndpointSlice.addressType. */
public enum AddressType implements WireEnum {
    IPV4("IPv4"),
    IPV6("IPv6"),
    FQDN("FQDN");

    private final String wireName;

    AddressType(String wireName) {
        this.wireName = wireName;
    }

    @Override
    public String wireName() {
        return wireName;
    }

    public static AddressType fromWire(String field, String value) {
        return WireEnum.parse(AddressType.class, field, value);
    }
}
