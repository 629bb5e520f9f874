package io.sluice.applier.backend;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * One rule line in a canonical form, so a rule as rendered and the same rule as the kernel prints
 * it back ({@code iptables-save}, {@code iptables -S}) compare equal. Each rewrite is one the
 * kernel (or the iptables tool) applies, checked against both iptables flavours and both families
 * in {@code IptablesCanonicalTest} and {@code IptablesIncrementalIT}:
 * <ul>
 *   <li>quoting: {@code --comment "x"} and {@code --comment x} are one token;</li>
 *   <li>addresses: {@code -s 10.0.0.1} is {@code 10.0.0.1/32}, host bits under the prefix are
 *       cleared, IPv6 is written in RFC 5952's compressed form ({@code fd00::1/128});</li>
 *   <li>{@code -p tcp --dport 80} gains the implicit {@code -m tcp};</li>
 *   <li>{@code -j MARK --or-mark/--xor-mark/--and-mark/--set-mark} become {@code --set-xmark
 *       value/mask}; mark values are lower-case hex, a full mask dropped from {@code -m mark};</li>
 *   <li>{@code -j REJECT}'s default {@code --reject-with icmp-port-unreachable} (IPv6:
 *       {@code icmp6-port-unreachable}) is dropped;</li>
 *   <li>{@code --probability p} is the value the kernel stores: {@code round(p * 2^31) / 2^31} to 11
 *       places;</li>
 *   <li>{@code -m recent}: defaults ({@code --name DEFAULT}, {@code --rsource}, a full
 *       {@code --mask}) dropped, options sorted.</li>
 * </ul>
 * Anything else is compared as written: the renderer writes arguments in iptables-save's order.
 */
final class IptablesCanonical {
    private static final Set<String> ADDRESS_OPTIONS = Set.of("-s", "-d", "--source", "--destination");
    private static final Set<String> PORT_OPTIONS = Set.of("--dport", "--sport", "--destination-port", "--source-port");
    private static final Set<String> PORT_PROTOCOLS = Set.of("tcp", "udp", "sctp", "udplite", "dccp");
    private static final Set<String> RECENT_WITH_ARGUMENT = Set.of("--name", "--seconds", "--hitcount", "--mask");
    private static final Set<String> DEFAULT_REJECTS = Set.of("icmp-port-unreachable", "icmp6-port-unreachable");
    private static final String FULL_MASK_V4 = "255.255.255.255";
    private static final String FULL_MASK_V6 = "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff";
    private static final double PROBABILITY_SCALE = 2147483648.0; // libxt_statistic stores lround(p * 2^31)

    private IptablesCanonical() {
    }

    /** The canonical form of one {@code -A CHAIN …} line (any other line is returned stripped). */
    static String rule(String line) {
        String stripped = line.strip();
        if (!stripped.startsWith("-A ")) {
            return stripped;
        }
        List<String> tokens = tokens(stripped);
        List<String> out = new ArrayList<>(tokens.size() + 4);
        String protocol = null;
        String module = null;
        int i = 0;
        while (i < tokens.size()) {
            String t = tokens.get(i);
            if (ADDRESS_OPTIONS.contains(t) && i + 1 < tokens.size()) {
                out.add(t.length() == 2 ? t : "-" + t.charAt(2)); // --source → -s
                out.add(address(tokens.get(i + 1)));
                i += 2;
            } else if ((t.equals("-p") || t.equals("--protocol")) && i + 1 < tokens.size()) {
                protocol = tokens.get(i + 1).toLowerCase(Locale.ROOT);
                out.add("-p");
                out.add(protocol);
                i += 2;
            } else if (t.equals("-m") && i + 1 < tokens.size()) {
                module = tokens.get(i + 1);
                if (module.equals("recent")) {
                    i = recent(tokens, i + 2, out);
                    module = null;
                } else {
                    out.add(t);
                    out.add(module);
                    i += 2;
                }
            } else if (t.equals("-j") && i + 1 < tokens.size()) {
                i = target(tokens, i + 1, out);
            } else if (PORT_OPTIONS.contains(t) && protocol != null && PORT_PROTOCOLS.contains(protocol)
                    && !protocol.equals(module)) {
                out.add("-m");
                out.add(protocol);
                module = protocol;
                out.add(t);
                i++;
            } else if (t.equals("--probability") && i + 1 < tokens.size()) {
                out.add(t);
                out.add(probability(tokens.get(i + 1)));
                i += 2;
            } else if (t.equals("--mark") && "mark".equals(module) && i + 1 < tokens.size()) {
                out.add(t);
                out.add(markMatch(tokens.get(i + 1)));
                i += 2;
            } else {
                out.add(t);
                i++;
            }
        }
        return join(out);
    }

