package io.sluice.applier.render;

import io.sluice.applier.backend.IptablesJump;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Traces the first packet of a connection through rendered iptables-restore text plus the jumps
 * from the built-in chains, like kube-proxy's packet-flow test tracer. It understands exactly the
 * matches and targets Sluice emits and fails on anything else, so a new kind of rule cannot slip
 * past untested. {@code -m statistic --mode random} and {@code -m recent --rcheck} are "maybe":
 * both outcomes are followed, so a trace yields every endpoint a packet can reach.
 *
 * <p>Path modelled, as the kernel takes it: nat OUTPUT (source is a node address) or PREROUTING
 * (otherwise), which may DNAT; then filter OUTPUT (local source), INPUT (destination, after
 * DNAT, is a node address) or FORWARD; then, unless dropped or rejected, nat POSTROUTING, which
 * may masquerade. Built-in chains hold only the jumps, in kernel order (each inserted at the top,
 * so the last jump of a chain comes first). Marks start at 0; the packet is conntrack state NEW.
 */
final class IptablesTracer {
    /** A packet being traced; immutable. {@code dnat} is the DNAT target, {@code verdict} a terminal target. */
    record Packet(String src, String dst, int dport, String protocol, int mark, String dnat, String verdict) {
        Packet withMark(int m) {
            return new Packet(src, dst, dport, protocol, m, dnat, verdict);
        }

        Packet end(String v, String to) {
            return new Packet(src, dst, dport, protocol, mark, to, v);
        }

        /** The packet as filter and POSTROUTING see it: destination rewritten by DNAT. */
        Packet afterNat() {
            if (dnat == null) {
                return new Packet(src, dst, dport, protocol, mark, null, null);
            }
            int colon = dnat.lastIndexOf(':');
            String ip = dnat.substring(0, colon).replace("[", "").replace("]", "");
            return new Packet(src, ip, Integer.parseInt(dnat.substring(colon + 1)), protocol, mark, dnat, null);
        }
    }

    /**
     * What can happen to a packet: every endpoint it may reach (empty when not DNATed), its
     * filter verdict ("DROP", "REJECT" or "ACCEPT" for passed), whether it leaves masqueraded.
     */
    record Flow(Set<String> endpoints, String verdict, Set<Boolean> masquerade) {
    }

    private record Rule(String chain, List<String> args, String line) {
    }

    private final Map<String, Map<String, List<Rule>>> tables = new HashMap<>();
    private final Set<String> localAddresses;

    /** Tracer over {@code restoreText} with Sluice's default jumps, on a node owning {@code localAddresses}. */
    IptablesTracer(String restoreText, Set<String> localAddresses) {
        this(restoreText, IptablesJump.defaults(), localAddresses);
    }

    IptablesTracer(String restoreText, List<IptablesJump> jumps, Set<String> localAddresses) {
        this.localAddresses = Set.copyOf(localAddresses);
        String table = null;
        for (String line : restoreText.lines().toList()) {
            if (line.startsWith("*")) {
                table = line.substring(1);
                tables.put(table, new HashMap<>());
            } else if (line.startsWith(":")) {
                tables.get(table).put(line.substring(1).split(" ")[0], new ArrayList<>());
            } else if (line.startsWith("-A ")) {
                addRule(table, line, false);
            } else if (!line.equals("COMMIT") && !line.isBlank()) {
                throw new IllegalArgumentException("tracer cannot read line: " + line);
            }
        }
        for (String t : List.of("nat", "filter")) {
            for (String builtin : List.of("PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING")) {
                tables.computeIfAbsent(t, x -> new HashMap<>()).put(builtin, new ArrayList<>());
            }
        }
        for (IptablesJump j : jumps) {
            addRule(j.table(), j.rule().render(), true); // -I: goes to the top
        }
    }

    private void addRule(String table, String line, boolean insert) {
        List<String> tokens = tokenize(line);
        String chain = tokens.get(1);
        List<Rule> rules = tables.get(table).get(chain);
        if (rules == null) {
            throw new IllegalArgumentException("rule for undeclared chain: " + line);
        }
        Rule r = new Rule(chain, tokens.subList(2, tokens.size()), line);
        if (insert) {
            rules.add(0, r);
        } else {
            rules.add(r);
        }
    }

