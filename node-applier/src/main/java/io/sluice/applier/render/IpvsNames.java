package io.sluice.applier.render;

import io.sluice.schema.model.IpFamily;
import java.util.List;

/**
 * Names IPVS mode uses: kube-proxy's ipsets and chains (pkg/proxy/ipvs/proxier.go, ipset.go) with
 * SLUICE- in place of KUBE-, so Sluice can run beside kube-proxy and each name is easy to map to
 * kube-proxy's. IPv6 sets take SLUICE-6- (kube-proxy: KUBE-6-). Where the renamed name would pass
 * a kernel limit (31 characters for an ipset, 28 for a chain) it is shortened, never truncated:
 * LOAD-BALANCER-SOURCE-{IP,CIDR} become LOAD-BALANCER-SRC-{IP,CIDR}, the SCTP NodePort sets drop
 * kube-proxy's -HASH suffix, and KUBE-SOURCE-RANGES-FIREWALL becomes SLUICE-SOURCE-RANGES-FW.
 */
public final class IpvsNames {
    /** The dummy interface every cluster, external and load-balancer IP is bound to (kube-proxy: kube-ipvs0). */
    public static final String DUMMY_INTERFACE = "sluice-ipvs0";

    // nat and filter chains (kube-proxy's iptablesChains of IPVS mode).
    public static final String SERVICES = IptablesChainNames.SERVICES;
    public static final String POSTROUTING = IptablesChainNames.POSTROUTING;
    public static final String MARK_MASQ = IptablesChainNames.MARK_MASQ;
    public static final String NODE_PORT = "SLUICE-NODE-PORT";
    public static final String LOAD_BALANCER = "SLUICE-LOAD-BALANCER";
    public static final String FORWARD = "SLUICE-FORWARD";
    public static final String PROXY_FIREWALL = "SLUICE-PROXY-FIREWALL";
    public static final String SOURCE_RANGES_FIREWALL = "SLUICE-SOURCE-RANGES-FW";
    public static final String IPVS_FILTER = "SLUICE-IPVS-FILTER";
    public static final String IPVS_OUT_FILTER = "SLUICE-IPVS-OUT-FILTER";

    /** One kube-proxy ipset: its name without prefix, ipset type and kube-proxy's comment. */
    public enum Ipset {
        LOOP_BACK("LOOP-BACK", "hash:ip,port,ip", "Kubernetes endpoints dst ip:port, source ip for solving hairpin purpose"),
        CLUSTER_IP("CLUSTER-IP", "hash:ip,port", "Kubernetes service cluster ip + port for masquerade purpose"),
        EXTERNAL_IP("EXTERNAL-IP", "hash:ip,port", "Kubernetes service external ip + port for masquerade and filter purpose"),
        EXTERNAL_IP_LOCAL("EXTERNAL-IP-LOCAL", "hash:ip,port",
                "Kubernetes service external ip + port with externalTrafficPolicy=local"),
        LOAD_BALANCER("LOAD-BALANCER", "hash:ip,port", "Kubernetes service lb portal"),
        LOAD_BALANCER_FW("LOAD-BALANCER-FW", "hash:ip,port",
                "Kubernetes service load balancer ip + port for load balancer with sourceRange"),
        LOAD_BALANCER_LOCAL("LOAD-BALANCER-LOCAL", "hash:ip,port",
                "Kubernetes service load balancer ip + port with externalTrafficPolicy=local"),
        LOAD_BALANCER_SOURCE_IP("LOAD-BALANCER-SRC-IP", "hash:ip,port,ip",
                "Kubernetes service load balancer ip + port + source IP for packet filter purpose"),
        LOAD_BALANCER_SOURCE_CIDR("LOAD-BALANCER-SRC-CIDR", "hash:ip,port,net",
                "Kubernetes service load balancer ip + port + source cidr for packet filter purpose"),
        NODE_PORT_TCP("NODE-PORT-TCP", "bitmap:port", "Kubernetes nodeport TCP port for masquerade purpose"),
        NODE_PORT_LOCAL_TCP("NODE-PORT-LOCAL-TCP", "bitmap:port",
                "Kubernetes nodeport TCP port with externalTrafficPolicy=local"),
        NODE_PORT_UDP("NODE-PORT-UDP", "bitmap:port", "Kubernetes nodeport UDP port for masquerade purpose"),
        NODE_PORT_LOCAL_UDP("NODE-PORT-LOCAL-UDP", "bitmap:port",
                "Kubernetes nodeport UDP port with externalTrafficPolicy=local"),
        NODE_PORT_SCTP("NODE-PORT-SCTP", "hash:ip,port",
                "Kubernetes nodeport SCTP port for masquerade purpose with type 'hash ip:port'"),
        NODE_PORT_LOCAL_SCTP("NODE-PORT-LOCAL-SCTP", "hash:ip,port",
                "Kubernetes nodeport SCTP port with externalTrafficPolicy=local with type 'hash ip:port'"),
        HEALTH_CHECK_NODE_PORT("HEALTH-CHECK-NODE-PORT", "bitmap:port", "Kubernetes health check node port"),
        IPVS_IPS("IPVS-IPS", "hash:ip", "Addresses on the ipvs interface");

        private final String suffix;
        private final String type;
        private final String comment;

        Ipset(String suffix, String type, String comment) {
            this.suffix = suffix;
            this.type = type;
            this.comment = comment;
        }

        /** SLUICE-<suffix> for IPv4, SLUICE-6-<suffix> for IPv6 (at most 31 characters). */
        public String name(IpFamily family) {
            return (family == IpFamily.IPV6 ? "SLUICE-6-" : "SLUICE-") + suffix;
        }

        /** The ipset type, e.g. {@code hash:ip,port}. */
        public String type() {
            return type;
        }

        /** kube-proxy's comment for the set, used on the iptables rules that match it. */
        public String comment() {
            return comment;
        }

        /** The iptables {@code --match-set} direction flags matching this set's entries against a packet. */
        public String matchFlags() {
            return switch (type) {
                case "bitmap:port", "hash:ip" -> "dst";
                case "hash:ip,port" -> "dst,dst";
                default -> "dst,dst,src";
            };
        }

        /** The {@code create} line of {@code ipset restore}, with kube-proxy's parameters. */
        public String createLine(IpFamily family) {
            String params = type.startsWith("bitmap:") ? "range 0-65535"
                    : "family " + (family == IpFamily.IPV6 ? "inet6" : "inet") + " hashsize 1024 maxelem 65536";
            return "create " + name(family) + " " + type + " " + params;
        }
    }

    private IpvsNames() {
    }

    /** Every set name of a family, in declaration order. */
    public static List<String> setNames(IpFamily family) {
        return java.util.Arrays.stream(Ipset.values()).map(s -> s.name(family)).toList();
    }
}
