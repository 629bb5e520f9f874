package io.sluice.applier.render;

import java.util.Objects;

/**
 * Per-node rendering options, the subset of kube-proxy's configuration rendering depends on.
 *
 * @param clusterCidr   pod CIDR of the cluster; traffic to a Service from outside it is masqueraded
 *                      (kube-proxy's --cluster-cidr). Null or empty: masquerade nothing by source.
 * @param masqueradeBit bit of the packet mark used to flag packets for SNAT (kube-proxy default 14 → 0x4000)
 * @param masqueradeAll masquerade every packet to a Service (kube-proxy --masquerade-all)
 */
public record RenderOptions(String clusterCidr, int masqueradeBit, boolean masqueradeAll) {
    public static final int DEFAULT_MASQUERADE_BIT = 14;

    public RenderOptions {
        if (masqueradeBit < 0 || masqueradeBit > 31) {
            throw new IllegalArgumentException("masqueradeBit " + masqueradeBit + " is out of range 0-31");
        }
        clusterCidr = Objects.requireNonNullElse(clusterCidr, "");
    }

    public static RenderOptions defaults(String clusterCidr) {
        return new RenderOptions(clusterCidr, DEFAULT_MASQUERADE_BIT, false);
    }

    /** The mark value as kube-proxy writes it, e.g. 0x4000 for bit 14. */
    public String masqueradeMark() {
        return "0x" + Integer.toHexString(1 << masqueradeBit);
    }
}
