package io.sluice.applier.render;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * One {@code -A} line, built field by field and written in the order {@code iptables-save} prints
 * rules ({@code [!] -s, -d, -p, -m …} in the order added, {@code -j target …}), so the kernel's
 * own dump of a rule reads like what was rendered. Addresses are written as CIDRs (VIP/32).
 */
public final class IptablesRule {
    private final String chain;
    private String source;
    private boolean sourceNegated;
    private String destination;
    private boolean destinationNegated;
    private String protocol;
    private final List<String> matches = new ArrayList<>();
    private final List<String> target = new ArrayList<>();

    private IptablesRule(String chain) {
        this.chain = Objects.requireNonNull(chain, "chain");
    }

    public static IptablesRule append(String chain) {
        return new IptablesRule(chain);
    }

    public String chain() {
        return chain;
    }

    /** {@code -s cidr}; a bare address becomes {@code address/32}. */
    public IptablesRule source(String cidr) {
        this.source = cidr(cidr);
        this.sourceNegated = false;
        return this;
    }

    /** {@code ! -s cidr}. */
    public IptablesRule notSource(String cidr) {
        this.source = cidr(cidr);
        this.sourceNegated = true;
        return this;
    }

    /** {@code -d cidr}; a bare address becomes {@code address/32} ({@code /128} for IPv6). */
    public IptablesRule destination(String cidr) {
        this.destination = cidr(cidr);
        this.destinationNegated = false;
        return this;
    }

    /** {@code ! -d cidr}. */
    public IptablesRule notDestination(String cidr) {
        this.destination = cidr(cidr);
        this.destinationNegated = true;
        return this;
    }

    /** {@code -p protocol}, lower case (tcp, udp, sctp). */
    public IptablesRule protocol(String protocol) {
        this.protocol = protocol;
        return this;
    }

    /** {@code -m comment --comment "text"}; always quoted, as iptables-save writes it. */
    public IptablesRule comment(String text) {
        if (text.indexOf('"') >= 0 || text.indexOf('\n') >= 0) {
            throw new IllegalArgumentException("comment " + text + " contains a quote or newline");
        }
        return match("comment", "--comment", text);
    }

    /** {@code -m <protocol> --dport port}; needs {@link #protocol} set first. */
    public IptablesRule destinationPort(int port) {
        if (protocol == null) {
            throw new IllegalStateException("--dport needs -p first (chain " + chain + ")");
        }
        return match(protocol, "--dport", Integer.toString(port));
    }

    /** {@code -m statistic --mode random --probability p}. */
    public IptablesRule randomProbability(String probability) {
        return match("statistic", "--mode", "random", "--probability", probability);
    }

    /** {@code -m module args…}. */
    public IptablesRule match(String module, String... args) {
        matches.add("-m");
        matches.add(module);
        matches.addAll(List.of(args));
        return this;
    }

    /** {@code -j target args…}; ends the rule. A rule without a target only counts packets. */
    public IptablesRule jump(String target, String... args) {
        this.target.clear();
        this.target.add("-j");
        this.target.add(target);
        this.target.addAll(List.of(args));
        return this;
    }

    /** The jump target, or null when the rule has none. */
    public String target() {
        return target.isEmpty() ? null : target.get(1);
    }

    /** The rule without {@code -A chain}, unquoted: argv for {@code iptables -C/-I/-D chain …}. */
    public List<String> arguments() {
        List<String> args = new ArrayList<>();
        if (source != null) {
            if (sourceNegated) {
                args.add("!");
            }
            args.add("-s");
            args.add(source);
        }
        if (destination != null) {
            if (destinationNegated) {
                args.add("!");
            }
            args.add("-d");
            args.add(destination);
        }
        if (protocol != null) {
            args.add("-p");
            args.add(protocol);
        }
        args.addAll(matches);
        args.addAll(target);
        return args;
    }

    /** {@code -A chain …}, one line of iptables-restore input; comments quoted. */
    public String render() {
        StringBuilder out = new StringBuilder("-A ").append(chain);
        String previous = "";
        for (String a : arguments()) {
            out.append(' ');
            if (previous.equals("--comment")) {
                out.append('"').append(a).append('"');
            } else {
                out.append(a);
            }
            previous = a;
        }
        return out.toString();
    }

    @Override
    public String toString() {
        return render();
    }

    private static String cidr(String address) {
        return IpAddresses.hostCidr(address);
    }
}
