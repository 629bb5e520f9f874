package io.sluice.applier.healthcheck;

import io.sluice.applier.render.EndpointTarget;
import io.sluice.applier.render.NodeContext;
import io.sluice.applier.render.ResolvedServicePort;
import io.sluice.applier.render.ServicePortResolver;
import io.sluice.schema.model.IpFamily;
import io.sluice.schema.model.ObjectKey;
import io.sluice.schema.model.Service;
import io.sluice.schema.model.ServiceType;
import io.sluice.store.image.ClusterImage;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Which healthCheckNodePorts a node serves and what each answers: kube-proxy's
 * {@code ServicePortMap.HealthCheckNodePorts} and {@code EndpointsMap.LocalReadyEndpoints}, from the
 * same resolved view the renderers program ({@link ServicePortResolver}). Pure.
 *
 * <ul>
 *   <li>A Service has a health check port when it is a LoadBalancer with externalTrafficPolicy
 *       Local and a non-zero {@code healthCheckNodePort} ({@link ResolvedServicePort#healthCheckNodePort()});
 *       headless, ExternalName and cluster-IP-less Services have none.</li>
 *   <li>Its count in a family is the number of distinct IPs of its endpoints (any port) of that
 *       family that are on this node and <b>ready</b>. Serving-and-terminating endpoints do not
 *       count, although eTP Local traffic still reaches them when nothing local is ready: a node
 *       whose only local endpoints are terminating answers 503 so that load balancers drain it
 *       (kube-proxy: "the health check signal should fail if there are only terminating endpoints
 *       on a node"). This is why the count is not {@code EndpointSelection.categorize(..).local()}:
 *       that set falls back to terminating endpoints, and is empty for a port that
 *       {@link ResolvedServicePort#usesLocalEndpoints() uses no local endpoints} yet (a load balancer
 *       without node ports whose ingress IP is not published yet), which kube-proxy still counts.</li>
 *   <li>Both families are counted, each separately; a dual-stack Service is one entry (one port).</li>
 *   <li>Two Services cannot share a healthCheckNodePort (the API server allocates them like node
 *       ports); if an image ever says so, the first Service by namespace and name keeps the port.</li>
 * </ul>
 */
public final class ServiceHealthPlan {
    private ServiceHealthPlan() {
    }

    /**
     * healthCheckNodePort → what it answers, in port order. Runs after every sync, so only the
     * Services that can have a health check port (LoadBalancers with a non-zero
     * {@code healthCheckNodePort}) are resolved: the cost follows their number, not the cluster's.
     */
    public static SortedMap<Integer, ServiceHealth> compute(ClusterImage image, NodeContext node) {
        SortedMap<ObjectKey, Tally> byService = new TreeMap<>();
        for (Service svc : image.services()) {
            if (!mayHaveHealthCheck(svc)) {
                continue;
            }
            for (IpFamily family : IpFamily.values()) {
                for (ResolvedServicePort sp : ServicePortResolver.resolveService(image, svc.key(), family)) {
                    if (sp.healthCheckNodePort() != 0) {
                        byService.computeIfAbsent(sp.service().key(), k -> new Tally(sp.service(), sp.healthCheckNodePort()))
                                .add(family, sp, node);
                    }
                }
            }
        }
        SortedMap<Integer, ServiceHealth> plan = new TreeMap<>();
        for (Tally t : byService.values()) {
            plan.putIfAbsent(t.port, t.health());
        }
        return Collections.unmodifiableSortedMap(plan);
    }

    /**
     * A necessary condition for {@link ResolvedServicePort#healthCheckNodePort()} to be non-zero
     * (LoadBalancer, eTP Local, a port set), read off the Service without resolving its endpoints.
     */
    private static boolean mayHaveHealthCheck(Service svc) {
        return svc.type() == ServiceType.LOAD_BALANCER && svc.healthCheckNodePort() != 0;
    }

    /** The local ready IPs of one Service, per family. */
    private static final class Tally {
        private final Service service;
        private final int port;
        private final Map<IpFamily, Set<String>> localReadyIps = new EnumMap<>(IpFamily.class);

        Tally(Service service, int port) {
            this.service = service;
            this.port = port;
        }

        void add(IpFamily family, ResolvedServicePort sp, NodeContext node) {
            Set<String> ips = localReadyIps.computeIfAbsent(family, f -> new HashSet<>());
            for (EndpointTarget ep : sp.endpoints()) {
                if (ep.ready() && ep.isLocal(node.nodeName())) {
                    ips.add(ep.ip());
                }
            }
        }

        ServiceHealth health() {
            Map<IpFamily, Integer> counts = new EnumMap<>(IpFamily.class);
            localReadyIps.forEach((family, ips) -> counts.put(family, ips.size()));
            return new ServiceHealth(service.namespace(), service.name(), counts);
        }
    }
}
