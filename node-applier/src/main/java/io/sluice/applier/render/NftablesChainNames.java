package io.sluice.applier.render;

/**
 * Names of the objects of Sluice's nftables table, exactly kube-proxy's nftables names
 * ({@code servicePortChainNameBase}, {@code servicePortEndpointChainNameBase} and
 * {@code hashAndTruncate} in pkg/proxy/nftables/proxier.go): a prefix, the first 8 characters of
 * base32(sha256(base)), a dash, then the readable base {@code ns/name/protocol/port} (plus
 * {@code __ip/port} for an endpoint, with an IPv6 address's colons written as dots). The hash keeps
 * names unique and distinguishable; the readable part says what they are. Because everything
 * lives in Sluice's own table there is no {@code sluice-} prefix, and the names equal kube-proxy's,
 * e.g. {@code service-ULMVA6XW-ns1/svc1/tcp/p80} and
 * {@code endpoint-5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80}.
 */
public final class NftablesChainNames {
    // Base chains: "<type>-<hook>", as kube-proxy names them.
    public static final String FILTER_PREROUTING_PRE_DNAT = "filter-prerouting-pre-dnat";
    public static final String FILTER_OUTPUT_PRE_DNAT = "filter-output-pre-dnat";
    public static final String FILTER_FORWARD = "filter-forward";
    public static final String FILTER_INPUT = "filter-input";
    public static final String FILTER_OUTPUT = "filter-output";
    public static final String NAT_PREROUTING = "nat-prerouting";
    public static final String NAT_OUTPUT = "nat-output";
    public static final String NAT_POSTROUTING = "nat-postrouting";
    // Regular chains every table has.
    public static final String SERVICES = "services";
    public static final String SERVICE_ENDPOINTS_CHECK = "service-endpoints-check";
    public static final String NODEPORT_ENDPOINTS_CHECK = "nodeport-endpoints-check";
    public static final String CLUSTER_IPS_CHECK = "cluster-ips-check";
    public static final String FIREWALL_CHECK = "firewall-check";
    public static final String REJECT_CHAIN = "reject-chain";
    public static final String MARK_MASQ = "mark-for-masquerade";
    public static final String MASQUERADING = "masquerading";
    // Sets and verdict maps.
    public static final String CLUSTER_IPS = "cluster-ips";
    public static final String NODEPORT_IPS = "nodeport-ips";
    public static final String SERVICE_IPS = "service-ips";
    public static final String SERVICE_NODEPORTS = "service-nodeports";
    public static final String NO_ENDPOINT_SERVICES = "no-endpoint-services";
    public static final String NO_ENDPOINT_NODEPORTS = "no-endpoint-nodeports";
    public static final String FIREWALL_IPS = "firewall-ips";

    static final String SERVICE_PREFIX = "service-";
    static final String LOCAL_PREFIX = "local-";
    static final String EXTERNAL_PREFIX = "external-";
    static final String FIREWALL_PREFIX = "firewall-";
    static final String ENDPOINT_PREFIX = "endpoint-";
    static final String AFFINITY_PREFIX = "affinity-";
    /** nft's name limit (256) less the longest prefix kube-proxy allows (16). */
    static final int BASE_LENGTH_MAX = 256 - 16;

    private NftablesChainNames() {
    }

    /** {@code service-…}: the cluster-policy chain of a Service port. */
    public static String serviceChain(ServicePortName name, String protocol) {
        return SERVICE_PREFIX + portBase(name, protocol);
    }

    /** {@code local-…}: the local-policy chain (traffic policy Local) of a Service port. */
    public static String localChain(ServicePortName name, String protocol) {
        return LOCAL_PREFIX + portBase(name, protocol);
    }

    /** {@code external-…}: where NodePort, external-IP and load-balancer traffic of a Service port goes. */
    public static String externalChain(ServicePortName name, String protocol) {
        return EXTERNAL_PREFIX + portBase(name, protocol);
    }

    /** {@code firewall-…}: loadBalancerSourceRanges of a Service port. */
    public static String firewallChain(ServicePortName name, String protocol) {
        return FIREWALL_PREFIX + portBase(name, protocol);
    }

    /** {@code endpoint-…}: DNAT to one endpoint of a Service port. */
    public static String endpointChain(ServicePortName name, String protocol, EndpointTarget ep) {
        return ENDPOINT_PREFIX + endpointBase(name, protocol, ep);
    }

    /** {@code affinity-…}: the set of client addresses recently sent to one endpoint (ClientIP affinity). */
    public static String affinitySet(ServicePortName name, String protocol, EndpointTarget ep) {
        return AFFINITY_PREFIX + endpointBase(name, protocol, ep);
    }

    /** True for the names only per-Service objects have (every one contains a slash). */
    public static boolean isServiceObject(String name) {
        return name.contains("/");
    }

    static String portBase(ServicePortName name, String protocol) {
        return hashAndTruncate(name.namespace() + "/" + name.name() + "/" + protocol + "/" + name.port());
    }

    static String endpointBase(ServicePortName name, String protocol, EndpointTarget ep) {
        return hashAndTruncate(name.namespace() + "/" + name.name() + "/" + protocol + "/" + name.port()
                + "__" + ep.ip().replace(':', '.') + "/" + ep.port());
    }

    /** kube-proxy's hashAndTruncate: 8 characters of base32(sha256), a dash, the name, cut to 240 with "...". */
    static String hashAndTruncate(String base) {
        String name = IptablesChainNames.portProtoHash(base).substring(0, 8) + "-" + base;
        return name.length() > BASE_LENGTH_MAX ? name.substring(0, BASE_LENGTH_MAX - 3) + "..." : name;
    }
}
