package io.sluice.applier.backend;

/** The kernel refused a rule set; the message carries the tool, its exit code and what it printed. */
public final class ApplyException extends Exception {
    public ApplyException(String message) {
        super(message);
    }

    public ApplyException(String message, Throwable cause) {
        super(message, cause);
    }
}
