package io.sluice.applier.sync;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class SyncRunnerTest {
    private static final Duration MIN = Duration.ofMillis(100);
    private static final Backoff BACKOFF = new Backoff(Duration.ofMillis(500), Duration.ofSeconds(4));

    private final FakeTime time = new FakeTime();
    private final List<Long> starts = new ArrayList<>();
    private final List<CompletableFuture<Boolean>> syncs = new ArrayList<>();
    private SyncRunner runner;

    @BeforeEach
    void setUp() {
        runner = new SyncRunner(MIN, BACKOFF, time, time, this::startSync);
    }

    private CompletionStage<Boolean> startSync() {
        starts.add(elapsedMillis());
        CompletableFuture<Boolean> f = new CompletableFuture<>();
        syncs.add(f);
        return f;
    }

    private long t0 = -1;

    private long elapsedMillis() {
        if (t0 < 0) {
            t0 = time.getAsLong();
        }
        return (time.getAsLong() - t0) / 1_000_000;
    }

    private void completeLast(boolean ok) {
        syncs.get(syncs.size() - 1).complete(ok);
    }

    @Test
    void firstRequestSyncsAtOnce() {
        runner.request();
        time.advanceMillis(0);
        assertThat(starts).containsExactly(0L);
        assertThat(runner.running()).isTrue();
    }

    @Test
    void requestsWithinTheIntervalAreCoalescedIntoOneSyncAtTheIntervalsEnd() {
        runner.request();
        time.advanceMillis(0);
        completeLast(true);
        time.advanceMillis(10);
        runner.request();
        time.advanceMillis(10);
        runner.request();
        runner.request();
        time.advanceMillis(50);
        assertThat(starts).as("no second sync within 100 ms of the first").hasSize(1);
        time.advanceMillis(30);
        assertThat(starts).containsExactly(0L, 100L);
        completeLast(true);
        time.advanceMillis(1000);
        assertThat(starts).as("one sync for all three requests").hasSize(2);
    }

    @Test
    void requestsWhileASyncRunsCauseExactlyOneMoreSyncAfterIt() {
        runner.request();
        time.advanceMillis(0);
        time.advanceMillis(20);
        runner.request();
        runner.request();
        runner.request();
        time.advanceMillis(200);
        assertThat(starts).as("never two syncs at once").hasSize(1);
        completeLast(true);
        time.advanceMillis(0);
        assertThat(starts).as("interval already over when the first finished: next one at once").containsExactly(0L, 220L);
        completeLast(true);
        time.advanceMillis(1000);
        assertThat(starts).hasSize(2);
        assertThat(runner.pending()).isFalse();
    }

    @Test
    void aSyncRequestedDuringAShortSyncStillWaitsForTheMinimumInterval() {
        runner.request();
        time.advanceMillis(0);
        runner.request();
        time.advanceMillis(10);
        completeLast(true);
        time.advanceMillis(50);
        assertThat(starts).hasSize(1);
        time.advanceMillis(40);
        assertThat(starts).containsExactly(0L, 100L);
    }

    @Test
    void aFailedSyncIsRetriedWithExponentialBackoffThatRequestsCannotShortCut() {
        runner.request();
        time.advanceMillis(0);
        completeLast(false);
        assertThat(runner.failuresInARow()).isEqualTo(1);
        time.advanceMillis(100);
        runner.request();
        time.advanceMillis(399);
        assertThat(starts).as("no sync before the 500 ms retry delay, even when requested").hasSize(1);
        time.advanceMillis(1);
        assertThat(starts).containsExactly(0L, 500L);
        completeLast(false);
        time.advanceMillis(999);
        assertThat(starts).hasSize(2);
        time.advanceMillis(1);
        assertThat(starts).as("second failure doubles the delay").containsExactly(0L, 500L, 1500L);
        completeLast(true);
        assertThat(runner.failuresInARow()).isZero();
        time.advanceMillis(10_000);
        assertThat(starts).as("a success needs no retry").hasSize(3);
        runner.request();
        time.advanceMillis(0);
        assertThat(starts).as("after success only the min interval applies").containsExactly(0L, 500L, 1500L, 11500L);
    }

    @Test
    void aSyncThatThrowsOrFailsExceptionallyCountsAsAFailure() {
        SyncRunner throwing = new SyncRunner(MIN, BACKOFF, time, time, () -> {
            starts.add(elapsedMillis());
            throw new IllegalStateException("renderer bug");
        });
        throwing.request();
        time.advanceMillis(0);
        assertThat(throwing.failuresInARow()).isEqualTo(1);
        assertThat(throwing.running()).isFalse();
        time.advanceMillis(500);
        assertThat(starts).containsExactly(0L, 500L);

        runner.request();
        time.advanceMillis(0);
        syncs.get(0).completeExceptionally(new RuntimeException("apply failed"));
        assertThat(runner.failuresInARow()).isEqualTo(1);
        assertThat(runner.pending()).isTrue();
    }

    @Test
    void stopCancelsTheTimerAndIgnoresLaterRequests() {
        runner.request();
        time.advanceMillis(0);
        completeLast(true);
        runner.request();
        assertThat(time.liveTimers()).isEqualTo(1);
        runner.stop();
        assertThat(time.liveTimers()).isZero();
        runner.request();
        time.advanceMillis(1000);
        assertThat(starts).hasSize(1);
    }

    @Test
    void aSyncCompletingAfterStopStartsNothing() {
        runner.request();
        time.advanceMillis(0);
        runner.request();
        runner.stop();
        completeLast(false);
        time.advanceMillis(10_000);
        assertThat(starts).hasSize(1);
    }

    @Test
    void backoffDoublesUpToItsCap() {
        assertThat(BACKOFF.delay(1)).isEqualTo(Duration.ofMillis(500));
        assertThat(BACKOFF.delay(2)).isEqualTo(Duration.ofSeconds(1));
        assertThat(BACKOFF.delay(4)).isEqualTo(Duration.ofSeconds(4));
        assertThat(BACKOFF.delay(5)).isEqualTo(Duration.ofSeconds(4));
        assertThat(BACKOFF.delay(1000)).isEqualTo(Duration.ofSeconds(4));
    }
}
