package io.sluice.applier.render;

/** Literal IPv4 address checks, without name resolution (renderers do no I/O). */
final class Ipv4 {
    private Ipv4() {
    }

    /** True for a dotted-quad IPv4 literal such as 10.96.0.1 (no leading zeros, each octet 0-255). */
    static boolean isAddress(String s) {
        if (s == null) {
            return false;
        }
        String[] parts = s.split("\\.", -1);
        if (parts.length != 4) {
            return false;
        }
        for (String p : parts) {
            if (p.isEmpty() || p.length() > 3 || (p.length() > 1 && p.charAt(0) == '0')) {
                return false;
            }
            for (int i = 0; i < p.length(); i++) {
                if (!Character.isDigit(p.charAt(i)) || p.charAt(i) > '9') {
                    return false;
                }
            }
            if (Integer.parseInt(p) > 255) {
                return false;
            }
        }
        return true;
    }

    /** True for an IPv4 CIDR such as 10.244.0.0/16. */
    static boolean isCidr(String s) {
        int slash = s == null ? -1 : s.indexOf('/');
        if (slash < 0) {
            return false;
        }
        String bits = s.substring(slash + 1);
        if (bits.isEmpty() || bits.length() > 2 || !bits.chars().allMatch(c -> c >= '0' && c <= '9')) {
            return false;
        }
        return isAddress(s.substring(0, slash)) && Integer.parseInt(bits) <= 32;
    }
}
