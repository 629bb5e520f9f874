package io.sluice.applier.sync;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import java.util.function.LongSupplier;

/**
 * Runs a task (a sync) on request, bounded in frequency, after kube-proxy's
 * {@code pkg/util/async/bounded_frequency_runner.go}:
 * <ul>
 *   <li><b>minimum interval, with bursts</b>: runs start through a token bucket of {@code burst}
 *       tokens refilled at one per {@code minInterval} (kube-proxy's limiter); a request that finds
 *       no token is deferred to {@code minInterval} after the last run ended (or until a token is
 *       there, if later), and requests meanwhile fold into that one run;</li>
 *   <li><b>maximum interval</b>: the task runs at least once per {@code maxInterval}, counted from
 *       the end of the last run, even when nobody asks ({@link Trigger#PERIODIC}: the periodic full
 *       resync);</li>
 *   <li><b>retry after</b>: {@link #retryAfter} makes a run happen no later than the given delay
 *       (kube-proxy's RetryAfter; any run before then cancels it);</li>
 *   <li><b>backoff on failure</b>: a run whose stage completes with false or exceptionally is
 *       retried after {@link Backoff#delay(int)} of its consecutive failures ({@link Trigger#RETRY}),
 *       and nothing starts before that, whatever is requested;</li>
 *   <li>never two runs at once: a request during a run makes exactly one more run after it.</li>
 * </ul>
 * No thread and no clock of its own: time ({@code nanoTime}) and one-shot timers ({@link Scheduler})
 * are injected, so tests drive it deterministically. Thread-safe; the task is called without the
 * runner's lock held and its stage may complete on any thread.
 */
public final class BoundedFrequencyRunner {
    /** Why a run starts; when several reasons hold, the first in this order. */
    public enum Trigger {
        /** {@code maxInterval} passed since the last run. */
        PERIODIC,
        /** The previous run failed, or {@link #retryAfter} came due. */
        RETRY,
        /** Someone called {@link #run()}. */
        REQUESTED
    }

    /** Schedules one-shot tasks. */
    public interface Scheduler {
        Cancellable schedule(Duration delay, Runnable task);
    }

    public interface Cancellable {
        void cancel();
    }

    /**
     * @param minInterval minimum time between runs (modulo bursts); zero disables the limit
     * @param maxInterval maximum time between runs: the periodic run; at least {@code minInterval}
     * @param burst       runs allowed in quick succession (kube-proxy's burstSyncs), at least 1
     * @param backoff     delay before retrying a failed run
     */
    public record Settings(Duration minInterval, Duration maxInterval, int burst, Backoff backoff) {
        public Settings {
            Objects.requireNonNull(minInterval, "minInterval");
            Objects.requireNonNull(maxInterval, "maxInterval");
            Objects.requireNonNull(backoff, "backoff");
            if (minInterval.isNegative()) {
                throw new IllegalArgumentException("minInterval " + minInterval + " must not be negative");
            }
            if (maxInterval.compareTo(minInterval) < 0 || maxInterval.isZero()) {
                throw new IllegalArgumentException("maxInterval " + maxInterval + " must be positive and at least minInterval "
                        + minInterval);
            }
            if (burst < 1) {
                throw new IllegalArgumentException("burst " + burst + " must be at least 1");
            }
        }
    }

    private static final long NEVER = Long.MAX_VALUE;

    private final Settings settings;
    private final long minNanos;
    private final long maxNanos;
    private final LongSupplier nanoTime;
    private final Scheduler scheduler;
    private final Function<Trigger, CompletionStage<Boolean>> task;

    /** Token bucket in nanoseconds of credit: one token = minNanos. */
    private long credit;
    private long refilledAt;
    private boolean requested;
    private boolean running;
    private boolean started;
    private boolean stopped;
    private long lastRunEnd;
    private boolean hasRun;
    private long periodicAt = NEVER;
    /** Run no later than this ({@link #retryAfter}, or a failure's retry). */
    private long retryAt = NEVER;
    /** After a failure: start nothing before this. */
    private long gateUntil;
    private int failures;
    private Cancellable timer;
    private long timerAt = NEVER;

