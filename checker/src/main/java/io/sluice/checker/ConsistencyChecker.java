package io.sluice.checker;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongFunction;

/**
 * Compares every node's reported state digest with the digest the log gives at that node's applied
 * seq. A node at the head with the right digest is in sync; one at an earlier seq with that seq's
 * digest is behind; any other digest is a divergence.
 */
public final class ConsistencyChecker {
    private final LongFunction<Replay> replayAt;

    public ConsistencyChecker(LongFunction<Replay> replayAt) {
        this.replayAt = replayAt;
    }

    public static ConsistencyChecker over(LogReplayer log) {
        return new ConsistencyChecker(log::replayTo);
    }

    public List<Finding> check(List<NodeReport> reports) {
        Replay head = replayAt.apply(Long.MAX_VALUE);
        Map<Long, Replay> bySeq = new HashMap<>(Map.of(head.seq(), head));
        List<Finding> out = new ArrayList<>();
        for (NodeReport r : reports) {
            Replay expected = bySeq.computeIfAbsent(r.appliedSeq(), replayAt::apply);
            if (!expected.stateDigest().equals(r.stateDigest())) {
                out.add(new Finding(r.node(), Finding.Status.DIVERGED, String.format(
                        "at seq %d the node holds state %s but the log gives %s", r.appliedSeq(), abbrev(r.stateDigest()), abbrev(expected.stateDigest()))));
            } else if (r.appliedSeq() < head.seq()) {
                out.add(new Finding(r.node(), Finding.Status.BEHIND, String.format(
                        "applied seq %d of %d (%d behind), state matches the log at its seq", r.appliedSeq(), head.seq(), head.seq() - r.appliedSeq())));
            } else {
                out.add(new Finding(r.node(), Finding.Status.IN_SYNC, "applied seq " + r.appliedSeq() + ", state matches the log"));
            }
        }
        return out;
    }

    private static String abbrev(String digest) {
        return digest.length() > 12 ? digest.substring(0, 12) : digest;
    }
}
