package io.sluice.applier.render;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * Chain names, computed with kube-proxy's scheme ({@code portProtoHash} and
 * {@code servicePortEndpointChainName} in pkg/proxy/iptables/proxier.go) under the SLUICE- prefix:
 * SHA-256 of {@code ns/name:port + protocol [+ ip:port]}, standard base32, first 16 characters.
 * So {@code ns1/svc1:p80} over tcp is SLUICE-SVC-XPGD46QRK7WJZT7O where kube-proxy has
 * KUBE-SVC-XPGD46QRK7WJZT7O, which makes the two easy to compare during a migration.
 * Every name fits iptables' 28-character limit.
 */
public final class IptablesChainNames {
    public static final String PREFIX = "SLUICE-";
    /** Dispatch chain: one rule per Service VIP and port, in nat (capture) and filter (reject/drop). */
    public static final String SERVICES = PREFIX + "SERVICES";
    /** filter: REJECT/DROP for external IPs, LB IPs and NodePorts without (local) endpoints. */
    public static final String EXTERNAL_SERVICES = PREFIX + "EXTERNAL-SERVICES";
    /** nat: NodePort capture (reached last from SERVICES); filter: health check node port ACCEPTs. */
    public static final String NODEPORTS = PREFIX + "NODEPORTS";
    /** filter FORWARD hook: drop conntrack INVALID, accept marked and established traffic. */
    public static final String FORWARD = PREFIX + "FORWARD";
    /** filter: drops LB traffic that its Service's SLUICE-FW- chain did not accept. */
    public static final String PROXY_FIREWALL = PREFIX + "PROXY-FIREWALL";
    /** Marks a packet for SNAT on its way out. */
    public static final String MARK_MASQ = PREFIX + "MARK-MASQ";
    /** nat POSTROUTING hook: masquerades marked packets. */
    public static final String POSTROUTING = PREFIX + "POSTROUTING";
    static final String SVC_PREFIX = PREFIX + "SVC-";
    static final String SVL_PREFIX = PREFIX + "SVL-";
    static final String EXT_PREFIX = PREFIX + "EXT-";
    static final String FW_PREFIX = PREFIX + "FW-";
    static final String SEP_PREFIX = PREFIX + "SEP-";
    private static final char[] BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".toCharArray();

    private IptablesChainNames() {
    }

    /** SLUICE-SVC-…: the cluster-policy chain of a Service port (kube-proxy's KUBE-SVC-). */
    public static String serviceChain(ServicePortName name, String protocol) {
        return SVC_PREFIX + portProtoHash(name + protocol);
    }

    /** SLUICE-SVL-…: the local-policy chain of a Service port (kube-proxy's KUBE-SVL-). */
    public static String localChain(ServicePortName name, String protocol) {
        return SVL_PREFIX + portProtoHash(name + protocol);
    }

    /** SLUICE-EXT-…: where all external traffic of a Service port goes (kube-proxy's KUBE-EXT-). */
    public static String externalChain(ServicePortName name, String protocol) {
        return EXT_PREFIX + portProtoHash(name + protocol);
    }

    /** SLUICE-FW-…: loadBalancerSourceRanges of a Service port (kube-proxy's KUBE-FW-). */
    public static String firewallChain(ServicePortName name, String protocol) {
        return FW_PREFIX + portProtoHash(name + protocol);
    }

    /** SLUICE-SEP-…: the chain of one endpoint {@code ip:port} of a Service port (kube-proxy's KUBE-SEP-). */
    public static String endpointChain(ServicePortName name, String protocol, String endpoint) {
        return SEP_PREFIX + portProtoHash(name + protocol + endpoint);
    }

    /** First 16 characters of base32(sha256(input)), kube-proxy's portProtoHash. */
    static String portProtoHash(String input) {
        byte[] hash = sha256(input.getBytes(StandardCharsets.UTF_8));
        StringBuilder out = new StringBuilder(16);
        int buffer = 0;
        int bits = 0;
        for (int i = 0; out.length() < 16; i++) {
            buffer = (buffer << 8) | (hash[i] & 0xff);
            bits += 8;
            while (bits >= 5 && out.length() < 16) {
                out.append(BASE32[(buffer >> (bits - 5)) & 0x1f]);
                bits -= 5;
            }
        }
        return out.toString();
    }

    /** The hash the SVC, SVL, EXT and FW chains of one Service port share: prefix it with one of those. */
    static String servicePortHash(ServicePortName name, String protocol) {
        return portProtoHash(name + protocol);
    }

    /** One digest per thread: looking SHA-256 up per chain name costs more than hashing the name. */
    private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(() -> {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every Java platform", e);
        }
    });

    private static byte[] sha256(byte[] data) {
        MessageDigest d = SHA256.get();
        d.reset();
        return d.digest(data);
    }
}
