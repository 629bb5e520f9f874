package io.sluice.applier.render;

import java.util.Objects;

/**
 * kube-proxy's {@code ServicePortName}: one port of one Service, written {@code ns/name:port}, or
 * {@code ns/name} when the port has no name. Its string form feeds chain-name hashes and comments,
 * so it must stay exactly kube-proxy's. A value class whose string form is built once: renders
 * sort, hash and print it tens of thousands of times.
 */
public final class ServicePortName implements Comparable<ServicePortName> {
    private final String namespace;
    private final String name;
    private final String port;
    private final String text;

    public ServicePortName(String namespace, String name, String port) {
        this.namespace = Objects.requireNonNull(namespace, "namespace");
        this.name = Objects.requireNonNull(name, "name");
        this.port = port == null ? "" : port;
        this.text = namespace + "/" + name + (this.port.isEmpty() ? "" : ":" + this.port);
    }

    public String namespace() {
        return namespace;
    }

    public String name() {
        return name;
    }

    public String port() {
        return port;
    }

    @Override
    public int compareTo(ServicePortName o) {
        return text.compareTo(o.text);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ServicePortName other && namespace.equals(other.namespace) && name.equals(other.name)
                && port.equals(other.port);
    }

    @Override
    public int hashCode() {
        return text.hashCode();
    }

    @Override
    public String toString() {
        return text;
    }
}
