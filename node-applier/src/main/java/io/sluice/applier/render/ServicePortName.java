package io.sluice.applier.render;

import java.util.Objects;

/**
 * kube-proxy's {@code ServicePortName}: one port of one Service, written {@code ns/name:port}, or
 * {@code ns/name} when the port has no name. Its string form feeds chain-name hashes and comments,
 * so it must stay exactly kube-proxy's.
 */
public record ServicePortName(String namespace, String name, String port) implements Comparable<ServicePortName> {
    public ServicePortName {
        Objects.requireNonNull(namespace, "namespace");
        Objects.requireNonNull(name, "name");
        port = port == null ? "" : port;
    }

    @Override
    public int compareTo(ServicePortName o) {
        return toString().compareTo(o.toString());
    }

    @Override
    public String toString() {
        return namespace + "/" + name + (port.isEmpty() ? "" : ":" + port);
    }
}
