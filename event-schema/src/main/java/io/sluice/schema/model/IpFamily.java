package io.sluice.schema.model;

/** IP family of an address or Service. */
public enum IpFamily implements WireEnum {
    IPV4("IPv4"),
    IPV6("IPv6");

    private final String wireName;

    IpFamily(String wireName) {
        this.wireName = wireName;
    }

    @Override
    public String wireName() {
        return wireName;
    }

    public static IpFamily fromWire(String field, String value) {
        return WireEnum.parse(IpFamily.class, field, value);
    }
}
