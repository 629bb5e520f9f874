package io.sluice.testkit.netns;

import java.util.List;

/**
 * What a finished command returned.
 *
 * @param exitCode the process's exit status
 * @param stdout everything it wrote to standard output
 * @param stderr everything it wrote to standard error
 */
public record ExecResult(int exitCode, String stdout, String stderr) {

    public boolean ok() {
        return exitCode == 0;
    }

    /** Returns this result if the command succeeded, otherwise throws naming the command. */
    public ExecResult orThrow(List<String> command) {
        if (!ok()) {
            throw new ExecException(command, this);
        }
        return this;
    }
}
