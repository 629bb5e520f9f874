package io.sluice.applier.sync;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.applier.sync.BoundedFrequencyRunner.Trigger;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The runner against a manual clock. The first three cases are kube-proxy's own
 * (bounded_frequency_runner_test.go: NoBurst, Burst, RetryAfter), step for step, as tables; the rest
 * pin what Sluice adds: asynchronous runs, backoff on failure, triggers.
 */
class BoundedFrequencyRunnerTest {
    private static final Duration MIN = Duration.ofSeconds(1);
    private static final Duration MAX = Duration.ofSeconds(10);
    private static final Backoff BACKOFF = new Backoff(Duration.ofMillis(500), Duration.ofSeconds(4));

    // ---- kube-proxy's cases, as tables --------------------------------------------------------

    enum Action { NONE, RUN, RETRY_AFTER_5S }

    enum Expect {
        /** The task ran during this step, and the timer is then armed {@code nextMs} ahead. */
        RUN,
        /** No run; the timer is armed {@code nextMs} ahead. */
        DEFER,
        /** No run. */
        NOTHING
    }

    /** Advance the clock, then act, then check. */
    record Step(String name, long advanceMs, Action action, Expect expect, long nextMs) {
        static Step run(String name, long advanceMs, Action action, long nextMs) {
            return new Step(name, advanceMs, action, Expect.RUN, nextMs);
        }

        static Step defer(String name, long advanceMs, long nextMs) {
            return new Step(name, advanceMs, Action.RUN, Expect.DEFER, nextMs);
        }

