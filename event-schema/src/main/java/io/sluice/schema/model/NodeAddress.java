package io.sluice.schema.model;

/** One entry of Node.status.addresses: {@code type} is InternalIP, ExternalIP, Hostname, ... */
public record NodeAddress(String type, String address) {
    public static NodeAddress internalIP(String address) {
        return new NodeAddress("InternalIP", address);
    }

    public boolean isIp() {
        return "InternalIP".equals(type) || "ExternalIP".equals(type);
    }
}
