package io.sluice.applier.healthcheck;

import io.sluice.schema.model.IpFamily;
import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;
import java.util.Objects;

/**
 * What one healthCheckNodePort answers for: its Service and the Service's ready endpoints on this
 * node, counted as kube-proxy's {@code EndpointsMap.LocalReadyEndpoints} counts them (distinct IPs
 * over all the Service's ports), once per IP family the Service has.
 *
 * <p>kube-proxy runs one proxier per family and, since kubernetes#137370, one health server per
 * family: a probe over IPv4 is answered from the IPv4 endpoints, one over IPv6 from the IPv6
 * endpoints. {@link #localEndpointsFor(IpFamily)} gives the same answer from one server.
 *
 * @param localEndpoints ready local endpoints per family of the Service: one entry for a
 *                       single-stack Service, two for a dual-stack one (never summed: a dual-stack
 *                       pod has an address of each family and is one endpoint in each)
 */
public record ServiceHealth(String namespace, String name, Map<IpFamily, Integer> localEndpoints) {
    public ServiceHealth {
        Objects.requireNonNull(namespace, "namespace");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(localEndpoints, "localEndpoints");
        if (localEndpoints.isEmpty()) {
            throw new IllegalArgumentException("Service " + namespace + "/" + name + " has no IP family to count endpoints in");
        }
        localEndpoints.forEach((family, n) -> {
            if (n == null || n < 0) {
                throw new IllegalArgumentException("Service " + namespace + "/" + name + ": " + family.wireName()
                        + " local endpoint count " + n + " must be 0 or more");
            }
        });
        localEndpoints = Collections.unmodifiableMap(new EnumMap<>(localEndpoints));
    }

    /** A single-stack Service with {@code count} ready endpoints of {@code family} on this node. */
    public static ServiceHealth of(String namespace, String name, IpFamily family, int count) {
        return new ServiceHealth(namespace, name, Map.of(family, count));
    }

    /**
     * The count a probe that arrived over {@code family} is answered with: that family's count, or,
     * for a single-stack Service of the other family, its one count (as a single-stack kube-proxy
     * answers: its one health server listens on the wildcard address of both families).
     */
    public int localEndpointsFor(IpFamily family) {
        Integer n = localEndpoints.get(family);
        return n != null ? n : localEndpoints.values().iterator().next();
    }

    /** {@code namespace/name}, as kube-proxy logs a Service. */
    public String serviceName() {
        return namespace + "/" + name;
    }
}
