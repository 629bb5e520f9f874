package io.sluice.applier.render;

import io.sluice.schema.model.IpFamily;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Per-node rendering options: the kube-proxy settings rendering depends on. Validated when built;
 * a bad value is named in the exception.
 *
 * @param family            the IP family rendered (a renderer renders one family; dual-stack
 *                          nodes render twice, like kube-proxy's two single-stack proxiers)
 * @param clusterCidrs      pod CIDRs of the cluster, at most one per family (kube-proxy
 *                          {@code --cluster-cidr}, comma-separated there). The one of {@code family}
 *                          is the local-traffic detector: a source inside it is a pod. Empty: no
 *                          detector, so no "off-cluster → masquerade" rule and no pod short-circuit
 *                          for externalTrafficPolicy Local (kube-proxy's no-op detector).
 * @param masqueradeBit     bit of the packet mark that flags packets for SNAT (default 14 → 0x4000)
 * @param masqueradeAll     masquerade every packet sent to a cluster IP ({@code --masquerade-all})
 * @param nodePortAddresses CIDRs selecting the node addresses NodePorts answer on
 *                          ({@code --nodeport-addresses}), or {@code primary} for the node's first
 *                          address of the family. Empty (default) or one of 0.0.0.0/0, ::/0 for the
 *                          family: every local address ({@code -m addrtype --dst-type LOCAL}).
 *                          Entries of the other family are ignored, as kube-proxy does.
 */
public record RenderOptions(IpFamily family, List<String> clusterCidrs, int masqueradeBit, boolean masqueradeAll,
        List<String> nodePortAddresses) {
    public static final int DEFAULT_MASQUERADE_BIT = 14;
    /** kube-proxy's special nodePortAddresses value for the node's primary IP. */
    public static final String PRIMARY = "primary";

    public RenderOptions {
        Objects.requireNonNull(family, "family");
        clusterCidrs = List.copyOf(clusterCidrs);
        nodePortAddresses = List.copyOf(nodePortAddresses);
        if (masqueradeBit < 0 || masqueradeBit > 31) {
            throw new IllegalArgumentException("masqueradeBit " + masqueradeBit + " is out of range 0-31");
        }
        List<IpFamily> seen = new ArrayList<>();
        for (String cidr : clusterCidrs) {
            IpFamily f = IpAddresses.cidrFamily(cidr).orElseThrow(() -> new IllegalArgumentException(
                    "clusterCidr '" + cidr + "' is not a CIDR such as 10.244.0.0/16 or fd00:10:244::/56"));
            if (seen.contains(f)) {
                throw new IllegalArgumentException("clusterCidrs " + clusterCidrs + " give two " + f.wireName()
                        + " CIDRs; at most one per family");
            }
            seen.add(f);
        }
        for (String a : nodePortAddresses) {
            if (!a.equals(PRIMARY) && IpAddresses.cidrFamily(a).isEmpty()) {
                throw new IllegalArgumentException("nodePortAddresses entry '" + a
                        + "' is neither a CIDR (e.g. 192.168.0.0/16) nor 'primary'");
            }
        }
    }

    /**
     * IPv4 options as kube-proxy's flags give them: {@code clusterCidr} may be empty, one CIDR, or
     * a comma-separated pair (IPv4,IPv6); NodePorts on every local address.
     */
    public RenderOptions(String clusterCidr, int masqueradeBit, boolean masqueradeAll) {
        this(IpFamily.IPV4, splitCidrs(clusterCidr), masqueradeBit, masqueradeAll, List.of());
    }

    public static RenderOptions defaults(String clusterCidr) {
        return new RenderOptions(clusterCidr, DEFAULT_MASQUERADE_BIT, false);
    }

    public RenderOptions withFamily(IpFamily f) {
        return new RenderOptions(f, clusterCidrs, masqueradeBit, masqueradeAll, nodePortAddresses);
    }

    public RenderOptions withNodePortAddresses(List<String> addresses) {
        return new RenderOptions(family, clusterCidrs, masqueradeBit, masqueradeAll, addresses);
    }

    public RenderOptions withMasqueradeAll(boolean all) {
        return new RenderOptions(family, clusterCidrs, masqueradeBit, all, nodePortAddresses);
    }

    /** The cluster CIDR of {@link #family}: the local-traffic detector's CIDR, if any. */
    public Optional<String> localDetectorCidr() {
        return clusterCidrs.stream().filter(c -> IpAddresses.cidrFamily(c).orElseThrow() == family).findFirst();
    }

    /** The cluster CIDR of {@link #family}, or "" when there is none. */
    public String clusterCidr() {
        return localDetectorCidr().orElse("");
    }

    /** The mark value as kube-proxy writes it, e.g. 0x4000 for bit 14. */
    public String masqueradeMark() {
        return "0x" + Integer.toHexString(1 << masqueradeBit);
    }

    /**
     * True when NodePorts answer on every local address of the family (no entry of the family, or
     * 0.0.0.0/0 or ::/0 among them): kube-proxy's {@code NodePortAddresses.MatchAll()}.
     */
    public boolean nodePortsOnAllAddresses() {
        List<String> mine = nodePortAddressesOfFamily();
        return mine.isEmpty() || mine.contains("0.0.0.0/0") || mine.contains("::/0");
    }

    /**
     * The node's addresses NodePorts answer on when not {@link #nodePortsOnAllAddresses()}: each of
     * the node's IPs of the family inside one of the CIDRs, plus the primary IP when asked for.
     */
    public List<String> nodePortIPs(NodeContext node) {
        List<String> mine = nodePortAddressesOfFamily();
        List<String> nodeIps = node.ipsOf(family);
        List<String> out = new ArrayList<>();
        for (String ip : nodeIps) {
            boolean primary = mine.contains(PRIMARY) && ip.equals(nodeIps.get(0));
            if (primary || mine.stream().anyMatch(c -> !c.equals(PRIMARY) && IpAddresses.contains(c, ip))) {
                out.add(ip);
            }
        }
        return out;
    }

    private List<String> nodePortAddressesOfFamily() {
        return nodePortAddresses.stream()
                .filter(a -> a.equals(PRIMARY) || IpAddresses.cidrFamily(a).orElseThrow() == family).toList();
    }

    private static List<String> splitCidrs(String text) {
        if (text == null || text.isBlank()) {
            return List.of();
        }
        return Arrays.stream(text.split(",")).map(String::strip).toList();
    }
}
