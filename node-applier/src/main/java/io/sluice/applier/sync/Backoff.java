package io.sluice.applier.sync;

import java.time.Duration;
import java.util.Objects;

/**
 * Exponential retry delay: {@code initial}, doubled per consecutive failure, capped at {@code max}.
 *
 * @param initial delay after the first failure
 * @param max     the cap
 */
public record Backoff(Duration initial, Duration max) {
    public Backoff {
        Objects.requireNonNull(initial, "initial");
        Objects.requireNonNull(max, "max");
        if (initial.isNegative() || initial.isZero()) {
            throw new IllegalArgumentException("backoff initial delay " + initial + " must be positive");
        }
        if (max.compareTo(initial) < 0) {
            throw new IllegalArgumentException("backoff max " + max + " is below its initial delay " + initial);
        }
    }

    /** The delay after {@code failures} consecutive failures (1 = the first). */
    public Duration delay(int failures) {
        if (failures <= 1) {
            return initial;
        }
        int doublings = Math.min(failures - 1, 30);
        long nanos = initial.toNanos();
        long capped = nanos > (max.toNanos() >> doublings) ? max.toNanos() : nanos << doublings;
        return Duration.ofNanos(Math.min(capped, max.toNanos()));
    }
}
