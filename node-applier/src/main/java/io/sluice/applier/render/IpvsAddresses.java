package io.sluice.applier.render;

import io.sluice.schema.model.IpFamily;
import io.sluice.schema.validate.IpLiterals;
import java.util.Optional;

/**
 * Addresses written the way the kernel tools print them back, so that a rendered entry and the
 * same entry read from {@code ipvsadm -S -n}, {@code ipset save} or {@code ip -o addr} compare
 * equal as strings: IPv6 in RFC 5952 form (lower case, longest zero run compressed), CIDRs reduced
 * to their network address. Parsed by hand: renderers are pure and may not touch {@code java.net}.
 * Private to IPVS mode (the shared {@code IpAddresses} does not canonicalise).
 */
public final class IpvsAddresses {
    private IpvsAddresses() {
    }

    /** The family of an IP literal, or empty when the text is not one. */
    public static Optional<IpFamily> family(String ip) {
        return IpLiterals.family(ip);
    }

    public static boolean isFamily(String ip, IpFamily family) {
        return family(ip).filter(f -> f == family).isPresent();
    }

    /** The literal as the kernel tools print it: IPv4 unchanged, IPv6 in RFC 5952 form. */
    public static String canonical(String ip) {
        IpFamily f = family(ip).orElseThrow(() -> new IllegalArgumentException("'" + ip + "' is not an IP address"));
        return f == IpFamily.IPV4 ? ip : format6(bytes(ip));
    }

    /**
     * A CIDR as ipset prints it: network address (host bits cleared), canonical; a host prefix
     * (/32, /128) prints as the bare address.
     */
    public static String canonicalNet(String cidr) {
        int slash = cidr.indexOf('/');
        if (slash < 0 || !IpLiterals.isCidr(cidr)) {
            throw new IllegalArgumentException("'" + cidr + "' is not a CIDR");
        }
        byte[] b = bytes(cidr.substring(0, slash));
        int bits = Integer.parseInt(cidr.substring(slash + 1));
        for (int i = 0; i < b.length; i++) {
            int keep = Math.max(0, Math.min(8, bits - 8 * i));
            b[i] &= (byte) (0xff << (8 - keep));
        }
        String net = b.length == 4 ? format4(b) : format6(b);
        return bits == b.length * 8 ? net : net + "/" + bits;
    }

    /** Whether {@code ip} lies in {@code cidr}; false when the families differ. */
    public static boolean contains(String cidr, String ip) {
        int slash = cidr.indexOf('/');
        byte[] net = bytes(cidr.substring(0, slash));
        byte[] addr = bytes(ip);
        if (net.length != addr.length) {
            return false;
        }
        int bits = Integer.parseInt(cidr.substring(slash + 1));
        for (int i = 0; i < net.length && bits > 0; i++, bits -= 8) {
            int mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
            if ((net[i] & mask) != (addr[i] & mask)) {
                return false;
            }
        }
        return true;
    }

    /** 127.0.0.0/8 or ::1: kube-proxy never programs NodePorts on loopback addresses. */
    public static boolean isLoopback(String ip) {
        byte[] b = bytes(ip);
        if (b.length == 4) {
            return (b[0] & 0xff) == 127;
        }
        for (int i = 0; i < 15; i++) {
            if (b[i] != 0) {
                return false;
            }
        }
        return b[15] == 1;
    }

    /** {@code ip:port} as ipvsadm writes it ({@code [ip]:port} for IPv6). */
    public static String hostPort(String ip, int port) {
        String c = canonical(ip);
        return (c.indexOf(':') >= 0 ? "[" + c + "]" : c) + ":" + port;
    }

    /** The address as 4 or 16 bytes (the shared parser of {@link IpAddresses}). */
    static byte[] bytes(String ip) {
        byte[] b = IpAddresses.bytes(ip);
        if (b == null) {
            throw new IllegalArgumentException("'" + ip + "' is not an IP address");
        }
        return b;
    }

    private static String format4(byte[] b) {
        return (b[0] & 0xff) + "." + (b[1] & 0xff) + "." + (b[2] & 0xff) + "." + (b[3] & 0xff);
    }

    /**
     * RFC 5952 as glibc's inet_ntop writes it (ipvsadm and ipset use it): lower-case hex, leading
     * zeros dropped, the first longest run (≥ 2) of zero words as ::, IPv4-mapped with a dotted tail.
     */
    private static String format6(byte[] b) {
        int[] w = new int[8];
        for (int i = 0; i < 8; i++) {
            w[i] = ((b[2 * i] & 0xff) << 8) | (b[2 * i + 1] & 0xff);
        }
        int bestStart = -1;
        int bestLen = 1;
        for (int i = 0; i < 8; i++) {
            int j = i;
            while (j < 8 && w[j] == 0) {
                j++;
            }
            if (j - i > bestLen) {
                bestStart = i;
                bestLen = j - i;
            }
            i = Math.max(i, j);
        }
        StringBuilder out = new StringBuilder();
        if (bestStart == 0 && (bestLen == 6 || (bestLen == 5 && w[5] == 0xffff))) {
            // glibc's inet_ntop writes IPv4-compatible and IPv4-mapped addresses with a dotted tail
            return (bestLen == 5 ? "::ffff:" : "::") + format4(java.util.Arrays.copyOfRange(b, 12, 16));
        }
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                out.append("::");
                i += bestLen - 1;
                continue;
            }
            if (out.length() > 0 && out.charAt(out.length() - 1) != ':') {
                out.append(':');
            }
            out.append(Integer.toHexString(w[i]));
        }
        return out.toString();
    }
}
