package io.sluice.compose.input;

import java.util.List;

/**
 * Input a command cannot use: a YAML syntax error, an invalid Kubernetes object, a bad
 * configuration field. Each problem is one line that names where it is ({@code file:line}) and,
 * where it has one, the object and field with the offending value.
 */
public final class InputException extends Exception {
    private final List<String> problems;

    public InputException(String problem) {
        this(List.of(problem));
    }

    public InputException(List<String> problems) {
        super(String.join("\n", problems));
        if (problems.isEmpty()) {
            throw new IllegalArgumentException("an InputException needs at least one problem");
        }
        this.problems = List.copyOf(problems);
    }

    public List<String> problems() {
        return problems;
    }
}
