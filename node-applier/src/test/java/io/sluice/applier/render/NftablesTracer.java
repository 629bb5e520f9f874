package io.sluice.applier.render;

import io.sluice.applier.render.nft.NftChain;
import io.sluice.applier.render.nft.NftScript;
import io.sluice.applier.render.nft.NftSet;
import io.sluice.applier.render.nft.NftTable;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * Traces the first packet of a connection through one rendered nftables table, like kube-proxy's
 * nftables packet-flow tracer (pkg/proxy/nftables/helpers_test.go). It understands exactly the
 * expressions Sluice writes and fails on anything else, so a new kind of rule cannot slip past
 * untested. {@code numgen random} follows every branch and an affinity-set lookup is "maybe"
 * (both outcomes followed), so a trace yields every endpoint a packet can reach.
 *
 * <p>Path, in hook and priority order as the kernel takes it: from a node address, output
 * ({@code filter-output-pre-dnat} -110, {@code nat-output} -100, {@code filter-output} 0), then
 * {@code nat-postrouting}, then input ({@code filter-input}) when the destination after DNAT is
 * the node; from elsewhere, prerouting ({@code filter-prerouting-pre-dnat}, {@code nat-prerouting}),
 * then {@code filter-input} (destination is the node) or {@code filter-forward} and
 * {@code nat-postrouting}. Base chains accept by default; marks start at 0; the packet is NEW.
 */
final class NftablesTracer {
    /** A packet being traced; immutable. {@code dnat} the DNAT target, {@code verdict} a terminal verdict. */
    record Packet(String src, String dst, int dport, String protocol, int mark, String dnat, boolean masq,
            String verdict) {
        Packet withMark(int m) {
            return new Packet(src, dst, dport, protocol, m, dnat, masq, verdict);
        }

        Packet end(String v) {
            return new Packet(src, dst, dport, protocol, mark, dnat, masq, v);
        }

        Packet dnatTo(String to) {
            return new Packet(src, dst, dport, protocol, mark, to, masq, "accept");
        }

        Packet masqueraded() {
            return new Packet(src, dst, dport, protocol, mark, dnat, true, "accept");
        }

        /** Continues to the next base chain: the verdict of this one was accept (or fell through). */
        Packet next() {
            return new Packet(src, dst, dport, protocol, mark, dnat, masq, null);
        }

        /** As filter and postrouting see it: destination rewritten by DNAT. */
        Packet afterNat() {
            if (dnat == null) {
                return next();
            }
            int colon = dnat.lastIndexOf(':');
            String ip = dnat.substring(0, colon).replace("[", "").replace("]", "");
            return new Packet(src, ip, Integer.parseInt(dnat.substring(colon + 1)), protocol, mark, dnat, masq, null);
        }
    }

    /** Every endpoint the packet may reach, its filter verdict (ACCEPT, DROP, REJECT), whether it leaves masqueraded. */
    record Flow(Set<String> endpoints, String verdict, Set<Boolean> masquerade) {
    }

    private final NftTable table;
    private final String ip;
    private final Set<String> localAddresses;

    NftablesTracer(String text, Set<String> localAddresses) {
        List<NftTable> tables = NftScript.parse(text).tables();
        if (tables.size() != 1) {
            throw new IllegalArgumentException("trace one table at a time, got " + tables.size());
        }
        this.table = tables.get(0);
        this.ip = table.family();
        this.localAddresses = Set.copyOf(localAddresses);
    }

