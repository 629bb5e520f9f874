package io.sluice.applier.render;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Traces a packet through rendered iptables-restore text, like kube-proxy's packet-flow test
 * tracer. It understands exactly the matches and targets Sluice emits and fails on anything else,
 * so a new kind of rule cannot slip past untested. {@code -m statistic --mode random} is "any of":
 * both outcomes are followed, so a trace yields every endpoint a packet can reach.
 *
 * <p>Packet path modelled: filter SLUICE-SERVICES (REJECT), nat SLUICE-SERVICES (DNAT and mark),
 * nat SLUICE-POSTROUTING (MASQUERADE). Marks start at 0.
 */
final class IptablesTracer {
    /** A packet being traced; immutable. */
    record Packet(String src, String dst, int dport, String protocol, int mark, String dnat, String verdict) {
        Packet withMark(int m) {
            return new Packet(src, dst, dport, protocol, m, dnat, verdict);
        }

        Packet end(String v, String to) {
            return new Packet(src, dst, dport, protocol, mark, to, v);
        }
    }

    /** What can happen to a packet: every endpoint it may reach, whether it is rejected, masqueraded. */
    record Flow(Set<String> endpoints, boolean rejected, Set<Boolean> masquerade) {
    }

    private record Rule(String chain, List<String> args, String line) {
    }

    private final Map<String, Map<String, List<Rule>>> tables = new HashMap<>();

    IptablesTracer(String restoreText) {
        String table = null;
        for (String line : restoreText.lines().toList()) {
            if (line.startsWith("*")) {
                table = line.substring(1);
                tables.put(table, new HashMap<>());
            } else if (line.startsWith(":")) {
                tables.get(table).put(line.substring(1).split(" ")[0], new ArrayList<>());
            } else if (line.startsWith("-A ")) {
                List<String> tokens = tokenize(line);
                String chain = tokens.get(1);
                List<Rule> rules = tables.get(table).get(chain);
                if (rules == null) {
                    throw new IllegalArgumentException("rule for undeclared chain: " + line);
                }
                rules.add(new Rule(chain, tokens.subList(2, tokens.size()), line));
            } else if (!line.equals("COMMIT") && !line.isBlank()) {
                throw new IllegalArgumentException("tracer cannot read line: " + line);
            }
        }
    }

    Flow trace(String src, String dst, int dport, String protocol) {
        Packet p = new Packet(src, dst, dport, protocol, 0, null, null);
        List<Packet> filtered = walk("filter", "SLUICE-SERVICES", p);
        boolean rejected = filtered.stream().anyMatch(e -> "REJECT".equals(e.verdict()));
        if (rejected) {
            if (!filtered.stream().allMatch(e -> "REJECT".equals(e.verdict()))) {
                throw new AssertionError("packet is rejected on some paths only: " + filtered);
            }
            return new Flow(Set.of(), true, Set.of(false));
        }
        Set<String> endpoints = new TreeSet<>();
        Set<Boolean> masq = new LinkedHashSet<>();
        for (Packet afterNat : walk("nat", "SLUICE-SERVICES", p)) {
            if (afterNat.dnat() != null) {
                endpoints.add(afterNat.dnat());
            }
            Packet fresh = new Packet(src, dst, dport, protocol, afterNat.mark(), null, null);
            masq.add(walk("nat", "SLUICE-POSTROUTING", fresh).stream().anyMatch(e -> "MASQUERADE".equals(e.verdict())));
        }
        return new Flow(endpoints, false, masq);
    }

    /** Every end state of the packet after the chain: a terminal verdict, or verdict null (returned). */
    private List<Packet> walk(String table, String chain, Packet p) {
        return walkFrom(table, chain, 0, p);
    }

    private List<Packet> walkFrom(String table, String chain, int from, Packet p) {
        List<Rule> rules = tables.get(table).get(chain);
        if (rules == null) {
            throw new IllegalArgumentException("no chain " + table + "/" + chain);
        }
        for (int i = from; i < rules.size(); i++) {
            Rule r = rules.get(i);
            Match m = matches(r, p);
            if (m == Match.NO) {
                continue;
            }
            List<Packet> out = new ArrayList<>(follow(table, chain, i, r, p));
            if (m == Match.MAYBE) {
                out.addAll(walkFrom(table, chain, i + 1, p));
            }
            return out;
        }
        return List.of(p);
    }

