package io.sluice.schema.validate;

import io.sluice.schema.model.Endpoint;
import io.sluice.schema.model.EndpointPort;
import io.sluice.schema.model.EndpointSlice;
import io.sluice.schema.model.Node;
import io.sluice.schema.model.NodeAddress;
import io.sluice.schema.model.Resource;
import io.sluice.schema.model.Service;
import io.sluice.schema.model.ServicePort;
import io.sluice.schema.model.ServiceType;
import io.sluice.schema.model.SessionAffinity;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Checks that an object is safe for a Service proxy to act on: IP literals, ports in range, port
 * names, affinity timeouts. Pure: the same object always gives the same violations, in field order.
 */
public final class Validator {
    /** IANA_SVC_NAME as Kubernetes validates it: 1-15 chars, lowercase alphanumerics and '-', at least one letter. */
    private static final Pattern IANA_SVC_NAME = Pattern.compile("(?=.*[a-z])[a-z0-9]([a-z0-9-]{0,13}[a-z0-9])?");
    private static final int MAX_AFFINITY_TIMEOUT = 86400;

    private Validator() {
    }

    /** Throws with every violation named if the object is invalid. */
    public static void requireValid(Resource resource) throws InvalidObjectException {
        List<Violation> v = validate(resource);
        if (!v.isEmpty()) {
            throw new InvalidObjectException(resource.key(), v);
        }
    }

    public static List<Violation> validate(Resource resource) {
        List<Violation> out = new ArrayList<>();
        if (resource instanceof Service s) {
            service(s, out);
        } else if (resource instanceof EndpointSlice e) {
            slice(e, out);
        } else if (resource instanceof Node n) {
            node(n, out);
        } else {
            throw new IllegalArgumentException("unknown resource type " + resource.getClass().getName());
        }
        return out;
    }

    private static void service(Service s, List<Violation> out) {
        nonEmpty("metadata.name", s.name(), out);
        if (s.type() == ServiceType.EXTERNAL_NAME) {
            nonEmpty("spec.externalName", s.externalName(), out);
        } else if (!s.headless()) {
            ips("spec.clusterIPs", s.clusterIPs(), out);
        }
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < s.ports().size(); i++) {
            ServicePort p = s.ports().get(i);
            String f = "spec.ports[" + i + "]";
            port(f + ".port", p.port(), out);
            if (p.nodePort() != 0) {
                port(f + ".nodePort", p.nodePort(), out);
            }
            targetPort(f + ".targetPort", p.targetPort(), out);
            if (!seen.add(p.protocol() + "/" + p.port())) {
                out.add(new Violation(f, p.protocol().wireName() + "/" + p.port(), "duplicates an earlier port"));
            }
            if (s.ports().size() > 1 && p.name().isEmpty()) {
                out.add(new Violation(f + ".name", "", "must be set when a Service has more than one port"));
            }
        }
        if (s.sessionAffinity() == SessionAffinity.CLIENT_IP
                && (s.sessionAffinityTimeoutSeconds() < 1 || s.sessionAffinityTimeoutSeconds() > MAX_AFFINITY_TIMEOUT)) {
            out.add(new Violation("spec.sessionAffinityConfig.clientIP.timeoutSeconds",
                    Integer.toString(s.sessionAffinityTimeoutSeconds()), "must be between 1 and " + MAX_AFFINITY_TIMEOUT));
        }
        ips("spec.externalIPs", s.externalIPs(), out);
        ips("status.loadBalancer.ingress.ip", s.loadBalancerIngressIPs(), out);
        for (int i = 0; i < s.loadBalancerSourceRanges().size(); i++) {
            String r = s.loadBalancerSourceRanges().get(i);
            if (!IpLiterals.isCidr(r)) {
                out.add(new Violation("spec.loadBalancerSourceRanges[" + i + "]", r, "is not a CIDR"));
            }
        }
        if (s.healthCheckNodePort() != 0) {
            port("spec.healthCheckNodePort", s.healthCheckNodePort(), out);
        }
    }

    private static void slice(EndpointSlice e, List<Violation> out) {
        nonEmpty("metadata.name", e.name(), out);
        nonEmpty("metadata.labels[kubernetes.io/service-name]", e.serviceName(), out);
        for (int i = 0; i < e.ports().size(); i++) {
            EndpointPort p = e.ports().get(i);
            if (p.port() != null) {
                port("ports[" + i + "].port", p.port(), out);
            }
        }
        for (int i = 0; i < e.endpoints().size(); i++) {
            Endpoint ep = e.endpoints().get(i);
            if (ep.addresses().isEmpty()) {
                out.add(new Violation("endpoints[" + i + "].addresses", "[]", "must hold at least one address"));
            }
            for (int j = 0; j < ep.addresses().size(); j++) {
                String a = ep.addresses().get(j);
                switch (e.addressType()) {
                    case IPV4, IPV6 -> {
                        if (IpLiterals.family(a).map(fam -> !fam.wireName().equals(e.addressType().wireName())).orElse(true)) {
                            out.add(new Violation(addressField(i, j), a, "is not an " + e.addressType().wireName() + " address"));
                        }
                    }
                    case FQDN -> nonEmpty(addressField(i, j), a, out);
                }
            }
        }
    }

    /** Named only when a violation is reported: a slice's addresses are checked on every event replayed. */
    private static String addressField(int endpoint, int address) {
        return "endpoints[" + endpoint + "].addresses[" + address + "]";
    }

    private static void node(Node n, List<Violation> out) {
        nonEmpty("metadata.name", n.name(), out);
        for (int i = 0; i < n.addresses().size(); i++) {
            NodeAddress a = n.addresses().get(i);
            if (a.isIp() && !IpLiterals.isIp(a.address())) {
                out.add(new Violation("status.addresses[" + i + "].address", a.address(), "is not an IP address (type " + a.type() + ")"));
            }
        }
        for (int i = 0; i < n.podCIDRs().size(); i++) {
            if (!IpLiterals.isCidr(n.podCIDRs().get(i))) {
                out.add(new Violation("spec.podCIDRs[" + i + "]", n.podCIDRs().get(i), "is not a CIDR"));
            }
        }
    }

    private static void ips(String field, List<String> values, List<Violation> out) {
        for (int i = 0; i < values.size(); i++) {
            if (!IpLiterals.isIp(values.get(i))) {
                out.add(new Violation(field + "[" + i + "]", values.get(i), "is not an IP address"));
            }
        }
    }

    private static void port(String field, int value, List<Violation> out) {
        if (value < 1 || value > 65535) {
            out.add(new Violation(field, Integer.toString(value), "is out of range 1-65535"));
        }
    }

    private static void targetPort(String field, String value, List<Violation> out) {
        if (value.chars().allMatch(Character::isDigit)) {
            try {
                port(field, Integer.parseInt(value), out);
            } catch (NumberFormatException e) {
                out.add(new Violation(field, value, "is out of range 1-65535"));
            }
        } else if (!IANA_SVC_NAME.matcher(value).matches()) {
            out.add(new Violation(field, value, "is neither a port number nor a valid port name"));
        }
    }

    private static void nonEmpty(String field, String value, List<Violation> out) {
        if (value == null || value.isBlank()) {
            out.add(new Violation(field, String.valueOf(value), "must not be empty"));
        }
    }
}