        static Step nothing(String name, long advanceMs) {
            return new Step(name, advanceMs, Action.NONE, Expect.NOTHING, 0);
        }

        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Arguments> kubeProxyCases() {
        long max = MAX.toMillis();
        return Stream.of(
                Arguments.of("no burst", 1, List.of(
                        Step.run("first run", 0, Action.RUN, max),
                        Step.defer("too soon after first", 500, 500),
                        Step.defer("still too soon after first", 499, 1),
                        Step.run("second run", 1, Action.NONE, max),
                        Step.defer("too soon after second", 0, 1000),
                        Step.defer("still too soon after second", 1, 999),
                        Step.nothing("premature", 998),
                        Step.run("third run", 1, Action.NONE, max),
                        Step.nothing("minInterval", 1000),
                        Step.run("maxInterval", 9000, Action.NONE, max),
                        Step.defer("too soon after maxInterval run", 1, 999),
                        Step.run("fourth run", 999, Action.NONE, max))),
                Arguments.of("burst", 2, List.of(
                        Step.run("first run", 0, Action.RUN, max),
                        Step.run("second run", 1, Action.RUN, max),
                        Step.defer("too soon after second", 498, 502),
                        Step.defer("too soon after second 2", 1, 501),
                        Step.defer("too soon after second 3", 1, 500),
                        Step.nothing("not minInterval", 499),
                        Step.run("third run", 0, Action.RUN, max),
                        Step.defer("too soon after third", 1, 999),
                        Step.defer("too soon after third 2", 998, 1),
                        Step.run("fourth run", 1, Action.NONE, max),
                        Step.run("fifth run", 2000, Action.RUN, max),
                        Step.run("sixth run", 0, Action.RUN, max),
                        Step.defer("too soon after sixth", 0, 1000),
                        Step.run("seventh run", 1000, Action.NONE, max),
                        Step.run("maxInterval", 10_000, Action.NONE, max))),
                Arguments.of("retry after", 1, List.of(
                        Step.run("first run", 0, Action.RUN, max),
                        new Step("queue a retry", 0, Action.RETRY_AFTER_5S, Expect.DEFER, 5000),
                        Step.nothing("minInterval, nothing queued", 1000),
                        Step.run("retry", 4000, Action.NONE, max),
                        Step.defer("too soon after retry", 499, 501),
                        Step.run("second run", 501, Action.RETRY_AFTER_5S, 5000),
                        Step.nothing("minInterval, nothing queued", 1000),
                        Step.run("third run", 0, Action.RUN, max),
                        Step.nothing("retry cancelled", 4000),
                        Step.run("fourth run", 0, Action.RUN, max),
                        new Step("queue a retry late", 0, Action.RETRY_AFTER_5S, Expect.DEFER, 5000),
                        Step.defer("too soon after fourth run", 100, 900),
                        Step.run("fifth run", 900, Action.NONE, max),
                        Step.nothing("retry cancelled", 4000),
                        Step.nothing("premature", 5000),
                        Step.run("maxInterval", 1000, Action.NONE, max))));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("kubeProxyCases")
    void behavesLikeKubeProxysRunner(String name, int burst, List<Step> steps) {
        FakeTime time = new FakeTime();
        List<Trigger> runs = new ArrayList<>();
        BoundedFrequencyRunner runner = new BoundedFrequencyRunner(new BoundedFrequencyRunner.Settings(MIN, MAX, burst, BACKOFF),
                time, time, t -> {
                    runs.add(t);
                    return CompletableFuture.completedFuture(true);
                });
        runner.start();
        assertThat(runner.nextWakeIn()).as("init: timer set to maxInterval").isEqualTo(MAX);

        for (Step step : steps) {
            int before = runs.size();
            time.advanceMillis(step.advanceMs());
            switch (step.action()) {
                case RUN -> runner.run();
                case RETRY_AFTER_5S -> runner.retryAfter(Duration.ofSeconds(5));
                case NONE -> { }
                default -> throw new IllegalStateException("unknown action " + step.action());
            }
            int ran = runs.size() - before;
            switch (step.expect()) {
                case RUN -> {
                    assertThat(ran).as("%s: runs", step).isEqualTo(1);
                    assertThat(runner.nextWakeIn()).as("%s: timer", step).isEqualTo(Duration.ofMillis(step.nextMs()));
                }
                case DEFER -> {
                    assertThat(ran).as("%s: runs", step).isZero();
                    assertThat(runner.nextWakeIn()).as("%s: timer", step).isEqualTo(Duration.ofMillis(step.nextMs()));
                }
                case NOTHING -> assertThat(ran).as("%s: runs", step).isZero();
                default -> throw new IllegalStateException("unknown expectation " + step.expect());
            }
        }
    }

    // ---- what Sluice adds ---------------------------------------------------------------------

    /** A runner whose runs stay open until the test completes them. */
    private static final class Harness {
        final FakeTime time = new FakeTime();
        final List<Long> starts = new ArrayList<>();
        final List<Trigger> triggers = new ArrayList<>();
        final List<CompletableFuture<Boolean>> runs = new ArrayList<>();
        final long t0 = time.getAsLong();
        final BoundedFrequencyRunner runner;

        Harness(Duration min, Duration max, int burst) {
            runner = new BoundedFrequencyRunner(new BoundedFrequencyRunner.Settings(min, max, burst, BACKOFF), time, time,
                    this::start);
        }

        Harness() {
            this(Duration.ofMillis(100), Duration.ofHours(1), 1);
        }

        private CompletionStage<Boolean> start(Trigger t) {
            starts.add((time.getAsLong() - t0) / 1_000_000);
            triggers.add(t);
            CompletableFuture<Boolean> f = new CompletableFuture<>();
            runs.add(f);
            return f;
        }

        void completeLast(boolean ok) {
            runs.get(runs.size() - 1).complete(ok);
        }

        void at(long ms) {
            time.advance(Duration.ofNanos(t0 + ms * 1_000_000 - time.getAsLong()));
        }
    }

    @Test
    void theFirstRequestRunsAtOnce() {
        Harness h = new Harness();
        h.runner.run();
        assertThat(h.starts).containsExactly(0L);
        assertThat(h.triggers).containsExactly(Trigger.REQUESTED);
        assertThat(h.runner.running()).isTrue();
    }

    @Test
    void requestsWithinTheIntervalFoldIntoOneRunAtItsEnd() {
        Harness h = new Harness();
        h.runner.run();
        h.completeLast(true);
        h.at(10);
        h.runner.run();
        h.at(20);
        h.runner.run();
        h.runner.run();
        h.at(99);
        assertThat(h.starts).as("no second run within 100 ms of the first").hasSize(1);
        h.at(100);
        assertThat(h.starts).containsExactly(0L, 100L);
        h.completeLast(true);
        h.at(5000);
        assertThat(h.starts).as("one run for all three requests").hasSize(2);
    }

    @Test
    void requestsDuringARunMakeExactlyOneMoreRunAfterItNeverTwoAtOnce() {
        Harness h = new Harness();
        h.runner.run();
        h.at(20);
        h.runner.run();
        h.runner.run();
        h.at(220);
        assertThat(h.starts).as("never two runs at once").hasSize(1);
        assertThat(h.runner.pending()).isTrue();
        h.completeLast(true);
        assertThat(h.starts).as("its token came back long ago: the next run starts as the first ends").containsExactly(0L, 220L);
        h.completeLast(true);
        h.at(5000);
        assertThat(h.starts).hasSize(2);
        assertThat(h.runner.pending()).isFalse();
    }

    @Test
    void aFailedRunIsRetriedWithExponentialBackoffThatRequestsCannotShortCut() {
        Harness h = new Harness();
        h.runner.run();
        h.completeLast(false);
        assertThat(h.runner.failuresInARow()).isEqualTo(1);
        h.at(100);
        h.runner.run();
        h.at(499);
        assertThat(h.starts).as("nothing before the 500 ms retry delay, even when requested").hasSize(1);
        h.at(500);
        assertThat(h.starts).containsExactly(0L, 500L);
        assertThat(h.triggers).containsExactly(Trigger.REQUESTED, Trigger.RETRY);
        h.completeLast(false);
        h.at(1499);
        assertThat(h.starts).hasSize(2);
        h.at(1500);
        assertThat(h.starts).as("the second failure doubles the delay").containsExactly(0L, 500L, 1500L);
        h.completeLast(true);
        assertThat(h.runner.failuresInARow()).isZero();
        h.at(60_000);
        assertThat(h.starts).as("a success needs no retry").hasSize(3);
        h.runner.run();
        assertThat(h.starts).as("after a success only the minimum interval applies").containsExactly(0L, 500L, 1500L, 60_000L);
    }

    @Test
    void aTaskThatThrowsOrFailsExceptionallyCountsAsAFailure() {
        FakeTime time = new FakeTime();
        List<Long> starts = new ArrayList<>();
        BoundedFrequencyRunner throwing = new BoundedFrequencyRunner(
                new BoundedFrequencyRunner.Settings(Duration.ofMillis(100), Duration.ofHours(1), 1, BACKOFF), time, time, t -> {
                    starts.add(time.getAsLong());
                    throw new IllegalStateException("renderer bug");
                });
        throwing.run();
        assertThat(throwing.failuresInARow()).isEqualTo(1);
        assertThat(throwing.running()).isFalse();
        time.advanceMillis(500);
        assertThat(starts).hasSize(2);

        Harness h = new Harness();
        h.runner.run();
        h.runs.get(0).completeExceptionally(new RuntimeException("apply failed"));
        assertThat(h.runner.failuresInARow()).isEqualTo(1);
        assertThat(h.runner.nextWakeIn()).isEqualTo(Duration.ofMillis(500));
    }

    @Test
    void theMaximumIntervalRunsThePeriodicSyncCountedFromTheEndOfTheLastRun() {
        Harness h = new Harness(Duration.ofMillis(100), Duration.ofSeconds(30), 2);
        h.runner.start();
        h.at(29_999);
        assertThat(h.starts).isEmpty();
        h.at(30_000);
        assertThat(h.triggers).containsExactly(Trigger.PERIODIC);
        h.at(32_000);
        h.completeLast(true); // a 2 s sync
        h.at(61_999);
        assertThat(h.starts).hasSize(1);
        h.at(62_000);
        assertThat(h.starts).containsExactly(30_000L, 62_000L);
        assertThat(h.triggers).containsExactly(Trigger.PERIODIC, Trigger.PERIODIC);
    }

    @Test
    void aPeriodicRunThatIsAlsoRequestedReportsPeriodicAndARequestDuringItRunsAfter() {
        Harness h = new Harness(Duration.ofMillis(100), Duration.ofSeconds(1), 1);
        h.runner.start();
        h.at(1000);
        h.runner.run();
        assertThat(h.triggers).as("the periodic run fired first").containsExactly(Trigger.PERIODIC);
        h.completeLast(true);
        h.at(1100);
        assertThat(h.triggers).containsExactly(Trigger.PERIODIC, Trigger.REQUESTED);
    }

    @Test
    void stopCancelsTheTimerAndIgnoresLaterRequests() {
        Harness h = new Harness();
        h.runner.start();
        h.runner.run();
        h.completeLast(true);
        h.runner.run();
        assertThat(h.time.liveTimers()).isEqualTo(1);
        h.runner.stop();
        assertThat(h.time.liveTimers()).isZero();
        h.runner.run();
        h.runner.retryAfter(Duration.ZERO);
        h.at(7_200_000);
        assertThat(h.starts).hasSize(1);
    }

    @Test
    void aRunCompletingAfterStopStartsNothing() {
        Harness h = new Harness();
        h.runner.run();
        h.runner.run();
        h.runner.stop();
        h.completeLast(false);
        h.at(7_200_000);
        assertThat(h.starts).hasSize(1);
        assertThat(h.time.liveTimers()).isZero();
    }

    @Test
    void noMinimumIntervalRunsEveryRequestAsSoonAsThePreviousRunEnds() {
        Harness h = new Harness(Duration.ZERO, Duration.ofHours(1), 1);
        h.runner.run();
        h.completeLast(true);
        h.runner.run();
        h.completeLast(true);
        h.runner.run();
        assertThat(h.starts).containsExactly(0L, 0L, 0L);
    }

    @Test
    void settingsAreValidated() {
        assertThatThrownBy(() -> new BoundedFrequencyRunner.Settings(Duration.ofSeconds(2), Duration.ofSeconds(1), 1, BACKOFF))
                .hasMessageContaining("maxInterval");
        assertThatThrownBy(() -> new BoundedFrequencyRunner.Settings(Duration.ofSeconds(1), Duration.ofSeconds(1), 0, BACKOFF))
                .hasMessageContaining("burst");
        assertThatThrownBy(() -> new BoundedFrequencyRunner.Settings(Duration.ofMillis(-1), Duration.ofSeconds(1), 1, BACKOFF))
                .hasMessageContaining("negative");
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
