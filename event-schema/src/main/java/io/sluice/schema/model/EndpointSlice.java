package io.sluice.schema.model;

import java.util.List;
import java.util.Objects;

/** An EndpointSlice: the endpoints of one Service ({@code serviceName}, from the kubernetes.io/service-name label). */
public record EndpointSlice(
        String namespace,
        String name,
        String serviceName,
        AddressType addressType,
        List<EndpointPort> ports,
        List<Endpoint> endpoints) implements Resource {
    public EndpointSlice {
        Objects.requireNonNull(namespace, "namespace");
        Objects.requireNonNull(name, "name");
        serviceName = serviceName == null ? "" : serviceName;
        addressType = addressType == null ? AddressType.IPV4 : addressType;
        ports = Lists.copy(ports);
        endpoints = Lists.copy(endpoints);
    }

    @Override
    public ObjectKey key() {
        return ObjectKey.endpointSlice(namespace, name);
    }

    /** The Service this slice belongs to. */
    public ObjectKey serviceKey() {
        return ObjectKey.service(namespace, serviceName);
    }
}
