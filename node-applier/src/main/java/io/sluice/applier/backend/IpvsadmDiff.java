package io.sluice.applier.backend;

import io.sluice.applier.render.IpvsTable;
import io.sluice.applier.render.IpvsTable.RealServer;
import io.sluice.applier.render.IpvsTable.Service;
import io.sluice.applier.render.IpvsTable.VirtualServer;
import io.sluice.schema.model.IpFamily;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * The {@code ipvsadm -R} commands that turn what the kernel holds into what was rendered, touching
 * nothing else: kube-proxy's syncService / syncEndpoint / cleanLegacyService as one pure function.
 * A virtual server whose settings changed is edited in place ({@code -E}), so its address never
 * stops answering and its connections survive; real servers are added, re-weighted ({@code -e})
 * or deleted one by one. Additions and edits come first, deletions last, so a Service is never
 * left without the destinations it is about to get.
 *
 * <p>Only virtual servers of the backend's family are compared: the IPv4 and IPv6 backends of a
 * dual-stack node share the kernel's one IPVS table. Fwmark services and addresses the caller
 * excludes (kube-proxy's {@code ipvs.excludeCIDRs}) are never touched.
 */
final class IpvsadmDiff {
    private IpvsadmDiff() {
    }

    /** The commands, in order; empty when the kernel already holds exactly {@code desired}. */
    static List<String> commands(IpvsTable current, IpvsTable desired, IpFamily family, Predicate<String> excluded) {
        Map<String, Service> have = owned(current, family, address -> false);
        List<String> adds = new ArrayList<>();
        List<String> deletes = new ArrayList<>();
        for (Service want : desired.ofFamily(family).services().values()) {
            VirtualServer vs = want.virtualServer();
            Service old = have.get(vs.key());
            if (old == null) {
                adds.add(vs.addLine());
                want.realServers().values().forEach(r -> adds.add(r.addLine(vs)));
                continue;
            }
            if (!old.virtualServer().equals(vs)) {
                adds.add(vs.editLine());
            }
            for (RealServer r : want.realServers().values()) {
                RealServer was = old.realServers().get(r.hostPort());
                if (was == null) {
                    adds.add(r.addLine(vs));
                } else if (!was.equals(r)) {
                    adds.add(r.editLine(vs));
                }
            }
            for (RealServer r : old.realServers().values()) {
                if (!want.realServers().containsKey(r.hostPort())) {
                    deletes.add(r.deleteLine(vs));
                }
            }
        }
        for (Service s : owned(current, family, excluded).values()) {
            if (!desired.services().containsKey(s.virtualServer().key())) {
                deletes.add(s.virtualServer().deleteLine());
            }
        }
        List<String> out = new ArrayList<>(adds);
        out.addAll(deletes);
        return out;
    }

    /** The {@code -D} commands that remove every virtual server of the family Sluice may own. */
    static List<String> deleteAll(IpvsTable current, IpFamily family, Predicate<String> excluded) {
        return owned(current, family, excluded).values().stream().map(s -> s.virtualServer().deleteLine()).toList();
    }

    private static Map<String, Service> owned(IpvsTable current, IpFamily family, Predicate<String> excluded) {
        Map<String, Service> out = new java.util.LinkedHashMap<>();
        current.ofFamily(family).services().forEach((k, s) -> {
            VirtualServer vs = s.virtualServer();
            if (!vs.protocol().equals(IpvsTable.FWMARK) && !excluded.test(vs.address())) {
                out.put(k, s);
            }
        });
        return out;
    }
}
