package io.sluice.schema.validate;

/** One thing wrong with an object: the field path (Kubernetes spelling), the offending value and why. */
public record Violation(String field, String value, String reason) {
    @Override
    public String toString() {
        return field + ": '" + value + "' " + reason;
    }
}
