package io.sluice.applier.render;

import java.util.Objects;
import java.util.Set;

/**
 * The IPVS settings rendering depends on, from kube-proxy's {@code ipvs} configuration section.
 * (strictARP, the TCP/UDP timeouts and excludeCIDRs act on the node, not on the rules: they
 * belong to the backend's {@code IpvsBackend.Settings}.)
 *
 * @param scheduler the IPVS scheduler of every virtual server ({@code ipvs.scheduler}; kube-proxy's
 *                  default rr). With {@code mh} every virtual server also gets the {@code mh-port}
 *                  flag, as kube-proxy sets its source-hash flag.
 */
public record IpvsOptions(String scheduler) {
    public static final String DEFAULT_SCHEDULER = "rr";
    /** The schedulers of the kernel's IPVS (net/netfilter/ipvs/ip_vs_*.c). */
    public static final Set<String> SCHEDULERS =
            Set.of("rr", "wrr", "lc", "wlc", "lblc", "lblcr", "dh", "sh", "sed", "nq", "fo", "ovf", "mh", "twos");

    public IpvsOptions {
        scheduler = Objects.requireNonNullElse(scheduler, "").isBlank() ? DEFAULT_SCHEDULER : scheduler.strip();
        if (!SCHEDULERS.contains(scheduler)) {
            throw new IllegalArgumentException("ipvs scheduler '" + scheduler + "' is not one of the kernel's: "
                    + new java.util.TreeSet<>(SCHEDULERS));
        }
    }

    public static IpvsOptions defaults() {
        return new IpvsOptions(DEFAULT_SCHEDULER);
    }

    /** The {@code -b} flags every virtual server gets: {@code mh-port} for mh, else none. */
    public String schedulerFlags() {
        return scheduler.equals("mh") ? "mh-port" : "";
    }
}
