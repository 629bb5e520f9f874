package io.sluice.applier.sync;

import java.time.Duration;
import java.util.PriorityQueue;
import java.util.function.LongSupplier;

/** A manual clock and timer queue: time moves only in {@link #advance}, which runs due tasks in order. */
public final class FakeTime implements LongSupplier, BoundedFrequencyRunner.Scheduler {
    private record Task(long at, long order, Runnable run, boolean[] cancelled) {
    }

    private final PriorityQueue<Task> tasks = new PriorityQueue<>((a, b) -> a.at != b.at ? Long.compare(a.at, b.at)
            : Long.compare(a.order, b.order));
    private long now = 1_000_000_000L;
    private long order;

    @Override
    public long getAsLong() {
        return now;
    }

    @Override
    public BoundedFrequencyRunner.Cancellable schedule(Duration delay, Runnable task) {
        boolean[] cancelled = {false};
        tasks.add(new Task(now + delay.toNanos(), order++, task, cancelled));
        return () -> cancelled[0] = true;
    }

    public void advance(Duration d) {
        long target = now + d.toNanos();
        while (!tasks.isEmpty() && tasks.peek().at <= target) {
            Task t = tasks.poll();
            now = t.at;
            if (!t.cancelled[0]) {
                t.run.run();
            }
        }
        now = target;
    }

    public void advanceMillis(long ms) {
        advance(Duration.ofMillis(ms));
    }

    public long liveTimers() {
        return tasks.stream().filter(t -> !t.cancelled[0]).count();
    }
}