    Flow trace(String src, String dst, int dport, String protocol) {
        Packet p = new Packet(src, dst, dport, protocol, 0, null, false, null);
        boolean localSource = localAddresses.contains(src);
        List<Packet> states = List.of(p);
        states = hook(states, localSource ? NftablesChainNames.FILTER_OUTPUT_PRE_DNAT
                : NftablesChainNames.FILTER_PREROUTING_PRE_DNAT);
        states = hook(states, localSource ? NftablesChainNames.NAT_OUTPUT : NftablesChainNames.NAT_PREROUTING);
        states = states.stream().map(s -> s.verdict() == null ? s.afterNat() : s).toList();
        Set<String> endpoints = new TreeSet<>();
        Set<String> verdicts = new TreeSet<>();
        Set<Boolean> masq = new LinkedHashSet<>();
        for (Packet s : states) {
            List<Packet> out = List.of(s);
            boolean toNode = localAddresses.contains(s.dst());
            if (localSource) {
                out = hook(out, NftablesChainNames.FILTER_OUTPUT);
                out = hook(out, NftablesChainNames.NAT_POSTROUTING);
                if (toNode) {
                    out = hook(out, NftablesChainNames.FILTER_INPUT);
                }
            } else if (toNode) {
                out = hook(out, NftablesChainNames.FILTER_INPUT);
            } else {
                out = hook(out, NftablesChainNames.FILTER_FORWARD);
                out = hook(out, NftablesChainNames.NAT_POSTROUTING);
            }
            for (Packet o : out) {
                String v = o.verdict() == null ? "ACCEPT" : o.verdict().toUpperCase();
                verdicts.add(v);
                if (v.equals("ACCEPT")) {
                    if (o.dnat() != null) {
                        endpoints.add(o.dnat());
                    }
                    if (!toNode || localSource) {
                        masq.add(o.masq());
                    }
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

    /** Runs a base chain on every state still going; accept (or falling off the end) continues. */
    private List<Packet> hook(List<Packet> states, String chain) {
        List<Packet> out = new ArrayList<>();
        for (Packet s : states) {
            if (s.verdict() != null) {
                out.add(s);
                continue;
            }
            for (Packet r : run(chain, 0, s)) {
                out.add(r.verdict() == null || r.verdict().equals("accept") ? r.next() : r);
            }
        }
        return out;
    }

    /**
     * Every end state of the packet from rule {@code from} of the chain: a terminal verdict, or
     * verdict null when the chain returned (explicitly or by falling off its end).
     */
    private List<Packet> run(String chain, int from, Packet p) {
        NftChain c = table.chains().get(chain);
        if (c == null) {
            throw new IllegalArgumentException("no chain " + chain);
        }
        for (int i = from; i < c.rules().size(); i++) {
            String rule = c.rules().get(i);
            Evaluation e = evaluate(rule, p);
            if (e.match() == Match.NO) {
                continue;
            }
            List<Packet> out = new ArrayList<>(act(chain, i, e.statement(), p));
            if (e.match() == Match.MAYBE) {
                out.addAll(run(chain, i + 1, p));
            }
            return out;
        }
        return List.of(p);
    }

    private enum Match { YES, NO, MAYBE }

    private record Evaluation(Match match, List<String> statement) {
    }

    /** Evaluates the matches at the start of a rule; the statement is what follows them. */
    private Evaluation evaluate(String rule, Packet p) {
        List<String> w = words(rule);
        Match m = Match.YES;
        int i = 0;
        while (i < w.size()) {
            String t = w.get(i);
            if (t.equals("ct") && w.get(i + 1).equals("state") && w.get(i + 2).equals("new")) {
                i += 3;
            } else if (t.equals("fib") && w.get(i + 2).equals("type") && w.get(i + 3).equals("local")) {
                String addr = w.get(i + 1).equals("saddr") ? p.src() : p.dst();
                if (!localAddresses.contains(addr)) {
                    return new Evaluation(Match.NO, List.of());
                }
                i += 4;
            } else if (t.equals("mark") && w.get(i + 1).equals("and")) {
                int mask = Integer.decode(w.get(i + 2));
                require(w.get(i + 3).equals("==") && w.get(i + 4).equals("0"), rule);
                if ((p.mark() & mask) != 0) {
                    return new Evaluation(Match.NO, List.of());
                }
                i += 5;
            } else if (t.equals("meta") && w.get(i + 1).equals("l4proto") && !w.get(i + 2).equals(".")) {
                if (isStatementStart(w, i + 3) || i + 3 == w.size()) {
                    if (!w.get(i + 2).equals(p.protocol())) {
                        return new Evaluation(Match.NO, List.of());
                    }
                    i += 3;
                } else {
                    break;
                }
            } else if (t.equals(ip) && (w.get(i + 1).equals("saddr") || w.get(i + 1).equals("daddr"))
                    && !(i + 2 < w.size() && w.get(i + 2).equals("."))) {
                String addr = w.get(i + 1).equals("saddr") ? p.src() : p.dst();
                boolean negate = w.get(i + 2).equals("!=");
                int v = negate ? i + 3 : i + 2;
                Match r;
                int next;
                if (w.get(v).equals("{")) {
                    int close = w.indexOf("}");
                    List<String> members = w.subList(v + 1, close).stream().map(s -> s.replace(",", ""))
                            .filter(s -> !s.isEmpty()).toList();
                    r = members.stream().anyMatch(cidr -> inCidr(addr, cidr)) ? Match.YES : Match.NO;
                    next = close + 1;
                } else if (w.get(v).startsWith("@")) {
                    r = inSet(w.get(v).substring(1), addr);
                    next = v + 1;
                } else {
                    r = inCidr(addr, w.get(v)) ? Match.YES : Match.NO;
                    next = v + 1;
                }
                if (negate) {
                    require(r != Match.MAYBE, rule);
                    r = r == Match.YES ? Match.NO : Match.YES;
                }
                if (r == Match.NO) {
                    return new Evaluation(Match.NO, List.of());
                }
                if (r == Match.MAYBE) {
                    m = Match.MAYBE;
                }
                i = next;
            } else {
                break;
            }
        }
        return new Evaluation(m, w.subList(i, w.size()));
    }

    private static boolean isStatementStart(List<String> w, int i) {
        return i < w.size() && List.of("dnat", "jump", "goto", "vmap").contains(w.get(i));
    }

    /** Membership in a named set: affinity sets are filled by traffic, so membership is "maybe". */
    private Match inSet(String set, String addr) {
        NftSet s = table.sets().get(set);
        require(s != null && !s.map(), "set @" + set);
        if (s.spec().contains("dynamic")) {
            return Match.MAYBE;
        }
        return s.elements().containsKey(addr) ? Match.YES : Match.NO;
    }

    private List<Packet> act(String chain, int index, List<String> s, Packet p) {
        String rule = String.join(" ", s);
        if (s.isEmpty()) {
            throw new IllegalArgumentException("tracer cannot read rule in " + chain + ": no statement");
        }
        switch (s.get(0)) {
            case "jump", "goto" -> {
                require(s.size() == 2, rule);
                return transfer(chain, index, s.get(0), s.get(1), p);
            }
            case "return" -> {
                require(s.size() == 1, rule);
                return List.of(p);
            }
            case "drop", "reject", "accept" -> {
                require(s.size() == 1, rule);
                return List.of(p.end(s.get(0)));
            }
            case "mark" -> {
                require(s.size() == 5 && s.get(1).equals("set") && s.get(2).equals("mark"), rule);
                int v = Integer.decode(s.get(4));
                int mark = switch (s.get(3)) {
                    case "or" -> p.mark() | v;
                    case "xor" -> p.mark() ^ v;
                    default -> throw new IllegalArgumentException("tracer cannot read " + rule);
                };
                return run(chain, index + 1, p.withMark(mark));
            }
            case "masquerade" -> {
                require(s.equals(List.of("masquerade", "fully-random")), rule);
                return List.of(p.masqueraded());
            }
            case "update" -> {
                require(s.equals(List.of("update", s.get(1), "{", ip, "saddr", "}")) && s.get(1).startsWith("@"), rule);
                return run(chain, index + 1, p);
            }
            case "dnat" -> {
                require(s.size() == 3 && s.get(1).equals("to"), rule);
                return List.of(p.dnatTo(s.get(2)));
            }
            case "meta" -> {
                // meta l4proto P dnat to X, or a concatenated vmap key
                if (s.get(1).equals("l4proto") && s.get(3).equals("dnat")) {
                    require(s.size() == 6 && s.get(4).equals("to"), rule);
                    return p.protocol().equals(s.get(2)) ? List.of(p.dnatTo(s.get(5))) : run(chain, index + 1, p);
                }
                return vmap(chain, index, s, p);
            }
            case "numgen" -> {
                require(s.get(1).equals("random") && s.get(2).equals("mod") && s.get(4).equals("vmap"), rule);
                List<Packet> out = new ArrayList<>();
                int n = Integer.parseInt(s.get(3));
                List<String> branches = s.subList(6, s.size() - 1).stream().filter(b -> !b.equals(",")).toList();
                int seen = 0;
                for (int i = 0; i < branches.size(); i += 4) {
                    require(branches.get(i).equals(Integer.toString(seen)) && branches.get(i + 1).equals(":"), rule);
                    out.addAll(transfer(chain, index, branches.get(i + 2), branches.get(i + 3).replace(",", ""), p));
                    seen++;
                }
                require(seen == n, rule);
                return out;
            }
            default -> {
                if (s.get(0).equals(ip)) {
                    return vmap(chain, index, s, p);
                }
                throw new IllegalArgumentException("tracer cannot read rule in " + chain + ": " + rule);
            }
        }
    }

    /** {@code ip daddr . meta l4proto . th dport vmap @m} or {@code meta l4proto . th dport vmap @m}. */
    private List<Packet> vmap(String chain, int index, List<String> s, Packet p) {
        String rule = String.join(" ", s);
        String key;
        if (rule.startsWith(ip + " daddr . meta l4proto . th dport vmap @")) {
            key = p.dst() + " . " + p.protocol() + " . " + p.dport();
        } else if (rule.startsWith("meta l4proto . th dport vmap @")) {
            key = p.protocol() + " . " + p.dport();
        } else {
            throw new IllegalArgumentException("tracer cannot read rule in " + chain + ": " + rule);
        }
        require(s.size() == s.indexOf("vmap") + 2, rule);
        NftSet m = table.sets().get(s.get(s.size() - 1).substring(1));
        require(m != null && m.map(), rule);
        String body = m.elements().get(key);
        if (body == null) {
            return run(chain, index + 1, p);
        }
        List<String> verdict = words(body.substring(body.indexOf(" : ") + 3));
        return switch (verdict.get(0)) {
            case "goto", "jump" -> transfer(chain, index, verdict.get(0), verdict.get(1), p);
            case "drop", "accept" -> List.of(p.end(verdict.get(0)));
            default -> throw new IllegalArgumentException("tracer cannot read element " + body);
        };
    }

    /** {@code jump}: the chain, then the rest of this one if it returned; {@code goto}: the chain only. */
    private List<Packet> transfer(String chain, int index, String how, String target, Packet p) {
        require(table.chains().containsKey(target) && !table.chains().get(target).isBaseChain(), how + " " + target);
        List<Packet> out = new ArrayList<>();
        for (Packet sub : run(target, 0, p)) {
            out.addAll(sub.verdict() != null || how.equals("goto") ? List.of(sub) : run(chain, index + 1, sub));
        }
        return out;
    }

    /** An address or CIDR of either family; a bare address is one host. */
    private static boolean inCidr(String addr, String cidr) {
        return IptablesTracer.inCidr(addr, IpAddresses.hostCidr(cidr));
    }

    private static List<String> words(String rule) {
        String r = rule;
        int comment = r.indexOf(" comment \"");
        if (comment >= 0) {
            r = r.substring(0, comment);
        }
        return List.of(r.strip().split("\\s+"));
    }

    private static void require(boolean ok, String what) {
        if (!ok) {
            throw new IllegalArgumentException("tracer cannot read: " + what);
        }
    }
}
