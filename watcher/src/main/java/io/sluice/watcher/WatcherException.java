package io.sluice.watcher;

/**
 * A condition the watcher cannot recover from by retrying (the topic has more than one partition,
 * holds another cluster's events, or cannot be decoded). {@link ClusterWatcher#started()} completes
 * with it and the watcher stops; other failures (Kafka unreachable) are retried with backoff.
 */
public final class WatcherException extends RuntimeException {
    public WatcherException(String message) {
        super(message);
    }

    public WatcherException(String message, Throwable cause) {
        super(message, cause);
    }
}
