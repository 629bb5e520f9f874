package io.sluice.testkit.netns;

import java.util.List;

/** A command exited with a non-zero status; the message names the command, the status and its stderr. */
public final class ExecException extends RuntimeException {
    private final List<String> command;
    private final ExecResult result;

    public ExecException(List<String> command, ExecResult result) {
        super("Command failed with exit code " + result.exitCode() + ": " + String.join(" ", command)
                + (result.stderr().isBlank() ? "" : "\nstderr: " + result.stderr().strip()));
        this.command = List.copyOf(command);
        this.result = result;
    }

    public List<String> command() {
        return command;
    }

    public ExecResult result() {
        return result;
    }
}
