package io.sluice.schema.model;

import java.util.Objects;

/**
 * One port of a Service. {@code targetPort} is a number or an IANA port name, as in Kubernetes;
 * {@code nodePort} is 0 when none is allocated.
 */
public record ServicePort(String name, Protocol protocol, int port, String targetPort, int nodePort, String appProtocol) {
    public ServicePort {
        name = name == null ? "" : name;
        Objects.requireNonNull(protocol, "protocol");
        targetPort = targetPort == null || targetPort.isEmpty() ? Integer.toString(port) : targetPort;
    }

    public static ServicePort tcp(String name, int port, int targetPort) {
        return new ServicePort(name, Protocol.TCP, port, Integer.toString(targetPort), 0, null);
    }
}
