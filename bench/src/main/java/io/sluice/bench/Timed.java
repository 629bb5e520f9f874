package io.sluice.bench;

import io.sluice.applier.backend.Exec;
import java.time.Duration;
import java.util.List;

/** Runs a kernel tool with its input and times it, wall clock, as the applier's backend would run it. */
public final class Timed {
    private Timed() {
    }

    /** Nanoseconds the command took; throws with its stderr if it failed. */
    public static long run(List<String> command, String stdin, Duration timeout) {
        long t0 = System.nanoTime();
        Exec.Result r;
        try {
            r = Exec.system().run(command, stdin, timeout);
        } catch (Exec.ExecException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
        long took = System.nanoTime() - t0;
        if (!r.ok()) {
            throw new IllegalStateException(r.describe());
        }
        return took;
    }

    public static Exec.Result output(List<String> command, Duration timeout) {
        try {
            Exec.Result r = Exec.system().run(command, null, timeout);
            if (!r.ok()) {
                throw new IllegalStateException(r.describe());
            }
            return r;
        } catch (Exec.ExecException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }
}
