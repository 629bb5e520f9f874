package io.sluice.applier.backend;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** The real {@link Exec}, recording every command and its input: what a backend sent to the kernel. */
public final class RecordingExec implements Exec {
    /** One command run, and what it was given on stdin (null: nothing). */
    public record Call(List<String> command, String stdin) {
        public String line() {
            return String.join(" ", command);
        }

        public boolean isRestore() {
            return command.stream().anyMatch(c -> c.endsWith("-restore"));
        }
    }

    private final Exec delegate;
    private final List<Call> calls = new CopyOnWriteArrayList<>();

    public RecordingExec(Exec delegate) {
        this.delegate = delegate;
    }

    @Override
    public Result run(List<String> command, String stdin, Duration timeout) throws ExecException {
        calls.add(new Call(List.copyOf(command), stdin));
        return delegate.run(command, stdin, timeout);
    }

    public List<Call> calls() {
        return List.copyOf(calls);
    }

    /** The inputs of every {@code *-restore} run, in order. */
    public List<String> restoreInputs() {
        return calls.stream().filter(Call::isRestore).map(Call::stdin).toList();
    }

    public void clear() {
        calls.clear();
    }
}