    private List<Packet> follow(String table, String chain, int index, Rule r, Packet p) {
        List<String> a = r.args();
        int j = a.indexOf("-j");
        String target = a.get(j + 1);
        List<String> targetArgs = a.subList(j + 2, a.size());
        switch (target) {
            case "RETURN":
                return List.of(p);
            case "MARK": {
                int v = Integer.decode(targetArgs.get(1));
                int mark = switch (targetArgs.get(0)) {
                    case "--or-mark" -> p.mark() | v;
                    case "--xor-mark" -> p.mark() ^ v;
                    default -> throw new IllegalArgumentException("unsupported MARK option in " + r.line());
                };
                return walkFrom(table, chain, index + 1, p.withMark(mark));
            }
            case "DNAT":
                require(targetArgs.size() == 2 && targetArgs.get(0).equals("--to-destination"), r);
                return List.of(p.end("DNAT", targetArgs.get(1)));
            case "MASQUERADE":
            case "REJECT":
            case "ACCEPT":
            case "DROP":
                return List.of(p.end(target, p.dnat()));
            default: {
                require(target.startsWith("SLUICE-") && targetArgs.isEmpty(), r);
                List<Packet> out = new ArrayList<>();
                for (Packet sub : walk(table, target, p)) {
                    out.addAll(sub.verdict() != null ? List.of(sub) : walkFrom(table, chain, index + 1, sub));
                }
                return out;
            }
        }
    }

    private enum Match { YES, NO, MAYBE }

    private static Match matches(Rule r, Packet p) {
        List<String> a = r.args();
        Match result = Match.YES;
        boolean negate = false;
        for (int i = 0; i < a.size(); i++) {
            String t = a.get(i);
            switch (t) {
                case "!" -> {
                    negate = true;
                    continue;
                }
                case "-s" -> {
                    if (inCidr(p.src(), a.get(++i)) == negate) {
                        return Match.NO;
                    }
                }
                case "-d" -> {
                    require(!negate, r);
                    if (!inCidr(p.dst(), a.get(++i))) {
                        return Match.NO;
                    }
                }
                case "-p" -> {
                    if (!p.protocol().equals(a.get(++i))) {
                        return Match.NO;
                    }
                }
                case "-m" -> {
                    String module = a.get(++i);
                    switch (module) {
                        case "comment" -> {
                            require(a.get(++i).equals("--comment"), r);
                            i++;
                        }
                        case "tcp", "udp", "sctp" -> {
                            require(module.equals(p.protocol()), r);
                            if (i + 1 < a.size() && a.get(i + 1).equals("--dport")) {
                                i += 2;
                                if (Integer.parseInt(a.get(i)) != p.dport()) {
                                    return Match.NO;
                                }
                            }
                        }
                        case "statistic" -> {
                            require(a.subList(i + 1, i + 5).equals(List.of("--mode", "random", "--probability",
                                    a.get(i + 4))), r);
                            i += 4;
                            result = Match.MAYBE;
                        }
                        case "mark" -> {
                            boolean not = a.get(i + 1).equals("!");
                            if (not) {
                                i++;
                            }
                            require(a.get(++i).equals("--mark"), r);
                            String[] vm = a.get(++i).split("/");
                            int value = Integer.decode(vm[0]);
                            int mask = Integer.decode(vm[1]);
                            if (((p.mark() & mask) == value) == not) {
                                return Match.NO;
                            }
                        }
                        default -> throw new IllegalArgumentException("tracer does not support -m " + module + ": " + r.line());
                    }
                }
                case "-j" -> {
                    return result;
                }
                default -> throw new IllegalArgumentException("tracer does not support '" + t + "' in " + r.line());
            }
            negate = false;
        }
        throw new IllegalArgumentException("rule without -j: " + r.line());
    }

    static boolean inCidr(String ip, String cidr) {
        String[] parts = cidr.split("/");
        int bits = parts.length == 2 ? Integer.parseInt(parts[1]) : 32;
        long mask = bits == 0 ? 0 : (0xffffffffL << (32 - bits)) & 0xffffffffL;
        return (toLong(ip) & mask) == (toLong(parts[0]) & mask);
    }

    private static long toLong(String ip) {
        long v = 0;
        for (String o : ip.split("\\.")) {
            v = (v << 8) | Integer.parseInt(o);
        }
        return v;
    }

    private static void require(boolean ok, Rule r) {
        if (!ok) {
            throw new IllegalArgumentException("tracer does not support: " + r.line());
        }
    }

    /** Splits a rule on spaces, keeping double-quoted strings whole (without the quotes). */
    static List<String> tokenize(String line) {
        List<String> out = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        boolean quoted = false;
        boolean inToken = false;
        for (char c : line.toCharArray()) {
            if (c == '"') {
                quoted = !quoted;
                inToken = true;
            } else if (c == ' ' && !quoted) {
                if (inToken) {
                    out.add(cur.toString());
                    cur.setLength(0);
                    inToken = false;
                }
            } else {
                cur.append(c);
                inToken = true;
            }
        }
        if (quoted) {
            throw new IllegalArgumentException("unbalanced quote in " + line);
        }
        if (inToken) {
            out.add(cur.toString());
        }
        return out;
    }
}