    /** The -j target and its options, from {@code start} (the target name) to the end. */
    private static int target(List<String> tokens, int start, List<String> out) {
        String target = tokens.get(start);
        List<String> args = tokens.subList(start + 1, tokens.size());
        out.add("-j");
        out.add(target);
        if (target.equals("MARK")) {
            out.addAll(markTarget(args));
        } else if (target.equals("REJECT")) {
            for (int k = 0; k < args.size(); k++) {
                if (args.get(k).equals("--reject-with") && k + 1 < args.size() && DEFAULT_REJECTS.contains(args.get(k + 1))) {
                    k++;
                } else {
                    out.add(args.get(k));
                }
            }
        } else {
            out.addAll(args);
        }
        return tokens.size();
    }

    /** MARK's options as libxt_MARK stores them: {@code --set-xmark value/mask}. */
    private static List<String> markTarget(List<String> args) {
        if (args.size() != 2) {
            return args;
        }
        String op = args.get(0);
        String[] vm = args.get(1).split("/", 2);
        try {
            long value = number(vm[0]);
            long mask = vm.length > 1 ? number(vm[1]) : 0xffffffffL;
            long[] stored = switch (op) {
                case "--set-xmark" -> new long[] {value, mask};
                case "--set-mark" -> new long[] {value, (value | mask) & 0xffffffffL};
                case "--or-mark" -> new long[] {value, value};
                case "--xor-mark" -> new long[] {value, 0};
                case "--and-mark" -> new long[] {0, ~value & 0xffffffffL};
                default -> null;
            };
            if (stored == null) {
                return args;
            }
            return List.of("--set-xmark", hex(stored[0]) + "/" + hex(stored[1]));
        } catch (NumberFormatException e) {
            return args;
        }
    }

    private static String markMatch(String value) {
        String[] vm = value.split("/", 2);
        try {
            long v = number(vm[0]);
            if (vm.length == 1 || number(vm[1]) == 0xffffffffL) {
                return hex(v);
            }
            return hex(v) + "/" + hex(number(vm[1]));
        } catch (NumberFormatException e) {
            return value;
        }
    }

    /** {@code -m recent} options up to the next -m/-j: defaults dropped, sorted. */
    private static int recent(List<String> tokens, int start, List<String> out) {
        List<List<String>> options = new ArrayList<>();
        int i = start;
        while (i < tokens.size() && !tokens.get(i).equals("-m") && !tokens.get(i).equals("-j")) {
            List<String> option = new ArrayList<>();
            if (tokens.get(i).equals("!") && i + 1 < tokens.size()) {
                option.add("!");
                i++;
            }
            String name = tokens.get(i++);
            option.add(name);
            if (RECENT_WITH_ARGUMENT.contains(name) && i < tokens.size()) {
                option.add(tokens.get(i++));
            }
            boolean isDefault = option.equals(List.of("--rsource")) || option.equals(List.of("--name", "DEFAULT"))
                    || option.equals(List.of("--mask", FULL_MASK_V4)) || option.equals(List.of("--mask", FULL_MASK_V6));
            if (!isDefault) {
                options.add(option);
            }
        }
        options.sort(Comparator.comparing(o -> o.get(o.get(0).equals("!") ? 1 : 0)));
        out.add("-m");
        out.add("recent");
        options.forEach(out::addAll);
        return i;
    }

    static String probability(String p) {
        try {
            double stored = Math.round(Double.parseDouble(p) * PROBABILITY_SCALE) / PROBABILITY_SCALE;
            return String.format(Locale.ROOT, "%.11f", stored);
        } catch (NumberFormatException e) {
            return p;
        }
    }

    /** An address or CIDR as the kernel prints it: with its prefix, host bits cleared, IPv6 compressed. */
    static String address(String text) {
        String addr = text;
        int prefix = -1;
        int slash = text.indexOf('/');
        try {
            if (slash >= 0) {
                addr = text.substring(0, slash);
                prefix = Integer.parseInt(text.substring(slash + 1));
            }
            byte[] bytes = addr.indexOf(':') >= 0 ? v6(addr) : v4(addr);
            if (bytes == null) {
                return text;
            }
            int bits = bytes.length * 8;
            if (prefix < 0) {
                prefix = bits;
            }
            if (prefix > bits) {
                return text;
            }
            for (int b = prefix; b < bits; b++) {
                bytes[b / 8] &= (byte) ~(0x80 >> (b % 8));
            }
            return (bytes.length == 4 ? v4Text(bytes) : v6Text(bytes)) + "/" + prefix;
        } catch (NumberFormatException e) {
            return text;
        }
    }