    Flow trace(String src, String dst, int dport, String protocol) {
        Packet p = new Packet(src, dst, dport, protocol, 0, null, null);
        boolean localSource = localAddresses.contains(src);
        Set<String> endpoints = new TreeSet<>();
        Set<String> verdicts = new TreeSet<>();
        Set<Boolean> masq = new LinkedHashSet<>();
        for (Packet afterNat : walk("nat", localSource ? "OUTPUT" : "PREROUTING", p)) {
            Packet q = afterNat.afterNat();
            String hook = localSource ? "OUTPUT" : localAddresses.contains(q.dst()) ? "INPUT" : "FORWARD";
            List<Packet> filtered = walk("filter", hook, q);
            Set<String> v = new TreeSet<>();
            filtered.forEach(f -> v.add(f.verdict() == null ? "ACCEPT" : f.verdict()));
            if (v.size() != 1) {
                throw new AssertionError("filter " + hook + " gives different verdicts on different paths: " + filtered);
            }
            String verdict = v.iterator().next();
            verdicts.add(verdict);
            if (verdict.equals("ACCEPT")) {
                if (q.dnat() != null) {
                    endpoints.add(q.dnat());
                }
                if (!hook.equals("INPUT")) {
                    masq.add(walk("nat", "POSTROUTING", q).stream().anyMatch(e -> "MASQUERADE".equals(e.verdict())));
                }
            }
        }
        if (verdicts.size() != 1) {
            throw new AssertionError("packet " + p + " has different verdicts on different paths: " + verdicts);
        }
        if (masq.isEmpty()) {
            masq.add(false);
        }
        return new Flow(endpoints, verdicts.iterator().next(), masq);
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
            if (m == Match.NO || !r.args().contains("-j")) {
                continue; // a rule without a target only counts packets
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
                require(table.equals("nat") && targetArgs.size() == 2 && targetArgs.get(0).equals("--to-destination"), r);
                return List.of(p.end("DNAT", targetArgs.get(1)));
            case "MASQUERADE":
                require(table.equals("nat") && targetArgs.equals(List.of("--random-fully")), r);
                return List.of(p.end(target, p.dnat()));
            case "REJECT":
            case "ACCEPT":
            case "DROP":
                require(table.equals("filter") && targetArgs.isEmpty(), r);
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

    private Match matches(Rule r, Packet p) {
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
                    if (inCidr(p.dst(), a.get(++i)) == negate) {
                        return Match.NO;
                    }
                }
                case "-p" -> {
                    if (!p.protocol().equals(a.get(++i))) {
                        return Match.NO;
                    }
                }
                case "-m" -> {
                    maybe = false;
                    int next = matchModule(r, p, a, i + 1);
                    if (next < 0) {
                        return Match.NO;
                    }
                    if (maybe) {
                        result = Match.MAYBE;
                    }
                    i = next - 1;
                }
                case "-j" -> {
                    return result;
                }
                default -> throw new IllegalArgumentException("tracer does not support '" + t + "' in " + r.line());
            }
            negate = false;
        }
        return result; // a rule without a target
    }

    private boolean maybe;

    /**
     * Matches {@code -m module …} starting at the module name; returns the index after its
     * options, or -1 when the packet does not match. Sets {@link #maybe} for "either way".
     */
    private int matchModule(Rule r, Packet p, List<String> a, int i) {
        String module = a.get(i++);
        switch (module) {
            case "comment" -> {
                require(a.get(i).equals("--comment"), r);
                return i + 2;
            }
            case "tcp", "udp", "sctp" -> {
                require(module.equals(p.protocol()), r);
                if (i < a.size() && a.get(i).equals("--dport")) {
                    return Integer.parseInt(a.get(i + 1)) == p.dport() ? i + 2 : -1;
                }
                return i;
            }
            case "statistic" -> {
                require(a.subList(i, i + 3).equals(List.of("--mode", "random", "--probability")), r);
                maybe = true;
                return i + 4;
            }
            case "recent" -> {
                require(a.get(i).equals("--name") && a.get(i + 1).startsWith("SLUICE-SEP-"), r);
                if (a.get(i + 2).equals("--set")) {
                    return i + 3;
                }
                require(a.subList(i + 2, i + 7).equals(List.of("--rcheck", "--seconds", a.get(i + 4), "--reap", "-j")), r);
                maybe = true; // the client may or may not have a recent entry
                return i + 6;
            }
            case "mark" -> {
                boolean not = a.get(i).equals("!");
                if (not) {
                    i++;
                }
                require(a.get(i++).equals("--mark"), r);
                String[] vm = a.get(i++).split("/");
                int value = Integer.decode(vm[0]);
                int mask = Integer.decode(vm[1]);
                return ((p.mark() & mask) == value) != not ? i : -1;
            }
            case "addrtype" -> {
                String which = a.get(i);
                require(a.get(i + 1).equals("LOCAL") && (which.equals("--dst-type") || which.equals("--src-type")), r);
                String addr = which.equals("--dst-type") ? p.dst() : p.src();
                return localAddresses.contains(addr) || IpAddresses.contains("127.0.0.0/8", addr) ? i + 2 : -1;
            }
            case "conntrack" -> {
                require(a.get(i).equals("--ctstate"), r);
                return List.of(a.get(i + 1).split(",")).contains("NEW") ? i + 2 : -1;
            }
            default -> throw new IllegalArgumentException("tracer does not support -m " + module + ": " + r.line());
        }
    }

    static boolean inCidr(String ip, String cidr) {
        return IpAddresses.contains(cidr, ip);
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