    /**
     * @param task starts one run; its stage completes with true on success, false (or exceptionally)
     *             on a failure to retry
     */
    public BoundedFrequencyRunner(Settings settings, LongSupplier nanoTime, Scheduler scheduler,
            Function<Trigger, CompletionStage<Boolean>> task) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.minNanos = settings.minInterval().toNanos();
        this.maxNanos = settings.maxInterval().toNanos();
        this.nanoTime = Objects.requireNonNull(nanoTime, "nanoTime");
        this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
        this.task = Objects.requireNonNull(task, "task");
        this.credit = minNanos * settings.burst();
        this.refilledAt = nanoTime.getAsLong();
    }

    public Settings settings() {
        return settings;
    }

    /** Starts the periodic timer (kube-proxy's Loop): the first periodic run comes {@code maxInterval} from now. */
    public void start() {
        synchronized (this) {
            if (started || stopped) {
                return;
            }
            started = true;
            if (!hasRun) {
                periodicAt = nanoTime.getAsLong() + maxNanos;
            }
        }
        evaluate();
    }

    /** Asks for a run as soon as the limits allow; returns at once. Works before {@link #start()} too. */
    public void run() {
        synchronized (this) {
            if (stopped) {
                return;
            }
            requested = true;
        }
        evaluate();
    }

    /** Ensures a run no later than {@code delay} from now (an earlier run, for any reason, satisfies it). */
    public void retryAfter(Duration delay) {
        synchronized (this) {
            if (stopped) {
                return;
            }
            retryAt = Math.min(retryAt, nanoTime.getAsLong() + Math.max(0, delay.toNanos()));
        }
        evaluate();
    }

    /** Cancels the timer; a run in progress finishes, no other starts. Idempotent. */
    public synchronized void stop() {
        stopped = true;
        requested = false;
        cancelTimer();
    }

    public synchronized boolean running() {
        return running;
    }

    /** Whether a requested run has not started yet (waiting for a token, a retry or a running run). */
    public synchronized boolean pending() {
        return requested;
    }

    /** Consecutive failed runs; 0 after a success. */
    public synchronized int failuresInARow() {
        return failures;
    }

    /** When the armed timer fires, from now; null when none is armed. For tests and logs. */
    public synchronized Duration nextWakeIn() {
        return timer == null ? null : Duration.ofNanos(Math.max(0, timerAt - nanoTime.getAsLong()));
    }

    /** The delay the next failure would wait, after the current streak. */
    public synchronized Duration nextRetryDelay() {
        return settings.backoff().delay(failures + 1);
    }

    // ---- core -------------------------------------------------------------------------------

    /** Starts a run if one is due and allowed, else arms the timer for when one can be. */
    private void evaluate() {
        Trigger trigger;
        synchronized (this) {
            trigger = decide();
            if (trigger == null) {
                return;
            }
            requested = false;
            retryAt = NEVER;
            running = true;
            take();
            cancelTimer();
        }
        CompletionStage<Boolean> stage;
        try {
            stage = task.apply(trigger);
        } catch (RuntimeException e) {
            stage = CompletableFuture.failedFuture(e);
        }
        stage.whenComplete(this::finished);
    }

    /** Under the lock: the trigger of a run to start now, or null after arming the timer. */
    private Trigger decide() {
        if (stopped || running) {
            return null;
        }
        long now = nanoTime.getAsLong();
        Trigger due = now >= periodicAt ? Trigger.PERIODIC
                : now >= retryAt ? Trigger.RETRY
                : requested ? Trigger.REQUESTED
                : null;
        if (due == null) {
            arm(Math.min(periodicAt, retryAt));
            return null;
        }
        if (now < gateUntil) {
            arm(gateUntil);
            return null;
        }
        refill(now);
        if (minNanos > 0 && credit < minNanos) {
            long tokenAt = now + (minNanos - credit);
            long nextPossible = Math.max(tokenAt, lastRunEnd + minNanos);
            long scheduled = Math.min(periodicAt, retryAt);
            arm(scheduled > now ? Math.min(nextPossible, scheduled) : nextPossible);
            return null;
        }
        return due;
    }

    private void finished(Boolean ok, Throwable error) {
        synchronized (this) {
            running = false;
            long now = nanoTime.getAsLong();
            lastRunEnd = now;
            hasRun = true;
            periodicAt = now + maxNanos;
            if (error == null && Boolean.TRUE.equals(ok)) {
                failures = 0;
                gateUntil = 0;
            } else {
                failures++;
                gateUntil = now + settings.backoff().delay(failures).toNanos();
                retryAt = Math.min(retryAt, gateUntil);
            }
        }
        evaluate();
    }

    private void refill(long now) {
        long cap = minNanos * settings.burst();
        long elapsed = Math.max(0, now - refilledAt);
        credit = elapsed >= cap ? cap : Math.min(cap, credit + elapsed);
        refilledAt = now;
    }

    private void take() {
        credit = Math.max(0, credit - minNanos);
    }

    private void arm(long at) {
        if (at == NEVER || stopped) {
            cancelTimer();
            return;
        }
        if (timer != null && timerAt == at) {
            return;
        }
        cancelTimer();
        long delay = Math.max(0, at - nanoTime.getAsLong());
        timerAt = at;
        timer = scheduler.schedule(Duration.ofNanos(delay), this::fire);
    }

    private void fire() {
        synchronized (this) {
            timer = null;
            timerAt = NEVER;
        }
        evaluate();
    }

    private void cancelTimer() {
        if (timer != null) {
            timer.cancel();
            timer = null;
        }
        timerAt = NEVER;
    }
}