    private static byte[] v4(String s) {
        String[] parts = s.split("\\.", -1);
        if (parts.length != 4) {
            return null;
        }
        byte[] out = new byte[4];
        for (int i = 0; i < 4; i++) {
            int v = Integer.parseInt(parts[i]);
            if (v < 0 || v > 255) {
                return null;
            }
            out[i] = (byte) v;
        }
        return out;
    }

    private static byte[] v6(String s) {
        if (s.contains(".")) {
            return null; // IPv4-mapped forms: compared as written
        }
        int dc = s.indexOf("::");
        List<String> head = new ArrayList<>();
        List<String> tail = new ArrayList<>();
        if (dc >= 0) {
            if (dc > 0) {
                head.addAll(List.of(s.substring(0, dc).split(":")));
            }
            if (dc + 2 < s.length()) {
                tail.addAll(List.of(s.substring(dc + 2).split(":")));
            }
        } else {
            head.addAll(List.of(s.split(":", -1)));
        }
        int missing = 8 - head.size() - tail.size();
        if ((dc < 0 && missing != 0) || missing < (dc >= 0 ? 1 : 0)) {
            return null;
        }
        List<String> groups = new ArrayList<>(head);
        for (int i = 0; i < missing; i++) {
            groups.add("0");
        }
        groups.addAll(tail);
        byte[] out = new byte[16];
        for (int i = 0; i < 8; i++) {
            String g = groups.get(i);
            if (g.isEmpty() || g.length() > 4) {
                return null;
            }
            int v = Integer.parseInt(g, 16);
            out[2 * i] = (byte) (v >> 8);
            out[2 * i + 1] = (byte) v;
        }
        return out;
    }

    private static String v4Text(byte[] b) {
        return (b[0] & 0xff) + "." + (b[1] & 0xff) + "." + (b[2] & 0xff) + "." + (b[3] & 0xff);
    }

    /** RFC 5952: lower case, no leading zeros, the longest run (first on ties) of two or more zero groups as "::". */
    private static String v6Text(byte[] b) {
        int[] g = new int[8];
        for (int i = 0; i < 8; i++) {
            g[i] = ((b[2 * i] & 0xff) << 8) | (b[2 * i + 1] & 0xff);
        }
        int bestStart = -1;
        int bestLen = 0;
        for (int i = 0; i < 8; ) {
            if (g[i] != 0) {
                i++;
                continue;
            }
            int j = i;
            while (j < 8 && g[j] == 0) {
                j++;
            }
            if (j - i > bestLen && j - i >= 2) {
                bestStart = i;
                bestLen = j - i;
            }
            i = j;
        }
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                sb.append("::");
                i += bestLen - 1;
                continue;
            }
            if (sb.length() > 0 && sb.charAt(sb.length() - 1) != ':') {
                sb.append(':');
            }
            sb.append(Integer.toHexString(g[i]));
        }
        return sb.toString();
    }

    private static long number(String s) {
        String t = s.strip().toLowerCase(Locale.ROOT);
        return t.startsWith("0x") ? Long.parseLong(t.substring(2), 16) : Long.parseLong(t);
    }

    private static String hex(long v) {
        return "0x" + Long.toHexString(v & 0xffffffffL);
    }

    private static boolean needsQuotes(String t) {
        if (t.isEmpty()) {
            return true;
        }
        for (int i = 0; i < t.length(); i++) {
            char c = t.charAt(i);
            if (c == ' ' || c == '"' || c == '\\' || Character.isWhitespace(c)) {
                return true;
            }
        }
        return false;
    }

    /** Splits a rule line into arguments: whitespace-separated, double quotes group (backslash escapes inside). */
    static List<String> tokens(String line) {
        List<String> out = new ArrayList<>(32);
        StringBuilder cur = new StringBuilder(64);
        boolean quoted = false;
        boolean any = false;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (quoted) {
                if (c == '\\' && i + 1 < line.length()) {
                    cur.append(line.charAt(++i));
                } else if (c == '"') {
                    quoted = false;
                } else {
                    cur.append(c);
                }
            } else if (c == '"') {
                quoted = true;
                any = true;
            } else if (Character.isWhitespace(c)) {
                if (any) {
                    out.add(cur.toString());
                    cur.setLength(0);
                    any = false;
                }
            } else {
                cur.append(c);
                any = true;
            }
        }
        if (any) {
            out.add(cur.toString());
        }
        return out;
    }

    /** Joins arguments into a line; an argument with whitespace, a quote or nothing in it is quoted. */
    static String join(List<String> tokens) {
        StringBuilder sb = new StringBuilder(128);
        for (String t : tokens) {
            if (sb.length() > 0) {
                sb.append(' ');
            }
            if (needsQuotes(t)) {
                sb.append('"').append(t.replace("\\", "\\\\").replace("\"", "\\\"")).append('"');
            } else {
                sb.append(t);
            }
        }
        return sb.toString();
    }
}
