package io.sluice.applier.render;

import io.sluice.schema.model.IpFamily;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * IPVS virtual servers with their real servers, in {@code ipvsadm} rule syntax: the lines of
 * {@code ipvsadm -S -n} and of {@code ipvsadm -R} / {@code ipvsadm-restore} input. One class
 * writes what Sluice renders and reads what the kernel reports back, so the two compare line for
 * line. Lines starting with {@code #} are comments (ipvsadm ignores them); a rendered table keeps
 * one comment per virtual server naming the Service port it belongs to.
 */
public final class IpvsTable {
    /** Protocol of a fwmark service in {@link VirtualServer#protocol()}; Sluice never creates one. */
    public static final String FWMARK = "fwmark";

    /**
     * One IPVS virtual service ({@code -A}).
     *
     * @param protocol           tcp, udp, sctp (or {@link #FWMARK} for one read from the kernel)
     * @param address            canonical address (the mark number for fwmark services)
     * @param scheduler          e.g. rr
     * @param persistenceTimeout seconds of {@code -p}, 0 when not persistent (session affinity)
     * @param schedulerFlags     {@code -b} flags such as {@code mh-port}, or ""
     * @param extra              any other option ipvsadm printed ({@code -M}, {@code --pe}, {@code -o}),
     *                           "" for everything Sluice renders
     */
    public record VirtualServer(String protocol, String address, int port, String scheduler, int persistenceTimeout,
            String schedulerFlags, String extra) {
        public VirtualServer {
            Objects.requireNonNull(protocol, "protocol");
            Objects.requireNonNull(address, "address");
            Objects.requireNonNull(scheduler, "scheduler");
            schedulerFlags = Objects.requireNonNullElse(schedulerFlags, "");
            extra = Objects.requireNonNullElse(extra, "");
        }

        public static VirtualServer of(String protocol, String address, int port, String scheduler, int persistence,
                String schedulerFlags) {
            return new VirtualServer(protocol, IpvsAddresses.canonical(address), port, scheduler, persistence,
                    schedulerFlags, "");
        }

        /** The service as ipvsadm names it: {@code -t 10.96.0.10:80}, {@code --sctp-service [fd00::1]:80}, {@code -f 5}. */
        public String key() {
            return switch (protocol) {
                case "tcp" -> "-t " + hostPort();
                case "udp" -> "-u " + hostPort();
                case "sctp" -> "--sctp-service " + hostPort();
                case FWMARK -> "-f " + address + (port == 6 ? " -6" : "");
                default -> throw new IllegalStateException("protocol " + protocol);
            };
        }

        /** IPv4 or IPv6; fwmark services carry their family in {@code port} (4 or 6). */
        public IpFamily family() {
            if (protocol.equals(FWMARK)) {
                return port == 6 ? IpFamily.IPV6 : IpFamily.IPV4;
            }
            return address.indexOf(':') >= 0 ? IpFamily.IPV6 : IpFamily.IPV4;
        }

        /** {@code ip:port} ({@code [ip]:port} for IPv6). */
        public String hostPort() {
            return (address.indexOf(':') >= 0 ? "[" + address + "]" : address) + ":" + port;
        }

        /** Everything but the key, in the order {@code ipvsadm -S} prints it. */
        String options() {
            StringBuilder o = new StringBuilder("-s ").append(scheduler);
            if (persistenceTimeout > 0) {
                o.append(" -p ").append(persistenceTimeout);
            }
            if (!extra.isEmpty()) {
                o.append(' ').append(extra);
            }
            if (!schedulerFlags.isEmpty()) {
                o.append(" -b ").append(schedulerFlags);
            }
            return o.toString();
        }

        /** {@code -A <key> <options>}: add. */
        public String addLine() {
            return "-A " + key() + " " + options();
        }

        /** {@code -E <key> <options>}: edit in place (the VIP keeps its connections). */
        public String editLine() {
            return "-E " + key() + " " + options();
        }

        /** {@code -D <key>}: delete with its real servers. */
        public String deleteLine() {
            return "-D " + key();
        }
    }

    /**
     * One destination of a virtual server ({@code -a}).
     *
     * @param forwarding ipvsadm's switch without dash: m (masquerade, all Sluice uses), g, i
     * @param weight     1 takes new connections, 0 keeps only existing ones (quiesced)
     * @param extra      other options ipvsadm printed (tunnel settings), "" for Sluice's
     */
    public record RealServer(String address, int port, String forwarding, int weight, String extra) {
        public RealServer {
            Objects.requireNonNull(address, "address");
            Objects.requireNonNull(forwarding, "forwarding");
            extra = Objects.requireNonNullElse(extra, "");
        }

        public static RealServer masquerade(String address, int port, int weight) {
            return new RealServer(IpvsAddresses.canonical(address), port, "m", weight, "");
        }

        public String hostPort() {
            return (address.indexOf(':') >= 0 ? "[" + address + "]" : address) + ":" + port;
        }

        private String options() {
            return "-" + forwarding + " -w " + weight + (extra.isEmpty() ? "" : " " + extra);
        }

        public String addLine(VirtualServer vs) {
            return "-a " + vs.key() + " -r " + hostPort() + " " + options();
        }

        public String editLine(VirtualServer vs) {
            return "-e " + vs.key() + " -r " + hostPort() + " " + options();
        }

        public String deleteLine(VirtualServer vs) {
            return "-d " + vs.key() + " -r " + hostPort();
        }
    }

    /** A virtual server, its real servers by {@code hostPort}, and the comment written above it. */
    public record Service(VirtualServer virtualServer, Map<String, RealServer> realServers, String comment) {
        public Service {
            realServers = Collections.unmodifiableMap(new LinkedHashMap<>(realServers));
            comment = Objects.requireNonNullElse(comment, "");
        }
    }

    private final Map<String, Service> services;

    private IpvsTable(Map<String, Service> services) {
        this.services = Collections.unmodifiableMap(services);
    }

    public static IpvsTable empty() {
        return new IpvsTable(new LinkedHashMap<>());
    }

    /** Services by {@link VirtualServer#key()}, in the order added or listed. */
    public Map<String, Service> services() {
        return services;
    }

    public int realServerCount() {
        return services.values().stream().mapToInt(s -> s.realServers().size()).sum();
    }

    /** The services of one family (fwmark services included). */
    public IpvsTable ofFamily(IpFamily family) {
        Map<String, Service> out = new LinkedHashMap<>();
        services.forEach((k, s) -> {
            if (s.virtualServer().family() == family) {
                out.put(k, s);
            }
        });
        return new IpvsTable(out);
    }

    /** Builds a table; a second virtual server with a key already present is refused. */
    public static final class Builder {
        private final Map<String, VirtualServer> vs = new LinkedHashMap<>();
        private final Map<String, Map<String, RealServer>> reals = new LinkedHashMap<>();
        private final Map<String, String> comments = new LinkedHashMap<>();

        public boolean contains(VirtualServer v) {
            return vs.containsKey(v.key());
        }

        public Builder add(VirtualServer v, String comment) {
            if (vs.putIfAbsent(v.key(), v) != null) {
                throw new IllegalArgumentException("virtual server " + v.key() + " added twice");
            }
            reals.put(v.key(), new LinkedHashMap<>());
            comments.put(v.key(), comment);
            return this;
        }

        public Builder add(VirtualServer v, RealServer r) {
            Map<String, RealServer> m = reals.get(v.key());
            if (m == null) {
                throw new IllegalArgumentException("real server " + r.hostPort() + " for unknown virtual server " + v.key());
            }
            if (m.putIfAbsent(r.hostPort(), r) != null) {
                throw new IllegalArgumentException("real server " + r.hostPort() + " added twice to " + v.key());
            }
            return this;
        }

        public IpvsTable build() {
            Map<String, Service> out = new LinkedHashMap<>();
            vs.forEach((k, v) -> out.put(k, new Service(v, reals.get(k), comments.get(k))));
            return new IpvsTable(out);
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    /** {@code ipvsadm -R} input: per service its comment, its {@code -A} line and its {@code -a} lines. */
    public String render() {
        StringBuilder out = new StringBuilder();
        for (Service s : services.values()) {
            if (!s.comment().isEmpty()) {
                out.append("# ").append(s.comment()).append('\n');
            }
            out.append(s.virtualServer().addLine()).append('\n');
            for (RealServer r : s.realServers().values()) {
                out.append(r.addLine(s.virtualServer())).append('\n');
            }
        }
        return out.toString();
    }

    /**
     * Reads {@code ipvsadm -S -n} output or {@code -A}/{@code -a} input. A leading {@code ipvsadm}
     * word is skipped, as ipvsadm itself does; other commands ({@code -C}, {@code -E}, …) are
     * refused, since this is a state, not a script.
     */
    public static IpvsTable parse(String text) {
        Builder b = new Builder();
        Map<String, VirtualServer> byKey = new LinkedHashMap<>();
        int n = 0;
        String pending = ""; // a comment line names the virtual server below it
        for (String raw : text.lines().toList()) {
            n++;
            String line = raw.strip();
            String comment = "";
            int hash = line.indexOf('#');
            if (hash >= 0) {
                comment = line.substring(hash + 1).strip();
                line = line.substring(0, hash).strip();
            }
            if (line.isEmpty()) {
                pending = comment;
                continue;
            }
            List<String> t = new ArrayList<>(List.of(line.split("\\s+")));
            if (t.get(0).equals("ipvsadm")) {
                t.remove(0);
            }
            try {
                if (t.get(0).equals("-A")) {
                    VirtualServer v = parseVirtualServer(t.subList(1, t.size()));
                    b.add(v, comment.isEmpty() ? pending : comment);
                    pending = "";
                    byKey.put(v.key(), v);
                } else if (t.get(0).equals("-a")) {
                    Parsed p = parseReal(t.subList(1, t.size()));
                    VirtualServer v = byKey.get(p.serviceKey);
                    if (v == null) {
                        throw new IllegalArgumentException("real server for " + p.serviceKey + " before its -A line");
                    }
                    b.add(v, p.real);
                } else {
                    throw new IllegalArgumentException("command " + t.get(0) + " is not -A or -a");
                }
            } catch (RuntimeException e) {
                throw new IllegalArgumentException("ipvsadm line " + n + " '" + raw.strip() + "': " + e.getMessage(), e);
            }
        }
        return b.build();
    }

    private record Parsed(String serviceKey, RealServer real) {
    }

    /** Parses {@code <service> [options]}; returns the service with its key fields and options. */
    private static VirtualServer parseVirtualServer(List<String> t) {
        ServiceSpec spec = serviceSpec(t);
        String scheduler = "wlc"; // ipvsadm's default when -s is absent
        int persistence = 0;
        String flags = "";
        List<String> extra = new ArrayList<>();
        for (int i = spec.consumed; i < t.size(); i++) {
            String o = t.get(i);
            switch (o) {
                case "-s", "--scheduler" -> scheduler = t.get(++i);
                case "-p", "--persistent" -> persistence = i + 1 < t.size() && t.get(i + 1).matches("\\d+")
                        ? Integer.parseInt(t.get(++i)) : 300;
                case "-b", "--sched-flags" -> flags = t.get(++i);
                case "-M", "--netmask", "--pe" -> {
                    extra.add(o);
                    extra.add(t.get(++i));
                }
                case "-o", "--ops" -> extra.add(o);
                default -> throw new IllegalArgumentException("unknown virtual server option " + o);
            }
        }
        return new VirtualServer(spec.protocol, spec.address, spec.port, scheduler, persistence, flags,
                String.join(" ", extra));
    }

    private static Parsed parseReal(List<String> t) {
        ServiceSpec spec = serviceSpec(t);
        String address = null;
        int port = 0;
        String fwd = "g"; // ipvsadm's default forwarding method
        int weight = 1;
        List<String> extra = new ArrayList<>();
        for (int i = spec.consumed; i < t.size(); i++) {
            String o = t.get(i);
            switch (o) {
                case "-r", "--real-server" -> {
                    String[] hp = splitHostPort(t.get(++i));
                    address = IpvsAddresses.canonical(hp[0]);
                    port = Integer.parseInt(hp[1]);
                }
                case "-m", "--masquerading" -> fwd = "m";
                case "-g", "--gatewaying" -> fwd = "g";
                case "-i", "--ipip" -> fwd = "i";
                case "-w", "--weight" -> weight = Integer.parseInt(t.get(++i));
                case "--tun-type", "--tun-port", "-x", "-y", "--u-threshold", "--l-threshold" -> {
                    extra.add(o);
                    extra.add(t.get(++i));
                }
                case "--tun-nocsum", "--tun-csum", "--tun-remcsum" -> extra.add(o);
                default -> throw new IllegalArgumentException("unknown real server option " + o);
            }
        }
        if (address == null) {
            throw new IllegalArgumentException("real server line without -r");
        }
        VirtualServer key = new VirtualServer(spec.protocol, spec.address, spec.port, "", 0, "", "");
        return new Parsed(key.key(), new RealServer(address, port, fwd, weight, String.join(" ", extra)));
    }

    private record ServiceSpec(String protocol, String address, int port, int consumed) {
    }

    private static ServiceSpec serviceSpec(List<String> t) {
        if (t.size() < 2) {
            throw new IllegalArgumentException("no service address");
        }
        String proto = switch (t.get(0)) {
            case "-t", "--tcp-service" -> "tcp";
            case "-u", "--udp-service" -> "udp";
            case "--sctp-service" -> "sctp";
            case "-f", "--fwmark-service" -> FWMARK;
            default -> throw new IllegalArgumentException("unknown service type " + t.get(0));
        };
        if (proto.equals(FWMARK)) {
            boolean v6 = t.size() > 2 && t.get(2).equals("-6");
            return new ServiceSpec(proto, t.get(1), v6 ? 6 : 4, v6 ? 3 : 2);
        }
        String[] hp = splitHostPort(t.get(1));
        return new ServiceSpec(proto, IpvsAddresses.canonical(hp[0]), Integer.parseInt(hp[1]), 2);
    }

    /** {@code 10.0.0.1:80} or {@code [fd00::1]:80} → address, port. */
    static String[] splitHostPort(String s) {
        if (s.startsWith("[")) {
            int close = s.indexOf("]:");
            if (close < 0) {
                throw new IllegalArgumentException("'" + s + "' is not [address]:port");
            }
            return new String[] {s.substring(1, close), s.substring(close + 2)};
        }
        int colon = s.lastIndexOf(':');
        if (colon < 0 || s.indexOf(':') != colon) {
            throw new IllegalArgumentException("'" + s + "' is not address:port");
        }
        return new String[] {s.substring(0, colon), s.substring(colon + 1)};
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof IpvsTable other) || !services.keySet().equals(other.services.keySet())) {
            return false;
        }
        for (Map.Entry<String, Service> e : services.entrySet()) {
            Service a = e.getValue();
            Service b = other.services.get(e.getKey());
            if (!a.virtualServer().equals(b.virtualServer()) || !a.realServers().equals(b.realServers())) {
                return false;
            }
        }
        return true;
    }

    @Override
    public int hashCode() {
        return services.keySet().hashCode();
    }

    @Override
    public String toString() {
        return render();
    }
}
