package io.sluice.applier.backend;

import io.sluice.applier.render.IpsetContent;
import io.sluice.applier.render.IpvsTable;
import io.sluice.applier.render.IpvsTable.RealServer;
import io.sluice.applier.render.IpvsTable.VirtualServer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * A small model of the node's kernel for {@link IpvsBackend} unit tests, behind {@link FakeExec}:
 * it interprets the commands the backend runs (ipvsadm -R/-S, ipset restore/save, ip link/addr,
 * sysctl, iptables) against in-memory state, so a test can check both the commands and what they
 * left. Honest about command syntax only as far as the backend uses it; the real tools are
 * exercised by IpvsBackendIT and IpvsKernelPartsIT.
 */
final class FakeIpvsKernel implements Function<FakeExec.Call, Exec.Result> {
    final Map<String, VirtualServer> services = new LinkedHashMap<>();
    final Map<String, Map<String, RealServer>> reals = new LinkedHashMap<>();
    final Map<String, String> setHeaders = new LinkedHashMap<>();
    final Map<String, Set<String>> setMembers = new LinkedHashMap<>();
    final Set<String> addresses = new LinkedHashSet<>();
    final Set<String> jumps = new LinkedHashSet<>();
    boolean dummy;
    /** When set, {@code ipvsadm -R} fails with this stderr on the first command line containing the marker. */
    String failIpvsadmOn;

    @Override
    public Exec.Result apply(FakeExec.Call c) {
        List<String> cmd = c.command();
        if (cmd.size() > 4 && cmd.subList(0, 3).equals(List.of("ip", "netns", "exec"))) {
            cmd = cmd.subList(4, cmd.size()); // one kernel per test: the namespace prefix changes nothing
        }
        String line = String.join(" ", cmd);
        return switch (cmd.get(0)) {
            case "sysctl" -> ok(c, "");
            case "ip" -> ip(c, line);
            case "ipset" -> ipset(c, line);
            case "ipvsadm" -> ipvsadm(c, line);
            case "iptables", "ip6tables" -> iptables(c, cmd);
            case "iptables-save", "ip6tables-save" -> ok(c, "");
            case "iptables-restore", "ip6tables-restore" -> ok(c, "");
            default -> FakeExec.result(c, 127, "", cmd.get(0) + ": command not found");
        };
    }

    private Exec.Result ip(FakeExec.Call c, String line) {
        if (line.equals("ip link show dev sluice-ipvs0")) {
            return dummy ? ok(c, "9: sluice-ipvs0: <BROADCAST,NOARP> mtu 1500 state DOWN\n")
                    : FakeExec.result(c, 1, "", "Device \"sluice-ipvs0\" does not exist.");
        }
        if (line.equals("ip link add sluice-ipvs0 type dummy")) {
            dummy = true;
            return ok(c, "");
        }
        if (line.equals("ip link del sluice-ipvs0")) {
            dummy = false;
            addresses.clear();
            return ok(c, "");
        }
        if (line.equals("ip -o addr show dev sluice-ipvs0")) {
            StringBuilder out = new StringBuilder();
            for (String a : addresses) {
                out.append("9: sluice-ipvs0    ").append(a.contains(":") ? "inet6 " : "inet ").append(a)
                        .append(" scope global sluice-ipvs0\\       valid_lft forever preferred_lft forever\n");
            }
            return ok(c, out.toString());
        }
        if (line.equals("ip -batch -")) {
            for (String l : c.stdin().lines().toList()) {
                String[] t = l.split(" ");
                if (t[1].equals("add") && !addresses.add(t[2])) {
                    return FakeExec.result(c, 1, "", "RTNETLINK answers: File exists\nCommand failed -:1");
                }
                if (t[1].equals("del") && !addresses.remove(t[2])) {
                    return FakeExec.result(c, 1, "", "RTNETLINK answers: Cannot assign requested address");
                }
            }
            return ok(c, "");
        }
        return FakeExec.result(c, 255, "", "fake ip: unknown command " + line);
    }

    private Exec.Result ipset(FakeExec.Call c, String line) {
        switch (line) {
            case "ipset save" -> {
                StringBuilder out = new StringBuilder();
                setHeaders.forEach((name, header) -> {
                    out.append(header).append(header.contains("hash:") ? " bucketsize 12 initval 0x1234abcd" : "")
                            .append('\n');
                    setMembers.get(name).forEach(m -> out.append("add ").append(name).append(' ').append(m).append('\n'));
                });
                return ok(c, out.toString());
            }
            case "ipset list -n" -> {
                return ok(c, String.join("\n", setHeaders.keySet()) + (setHeaders.isEmpty() ? "" : "\n"));
            }
            case "ipset restore -exist", "ipset restore" -> {
                for (String l : c.stdin().lines().toList()) {
                    String[] t = l.split(" ");
                    switch (t[0]) {
                        case "create" -> {
                            setHeaders.putIfAbsent(t[1], l);
                            setMembers.putIfAbsent(t[1], new TreeSet<>());
                        }
                        case "add" -> setMembers.get(t[1]).add(t[2]);
                        case "del" -> setMembers.get(t[1]).remove(t[2]);
                        case "destroy" -> {
                            setHeaders.remove(t[1]);
                            setMembers.remove(t[1]);
                        }
                        default -> {
                            return FakeExec.result(c, 1, "", "ipset v7.17: Error in line 1: unknown command " + t[0]);
                        }
                    }
                }
                return ok(c, "");
            }
            default -> {
                return FakeExec.result(c, 1, "", "fake ipset: unknown command " + line);
            }
        }
    }

