package io.sluice.applier.backend;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * Records every command and answers with a scripted result (exit 0, empty output by default).
 * Honest about one thing only: which commands a backend runs and with what input.
 */
final class FakeExec implements Exec {
    record Call(List<String> command, String stdin, Duration timeout) {
        String line() {
            return String.join(" ", command);
        }
    }

    final List<Call> calls = new ArrayList<>();
    private Function<Call, Result> responder = c -> new Result(c.command(), 0, "", "");

    FakeExec answer(Function<Call, Result> responder) {
        this.responder = responder;
        return this;
    }

    static Result result(Call c, int exit, String stdout, String stderr) {
        return new Result(c.command(), exit, stdout, stderr);
    }

    @Override
    public Result run(List<String> command, String stdin, Duration timeout) {
        Call c = new Call(command, stdin, timeout);
        calls.add(c);
        return responder.apply(c);
    }

    List<String> lines() {
        return calls.stream().map(Call::line).toList();
    }
}
