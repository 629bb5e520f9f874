package io.sluice.applier.sync;

import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Decides what to do about drift, and when to look next. Pure; not thread-safe (the runtime calls
 * it under its lock).
 *
 * <p><b>Repair, but not in a loop.</b> Drift is repaired by a full sync, and the check that found it
 * runs again right after. Should it find the very same differences again, repairing once more would
 * change nothing (the kernel prints a rule in a form the comparison does not know, or something
 * rewrites it at once): that difference is marked persistent and left alone, and the runtime says
 * so once, loudly. A different difference, or the kernel back in sync, clears the mark.
 *
 * <p><b>Checks cost little.</b> A check that took {@code t} is not repeated within
 * {@link #DUTY_FACTOR} {@code × t}, whatever its interval: reading back 10,000 Services takes
 * seconds, and checking must not become the node's main work.
 */
public final class DriftGuard {
    /** A check waits at least this many times its own duration before it runs again. */
    public static final int DUTY_FACTOR = 20;

    public enum Decision {
        /** Run a full sync to repair it. */
        REPAIR,
        /** The same difference survived its repair: leave it, say so once. */
        PERSISTENT,
        /** Already known to be persistent: nothing to do, nothing to say. */
        IGNORE
    }

    private final Set<String> persistent = new HashSet<>();
    /** Per kind of check: the difference a REPAIR was decided for, until its sync succeeds. */
    private final Map<String, String> pendingRepair = new HashMap<>();
    /** Per kind of check: the difference just repaired, until the next check of that kind. */
    private final Map<String, String> verifying = new HashMap<>();

    /** A check found {@code differences} (as the backend listed them). */
    public Decision drifted(String kind, List<String> differences) {
        String signature = kind + "\n" + String.join("\n", differences);
        if (persistent.contains(signature)) {
            return Decision.IGNORE;
        }
        if (signature.equals(verifying.remove(kind))) {
            persistent.add(signature);
            return Decision.PERSISTENT;
        }
        pendingRepair.put(kind, signature);
        return Decision.REPAIR;
    }

    /** A full sync after REPAIR decisions succeeded: the next check of each kind verifies its repair. */
    public void repaired() {
        verifying.putAll(pendingRepair);
        pendingRepair.clear();
    }

    /** A check of {@code kind} found the kernel in sync. */
    public void inSync(String kind) {
        verifying.remove(kind);
        persistent.removeIf(s -> s.startsWith(kind + "\n"));
    }

    /** Whether some difference is being left alone as persistent. */
    public boolean hasPersistent() {
        return !persistent.isEmpty();
    }

    /** When the next check may run, from the end of the last: its interval, but no sooner than DUTY_FACTOR × its cost. */
    public static Duration nextDelay(Duration interval, Duration lastCost) {
        Objects.requireNonNull(interval, "interval");
        Duration floor = lastCost == null ? Duration.ZERO : lastCost.multipliedBy(DUTY_FACTOR);
        return interval.compareTo(floor) >= 0 ? interval : floor;
    }
}
