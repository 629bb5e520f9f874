package io.sluice.applier.render;

import io.sluice.schema.model.IpFamily;
import io.sluice.schema.model.Protocol;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * One filter of conntrack entries to delete, as kube-proxy's conntrack cleanup uses them
 * (pkg/proxy/conntrack). Null/0 fields match anything.
 *
 * @param origDst     original destination address (a cluster, external or load-balancer IP), or null
 * @param origDstPort original destination port (the Service port or the NodePort), or 0
 * @param replySrc    reply source address: the endpoint the entry was DNATed to, or null
 * @param reason      why, for logs: the Service port and what changed
 */
public record ConntrackDeletion(IpFamily family, Protocol protocol, String origDst, int origDstPort, String replySrc,
        String reason) implements Comparable<ConntrackDeletion> {
    public ConntrackDeletion {
        Objects.requireNonNull(family, "family");
        Objects.requireNonNull(protocol, "protocol");
        Objects.requireNonNull(reason, "reason");
        if (origDst == null && replySrc == null && origDstPort == 0) {
            throw new IllegalArgumentException("a conntrack deletion must filter on something: " + reason);
        }
    }

    /** Arguments for the {@code conntrack} tool, e.g. {@code -D -f ipv4 -p udp --orig-dst 10.96.0.10 --dport 53 --reply-src 10.244.1.5}. */
    public List<String> conntrackArgs() {
        List<String> args = new ArrayList<>(List.of("-D", "-f", family == IpFamily.IPV4 ? "ipv4" : "ipv6",
                "-p", protocol.wireName().toLowerCase(Locale.ROOT)));
        if (origDst != null) {
            args.addAll(List.of("--orig-dst", origDst));
        }
        if (origDstPort != 0) {
            args.addAll(List.of("--dport", Integer.toString(origDstPort)));
        }
        if (replySrc != null) {
            args.addAll(List.of("--reply-src", replySrc));
        }
        return args;
    }

    @Override
    public int compareTo(ConntrackDeletion o) {
        return String.join(" ", conntrackArgs()).compareTo(String.join(" ", o.conntrackArgs()));
    }
}
