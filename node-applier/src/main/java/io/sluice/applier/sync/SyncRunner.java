package io.sluice.applier.sync;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * Runs a sync on request, coalesced and rate-limited, after kube-proxy's BoundedFrequencyRunner:
 * <ul>
 *   <li>requests made while no sync runs are folded into one sync;</li>
 *   <li>two syncs start at least {@code minInterval} apart;</li>
 *   <li>a request made while a sync runs makes exactly one more sync run after it;</li>
 *   <li>a failed sync (its stage completes with false or exceptionally) is retried after
 *       {@link Backoff#delay(int)}, and no sync starts before that, whatever is requested.</li>
 * </ul>
 * No I/O and no clock of its own: time and timers are injected, so tests drive it deterministically.
 * Thread-safe, and the sync may complete on any thread.
 */
public final class SyncRunner {
    /** Schedules one-shot tasks. */
    public interface Scheduler {
        Cancellable schedule(Duration delay, Runnable task);
    }

    public interface Cancellable {
        void cancel();
    }

    private final Duration minInterval;
    private final Backoff backoff;
    private final LongSupplier nanoTime;
    private final Scheduler scheduler;
    private final Supplier<CompletionStage<Boolean>> sync;

    private boolean pending;
    private boolean running;
    private boolean stopped;
    private Cancellable timer;
    private long lastStart;
    private boolean started;
    private long retryAt;
    private int failures;

    /**
     * @param sync starts one sync; its stage completes with true on success, false (or
     *             exceptionally) on a failure that should be retried
     */
    public SyncRunner(Duration minInterval, Backoff backoff, LongSupplier nanoTime, Scheduler scheduler,
            Supplier<CompletionStage<Boolean>> sync) {
        this.minInterval = Objects.requireNonNull(minInterval, "minInterval");
        this.backoff = Objects.requireNonNull(backoff, "backoff");
        this.nanoTime = Objects.requireNonNull(nanoTime, "nanoTime");
        this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
        this.sync = Objects.requireNonNull(sync, "sync");
    }

    /** Asks for a sync of the latest state; returns at once. */
    public synchronized void request() {
        if (stopped) {
            return;
        }
        pending = true;
        armIfIdle();
    }

    /** Cancels the timer; a sync that runs finishes, no other starts. Idempotent. */
    public synchronized void stop() {
        stopped = true;
        pending = false;
        if (timer != null) {
            timer.cancel();
            timer = null;
        }
    }

    public synchronized boolean running() {
        return running;
    }

    /** Whether a sync is requested and not yet started (waiting for the interval, a retry or a running sync). */
    public synchronized boolean pending() {
        return pending;
    }

    /** Consecutive failed syncs; 0 after a success. */
    public synchronized int failuresInARow() {
        return failures;
    }

    private void armIfIdle() {
        if (running || timer != null || stopped || !pending) {
            return;
        }
        long now = nanoTime.getAsLong();
        long earliest = started ? lastStart + minInterval.toNanos() : now;
        if (failures > 0) {
            earliest = Math.max(earliest, retryAt);
        }
        timer = scheduler.schedule(Duration.ofNanos(Math.max(0, earliest - now)), this::fire);
    }

    private void fire() {
        CompletionStage<Boolean> stage;
        synchronized (this) {
            timer = null;
            if (stopped || running || !pending) {
                return;
            }
            pending = false;
            running = true;
            started = true;
            lastStart = nanoTime.getAsLong();
            try {
                stage = sync.get();
            } catch (RuntimeException e) {
                stage = CompletableFuture.failedFuture(e);
            }
        }
        stage.whenComplete(this::finished);
    }

    private synchronized void finished(Boolean ok, Throwable error) {
        running = false;
        if (error == null && Boolean.TRUE.equals(ok)) {
            failures = 0;
        } else {
            failures++;
            retryAt = nanoTime.getAsLong() + backoff.delay(failures).toNanos();
            pending = true;
        }
        armIfIdle();
    }
}
