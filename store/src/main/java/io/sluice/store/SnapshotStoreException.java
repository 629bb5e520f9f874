package io.sluice.store;

import java.nio.file.Path;

/**
 * The snapshot store could not do what was asked. The message names the directory (and the key,
 * for corrupt data); {@link #reason()} tells the caller what to do about it.
 */
public final class SnapshotStoreException extends RuntimeException {
    /** Why; decides the caller's reaction. */
    public enum Reason {
        /** Another process (or another open store in this one) holds the directory: do not start a second applier. */
        LOCKED,
        /** The data on disk is unreadable or inconsistent: {@link SnapshotStore#reset()} and rebuild from the log. */
        CORRUPT,
        /** Any other I/O failure (disk full, permissions): nothing of the failed call was written. */
        IO
    }

    private final Reason reason;
    private final Path dir;

    SnapshotStoreException(Reason reason, Path dir, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
        this.dir = dir;
    }

    public Reason reason() {
        return reason;
    }

    public Path dir() {
        return dir;
    }
}
