package io.sluice.schema.validate;

import io.sluice.schema.model.IpFamily;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Optional;
import java.util.regex.Pattern;

/** Strict IP and CIDR literal checks that never touch DNS. */
public final class IpLiterals {
    private static final Pattern V6_CHARS = Pattern.compile("[0-9A-Fa-f:.]+");

    private IpLiterals() {
    }

    /** The family of a valid IP literal, or empty if the text is not one. */
    public static Optional<IpFamily> family(String text) {
        if (text == null || text.isEmpty()) {
            return Optional.empty();
        }
        if (text.indexOf(':') < 0) {
            return isIpv4(text) ? Optional.of(IpFamily.IPV4) : Optional.empty();
        }
        if (text.indexOf(':') >= 0 && V6_CHARS.matcher(text).matches()) {
            try {
                // A literal containing ':' is parsed numerically; no name lookup happens.
                return InetAddress.getByName(text) instanceof Inet6Address ? Optional.of(IpFamily.IPV6) : Optional.empty();
            } catch (UnknownHostException e) {
                return Optional.empty();
            }
        }
        return Optional.empty();
    }

    /** Dotted quad, each part 0-255 without leading zeros; parsed by hand (renderers call this per rule). */
    private static boolean isIpv4(String text) {
        int parts = 0;
        int value = 0;
        int digits = 0;
        for (int i = 0, n = text.length(); i <= n; i++) {
            char c = i < n ? text.charAt(i) : '.';
            if (c == '.') {
                if (digits == 0 || ++parts > 4) {
                    return false;
                }
                value = 0;
                digits = 0;
            } else if (c >= '0' && c <= '9') {
                if (digits == 1 && value == 0) {
                    return false; // leading zero
                }
                value = value * 10 + (c - '0');
                if (++digits > 3 || value > 255) {
                    return false;
                }
            } else {
                return false;
            }
        }
        return parts == 4;
    }

    public static boolean isIp(String text) {
        return family(text).isPresent();
    }

    /** Whether text is a CIDR such as 10.0.0.0/8 or fd00::/64 with an in-range prefix length. */
    public static boolean isCidr(String text) {
        if (text == null) {
            return false;
        }
        int slash = text.indexOf('/');
        if (slash < 0) {
            return false;
        }
        Optional<IpFamily> fam = family(text.substring(0, slash));
        String len = text.substring(slash + 1);
        if (fam.isEmpty() || !len.matches("[0-9]{1,3}")) {
            return false;
        }
        int bits = Integer.parseInt(len);
        return bits <= (fam.get() == IpFamily.IPV4 ? 32 : 128);
    }
}
