package io.sluice.applier.backend;

import io.sluice.applier.render.IpvsAddresses;
import io.sluice.schema.model.IpFamily;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Addresses on the dummy interface: read from {@code ip -o addr show dev <if>}, changed with one
 * {@code ip -batch -} (kube-proxy's EnsureAddressBind / UnbindAddress). Host prefixes only
 * (/32, /128): an address there exists to make the kernel accept packets for it, not to route.
 * Pure; the backend runs the commands.
 */
final class BoundAddresses {
    private BoundAddresses() {
    }

    /** The family's addresses in {@code ip -o addr} output, canonical, in their order. */
    static List<String> parse(String ipOAddr, IpFamily family) {
        Set<String> out = new LinkedHashSet<>();
        for (String line : ipOAddr.lines().toList()) {
            String[] t = line.strip().split("\\s+");
            for (int i = 0; i + 1 < t.length; i++) {
                if (t[i].equals("inet") || t[i].equals("inet6")) {
                    String addr = t[i + 1];
                    int slash = addr.indexOf('/');
                    addr = slash < 0 ? addr : addr.substring(0, slash);
                    if (IpvsAddresses.isFamily(addr, family)) {
                        out.add(IpvsAddresses.canonical(addr));
                    }
                    break;
                }
            }
        }
        return List.copyOf(out);
    }

    /** {@code ip -batch} lines: add what is wanted and missing. */
    static List<String> additions(List<String> have, List<String> want, String device) {
        List<String> out = new ArrayList<>();
        for (String a : want) {
            if (!have.contains(a)) {
                out.add("address add " + hostPrefix(a) + " dev " + device);
            }
        }
        return out;
    }

    /** {@code ip -batch} lines: delete what is there and no longer wanted. */
    static List<String> removals(List<String> have, List<String> want, String device) {
        List<String> out = new ArrayList<>();
        for (String a : have) {
            if (!want.contains(a)) {
                out.add("address del " + hostPrefix(a) + " dev " + device);
            }
        }
        return out;
    }

    private static String hostPrefix(String ip) {
        return ip + (ip.indexOf(':') >= 0 ? "/128" : "/32");
    }
}
