package io.sluice.applier.backend;

import io.sluice.applier.render.IpsetContent;
import io.sluice.applier.render.IpsetContent.Definition;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code ipset restore -exist} input that turns the kernel's sets into the rendered ones:
 * missing sets created, then per set the members to add and those to delete. Members that stay
 * are not sent (kube-proxy's syncIPSetEntries, in one process instead of one per entry). Pure.
 */
final class IpsetDiff {
    private IpsetDiff() {
    }

    /** A set of the right name exists with another type or family: it cannot take the members. */
    static final class IncompatibleSetException extends Exception {
        IncompatibleSetException(String message) {
            super(message);
        }
    }

    /**
     * @param current what {@code ipset save} printed (any sets; only those in {@code desired} count)
     * @return the restore input, "" when nothing changes
     */
    static String restoreInput(IpsetContent current, IpsetContent desired) throws IncompatibleSetException {
        List<String> lines = new ArrayList<>();
        for (Definition want : desired.sets().values()) {
            Definition have = current.sets().get(want.name());
            if (have != null && !have.compatibleWith(want)) {
                throw new IncompatibleSetException("set " + want.name() + " exists as " + have.type()
                        + (have.family().isEmpty() ? "" : " family " + have.family()) + ", Sluice needs " + want.type()
                        + (want.family().isEmpty() ? "" : " family " + want.family())
                        + "; 'sluice cleanup --mode ipvs' removes it");
            }
            if (have == null) {
                lines.add(want.createLine());
            }
            for (String e : desired.members(want.name())) {
                if (!current.members(want.name()).contains(e)) {
                    lines.add("add " + want.name() + " " + e);
                }
            }
            for (String e : current.members(want.name())) {
                if (!desired.members(want.name()).contains(e)) {
                    lines.add("del " + want.name() + " " + e);
                }
            }
        }
        StringBuilder out = new StringBuilder();
        lines.forEach(l -> out.append(l).append('\n'));
        return out.toString();
    }
}