    private Exec.Result ipvsadm(FakeExec.Call c, String line) {
        if (line.equals("ipvsadm -S -n")) {
            return ok(c, save());
        }
        if (line.startsWith("ipvsadm --set ")) {
            return ok(c, "");
        }
        if (!line.equals("ipvsadm -R")) {
            return FakeExec.result(c, 2, "", "fake ipvsadm: unknown command " + line);
        }
        int result = 0;
        StringBuilder err = new StringBuilder();
        for (String l : c.stdin().lines().toList()) {
            if (failIpvsadmOn != null && l.contains(failIpvsadmOn)) {
                result = 1;
                err.append("Memory allocation problem\n");
                continue; // like ipvsadm -R: reports and goes on with the next line
            }
            result = command(l);
            if (result != 0) {
                err.append(result == 2 ? "No such service\n" : "Service already exists\n");
            }
        }
        return FakeExec.result(c, result == 0 ? 0 : 1, "", err.toString());
    }

    /** One -A/-E/-D/-a/-e/-d line; 0, or 1 for exists, 2 for missing. */
    int command(String l) {
        String op = l.substring(0, 2);
        String rest = l.substring(3);
        switch (op) {
            case "-A", "-E" -> {
                VirtualServer vs = IpvsTable.parse("-A " + rest).services().values().iterator().next().virtualServer();
                boolean exists = services.containsKey(vs.key());
                if (op.equals("-A") == exists) {
                    return exists ? 1 : 2;
                }
                services.put(vs.key(), vs);
                reals.putIfAbsent(vs.key(), new LinkedHashMap<>());
                return 0;
            }
            case "-D" -> {
                String key = rest.strip();
                if (services.remove(key) == null) {
                    return 2;
                }
                reals.remove(key);
                return 0;
            }
            default -> {
                String key = rest.substring(0, rest.indexOf(" -r "));
                if (!services.containsKey(key)) {
                    return 2;
                }
                String hostPort = rest.substring(rest.indexOf(" -r ") + 4).split(" ")[0];
                Map<String, RealServer> rs = reals.get(key);
                if (op.equals("-d")) {
                    return rs.remove(hostPort) == null ? 2 : 0;
                }
                RealServer r = IpvsTable.parse("-A " + key + " -s rr\n-a " + rest).services().get(key).realServers()
                        .get(hostPort);
                if (op.equals("-a") == rs.containsKey(hostPort)) {
                    return rs.containsKey(hostPort) ? 1 : 2;
                }
                rs.put(hostPort, r);
                return 0;
            }
        }
    }

    /** The table in {@code ipvsadm -S -n} form. */
    String save() {
        StringBuilder out = new StringBuilder();
        services.forEach((k, vs) -> {
            out.append(vs.addLine()).append('\n');
            reals.get(k).values().forEach(r -> out.append(r.addLine(vs)).append('\n'));
        });
        return out.toString();
    }

    IpvsTable table() {
        return IpvsTable.parse(save());
    }

    IpsetContent sets() {
        StringBuilder out = new StringBuilder();
        setHeaders.forEach((name, header) -> {
            out.append(header).append('\n');
            setMembers.get(name).forEach(m -> out.append("add ").append(name).append(' ').append(m).append('\n'));
        });
        return IpsetContent.parse(out.toString());
    }

    /** {@code iptables -C} finds a jump once {@code -I} put it there; {@code -D} removes it. */
    private Exec.Result iptables(FakeExec.Call c, List<String> cmd) {
        List<String> rule = new ArrayList<>(cmd);
        String op = rule.get(4);
        rule.remove(4);
        String key = String.join(" ", rule);
        return switch (op) {
            case "-C" -> jumps.contains(key) ? ok(c, "") : FakeExec.result(c, 1, "", "Bad rule (does a matching rule exist?)");
            case "-I" -> {
                jumps.add(key);
                yield ok(c, "");
            }
            case "-D" -> {
                jumps.remove(key);
                yield ok(c, "");
            }
            default -> FakeExec.result(c, 2, "", "fake iptables: " + op);
        };
    }

    private static Exec.Result ok(FakeExec.Call c, String stdout) {
        return FakeExec.result(c, 0, stdout, "");
    }
}
