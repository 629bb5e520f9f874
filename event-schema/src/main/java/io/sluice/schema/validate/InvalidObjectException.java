package io.sluice.schema.validate;

import io.sluice.schema.model.ObjectKey;
import java.util.List;
import java.util.stream.Collectors;

/** An object that a Service proxy must not act on; the message names the object, each field and value. */
public final class InvalidObjectException extends Exception {
    private final transient ObjectKey key;
    private final transient List<Violation> violations;

    public InvalidObjectException(ObjectKey key, List<Violation> violations) {
        super(key + " is invalid: " + violations.stream().map(Violation::toString).collect(Collectors.joining("; ")));
        this.key = key;
        this.violations = List.copyOf(violations);
    }

    public ObjectKey key() {
        return key;
    }

    public List<Violation> violations() {
        return violations;
    }
}
