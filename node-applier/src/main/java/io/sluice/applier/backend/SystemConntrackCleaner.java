package io.sluice.applier.backend;

import io.sluice.applier.render.ConntrackDeletion;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * {@link ConntrackCleaner} running {@code conntrack -D …} once per deletion, behind a command
 * prefix such as {@code ip netns exec lab-node1}. "0 flow entries have been deleted" (exit 1) is
 * success: there was nothing stale.
 */
public final class SystemConntrackCleaner implements ConntrackCleaner {
    private final Exec exec;
    private final List<String> prefix;
    private final Duration timeout;

    public SystemConntrackCleaner(Exec exec, List<String> commandPrefix, Duration timeout) {
        this.exec = Objects.requireNonNull(exec, "exec");
        this.prefix = List.copyOf(commandPrefix);
        this.timeout = Objects.requireNonNull(timeout, "timeout");
    }

    @Override
    public void delete(List<ConntrackDeletion> deletions) throws ApplyException {
        List<String> failures = new ArrayList<>();
        for (ConntrackDeletion d : deletions) {
            List<String> cmd = new ArrayList<>(prefix);
            cmd.add("conntrack");
            cmd.addAll(d.conntrackArgs());
            try {
                Exec.Result r = exec.run(cmd, null, timeout);
                if (!r.ok() && !(r.exitCode() == 1 && r.stderr().contains("0 flow entries"))) {
                    failures.add(r.describe() + " (" + d.reason() + ")");
                }
            } catch (Exec.ExecException e) {
                failures.add(e.getMessage() + " (" + d.reason() + ")");
            }
        }
        if (!failures.isEmpty()) {
            throw new ApplyException("conntrack cleanup: " + failures.size() + " of " + deletions.size()
                    + " deletions failed; those entries stay until they time out: " + String.join("; ", failures));
        }
    }
}
