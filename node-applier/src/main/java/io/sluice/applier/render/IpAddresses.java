package io.sluice.applier.render;

import io.sluice.schema.model.IpFamily;
import io.sluice.schema.validate.IpLiterals;
import java.util.Optional;

/**
 * IP literals and CIDRs of either family, parsed by hand: renderers are pure and may not touch
 * {@code java.net} (no name resolution can ever happen here).
 */
public final class IpAddresses {
    private IpAddresses() {
    }

    /** The family of an IP literal, or empty when the text is not one. */
    public static Optional<IpFamily> family(String ip) {
        return IpLiterals.family(ip);
    }

    public static boolean isAddress(String ip, IpFamily family) {
        return family(ip).filter(f -> f == family).isPresent();
    }

    /** The family of a CIDR such as 10.0.0.0/8 or 2001:db8::/32, or empty when it is not one. */
    public static Optional<IpFamily> cidrFamily(String cidr) {
        if (!IpLiterals.isCidr(cidr)) {
            return Optional.empty();
        }
        return family(cidr.substring(0, cidr.indexOf('/')));
    }

    /** {@code ip/32} or {@code ip/128}; a CIDR is returned as it is. */
    public static String hostCidr(String ip) {
        if (ip.contains("/")) {
            return ip;
        }
        return ip + (ip.indexOf(':') >= 0 ? "/128" : "/32");
    }

    /** Whether {@code ip} lies in {@code cidr}; false when the families differ or either is malformed. */
    public static boolean contains(String cidr, String ip) {
        int slash = cidr.indexOf('/');
        byte[] net = bytes(slash < 0 ? cidr : cidr.substring(0, slash));
        byte[] addr = bytes(ip);
        if (net == null || addr == null || net.length != addr.length) {
            return false;
        }
        int bits = slash < 0 ? net.length * 8 : Integer.parseInt(cidr.substring(slash + 1));
        for (int i = 0; i < net.length && bits > 0; i++, bits -= 8) {
            int mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
            if ((net[i] & mask) != (addr[i] & mask)) {
                return false;
            }
        }
        return true;
    }

    /** The address as 4 or 16 bytes, or null when it is not an IP literal. */
    static byte[] bytes(String ip) {
        Optional<IpFamily> f = family(ip);
        if (f.isEmpty()) {
            return null;
        }
        return f.get() == IpFamily.IPV4 ? v4(ip) : v6(ip);
    }

    private static byte[] v4(String ip) {
        String[] parts = ip.split("\\.");
        byte[] out = new byte[4];
        for (int i = 0; i < 4; i++) {
            out[i] = (byte) Integer.parseInt(parts[i]);
        }
        return out;
    }

    private static byte[] v6(String ip) {
        String text = ip;
        int[] words = new int[8];
        int[] tail = new int[0];
        // An embedded IPv4 tail (::ffff:1.2.3.4) becomes two words.
        int lastColon = text.lastIndexOf(':');
        if (text.indexOf('.', lastColon) > 0) {
            byte[] v4 = v4(text.substring(lastColon + 1));
            text = text.substring(0, lastColon + 1) + Integer.toHexString(((v4[0] & 0xff) << 8) | (v4[1] & 0xff))
                    + ":" + Integer.toHexString(((v4[2] & 0xff) << 8) | (v4[3] & 0xff));
        }
        int gap = text.indexOf("::");
        String head = gap < 0 ? text : text.substring(0, gap);
        String rest = gap < 0 ? "" : text.substring(gap + 2);
        int[] headWords = hexWords(head);
        tail = hexWords(rest);
        System.arraycopy(headWords, 0, words, 0, headWords.length);
        System.arraycopy(tail, 0, words, 8 - tail.length, tail.length);
        byte[] out = new byte[16];
        for (int i = 0; i < 8; i++) {
            out[2 * i] = (byte) (words[i] >> 8);
            out[2 * i + 1] = (byte) words[i];
        }
        return out;
    }

    private static int[] hexWords(String s) {
        if (s.isEmpty()) {
            return new int[0];
        }
        String[] parts = s.split(":");
        int[] out = new int[parts.length];
        for (int i = 0; i < parts.length; i++) {
            out[i] = Integer.parseInt(parts[i], 16);
        }
        return out;
    }
}
