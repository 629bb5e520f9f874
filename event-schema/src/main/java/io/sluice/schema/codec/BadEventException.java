package io.sluice.schema.codec;

/**
 * An event a reader must quarantine: its bytes could not be decoded, or they decode to something a
 * proxy must not act on. The message says which and why.
 */
public final class BadEventException extends Exception {
    /** Why an event was quarantined; a metric label. */
    public enum Reason { UNDECODABLE, INVALID }

    private final Reason reason;

    public BadEventException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
