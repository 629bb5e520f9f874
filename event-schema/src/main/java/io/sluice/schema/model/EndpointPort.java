package io.sluice.schema.model;

import java.util.Objects;

/** One port of an EndpointSlice; {@code port} is null when the slice means "all ports". */
public record EndpointPort(String name, Protocol protocol, Integer port, String appProtocol) {
    public EndpointPort {
        name = name == null ? "" : name;
        Objects.requireNonNull(protocol, "protocol");
    }

    public static EndpointPort tcp(String name, int port) {
        return new EndpointPort(name, Protocol.TCP, port, null);
    }
}
