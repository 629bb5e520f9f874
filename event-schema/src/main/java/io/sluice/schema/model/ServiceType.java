package io.sluice.schema.model;

/** Service.spec.type. */
public enum ServiceType implements WireEnum {
    CLUSTER_IP("ClusterIP"),
    NODE_PORT("NodePort"),
    LOAD_BALANCER("LoadBalancer"),
    EXTERNAL_NAME("ExternalName");

    private final String wireName;

    ServiceType(String wireName) {
        this.wireName = wireName;
    }

    @Override
    public String wireName() {
        return wireName;
    }

    public static ServiceType fromWire(String field, String value) {
        return WireEnum.parse(ServiceType.class, field, value);
    }
}
