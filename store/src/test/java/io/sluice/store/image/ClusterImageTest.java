package io.sluice.store.image;

import static io.sluice.store.Fixtures.CLUSTER;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.schema.model.ChangeEvent;
import io.sluice.schema.model.EndpointSlice;
import io.sluice.schema.model.Kind;
import io.sluice.schema.model.ObjectKey;
import io.sluice.schema.model.Resource;
import io.sluice.store.Fixtures;
import io.sluice.store.Fixtures.Step;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

class ClusterImageTest {
    private static final Instant T = Instant.parse("2025-01-01T00:00:00Z");

    @Test
    void everyPrefixReplayedOneEventPerDeltaEqualsThePrefixReplayedInOneDelta() {
        List<ChangeEvent> events = Fixtures.randomEvents(42, 150);
        ClusterImage stepwise = ClusterImage.empty();
        for (int n = 0; n <= events.size(); n++) {
            List<ChangeEvent> prefix = events.subList(0, n);
            ClusterImage whole = Fixtures.replay(ClusterImage.empty(), prefix);

            assertThat(stepwise).as("prefix of %d events", n).isEqualTo(whole);
            assertThat(whole.seq()).isEqualTo(n);
            assertThat(whole.objects()).isEqualTo(Fixtures.model(prefix));
            assertSliceIndexConsistent(whole);
            if (n < events.size()) {
                ImageDelta one = stepwise.delta();
                assertThat(one.replay(events.get(n))).isTrue();
                stepwise = one.apply();
            }
        }
    }

    @Test
    void duplicateAndOldSeqsAreIgnored() {
        List<ChangeEvent> events = Fixtures.randomEvents(7, 20);
        ClusterImage image = Fixtures.replay(ClusterImage.empty(), events);

        ImageDelta again = image.delta();
        for (ChangeEvent e : events) {
            assertThat(again.replay(e)).as(e.describe()).isFalse();
        }
        // An old seq carrying a different object must not overwrite newer state either.
        ChangeEvent stale = ChangeEvent.upsert(CLUSTER, 5, Fixtures.node("stale", 1), T, "rv-old");
        assertThat(again.replay(stale)).isFalse();

        assertThat(again.changedKeys()).isEmpty();
        assertThat(again.apply()).isSameAs(image);
    }

    @Test
    void duplicatesInsideOneDeltaAreIgnored() {
        ChangeEvent first = ChangeEvent.upsert(CLUSTER, 1, Fixtures.service("a", "web", 1), T, "1");
        ChangeEvent second = ChangeEvent.upsert(CLUSTER, 2, Fixtures.service("a", "web", 2), T, "2");
        ImageDelta d = ClusterImage.empty().delta();
        assertThat(d.replay(first)).isTrue();
        assertThat(d.replay(second)).isTrue();
        assertThat(d.replay(first)).isFalse();
        assertThat(d.apply().get(first.key())).contains(second.object());
    }

    @Test
    void sliceIndexFollowsSliceMovesBetweenServicesAndDeletes() {
        ObjectKey web = ObjectKey.service("ns0", "svc0");
        ObjectKey api = ObjectKey.service("ns0", "svc1");
        List<ChangeEvent> events = Fixtures.events(List.of(
                Fixtures.sliceStep(0, 0, 0, 1),          // slice svc0-0 -> svc0
                Fixtures.sliceStep(0, 1, 0, 2)));        // slice svc0-1 -> svc0
        ClusterImage image = Fixtures.replay(ClusterImage.empty(), events);
        assertThat(names(image.slicesFor(web))).containsExactly("svc0-0", "svc0-1");
        assertThat(image.slicesFor(api)).isEmpty();

        // The same slice (same key) relabelled to another Service moves in the index.
        EndpointSlice moved = Fixtures.slice("ns0", "svc0-0", "svc1", 3);
        image = Fixtures.replay(image, List.of(ChangeEvent.upsert(CLUSTER, 3, moved, T, "3")));
        assertThat(names(image.slicesFor(web))).containsExactly("svc0-1");
        assertThat(image.slicesFor(api)).containsExactly(moved);

        // An update in place replaces, not duplicates.
        EndpointSlice updated = Fixtures.slice("ns0", "svc0-0", "svc1", 4);
        image = Fixtures.replay(image, List.of(ChangeEvent.upsert(CLUSTER, 4, updated, T, "4")));
        assertThat(image.slicesFor(api)).containsExactly(updated);

        image = Fixtures.replay(image, List.of(
                ChangeEvent.delete(CLUSTER, 5, moved.key(), T, "5"),
                ChangeEvent.delete(CLUSTER, 6, ObjectKey.endpointSlice("ns0", "svc0-1"), T, "6")));
        assertThat(image.slicesFor(web)).isEmpty();
        assertThat(image.slicesFor(api)).isEmpty();
        assertThat(image.sliceIndex()).as("no empty index entries left behind").isEmpty();
        assertThat(image.endpointSlices()).isEmpty();
    }

    @Test
    void advanceToMovesTheSeqWithoutTouchingObjects() {
        ClusterImage image = Fixtures.replay(ClusterImage.empty(), Fixtures.randomEvents(3, 10));
        ImageDelta d = image.delta();
        assertThat(d.advanceTo(9)).isFalse();
        assertThat(d.advanceTo(10)).isFalse();
        assertThat(d.advanceTo(14)).isTrue();
        ClusterImage advanced = d.apply();

        assertThat(advanced.seq()).isEqualTo(14);
        assertThat(advanced.objects()).isEqualTo(image.objects());
        assertThat(d.changedKeys()).isEmpty();
        // Events at or below the advanced seq are now "already applied".
        ImageDelta next = advanced.delta();
        assertThat(next.replay(ChangeEvent.upsert(CLUSTER, 12, Fixtures.node("late", 0), T, "12"))).isFalse();
        assertThat(next.replay(ChangeEvent.upsert(CLUSTER, 15, Fixtures.node("late", 0), T, "15"))).isTrue();
        assertThat(next.apply().node("late")).isPresent();
        assertThat(advanced.node("late")).as("the earlier image is untouched").isEmpty();
    }

    @Test
    void aDeltaRefusesEventsAfterApplySoTheImageItGaveStaysImmutable() {
        ImageDelta d = ClusterImage.empty().delta();
        d.replay(ChangeEvent.upsert(CLUSTER, 1, Fixtures.node("n1", 0), T, "1"));
        ClusterImage image = d.apply();

        assertThat(d.apply()).isSameAs(image);
        assertThatThrownBy(() -> d.replay(ChangeEvent.upsert(CLUSTER, 2, Fixtures.node("n2", 0), T, "2")))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("already applied");
        assertThatThrownBy(() -> d.advanceTo(5)).isInstanceOf(IllegalStateException.class);
        assertThat(image.size()).isEqualTo(1);
    }

    @Test
    void changedKeysNameEveryKeyTouchedInFirstTouchOrder() {
        List<ChangeEvent> events = Fixtures.randomEvents(11, 40);
        ImageDelta d = ClusterImage.empty().delta();
        events.forEach(d::replay);
        assertThat(d.changedKeys()).containsExactlyElementsOf(events.stream().map(ChangeEvent::key).distinct().toList());
    }

    @Test
    void kindViewsAreSortedAndComplete() {
        ClusterImage image = Fixtures.replay(ClusterImage.empty(), Fixtures.randomEvents(5, 80));
        assertThat(image.services().size() + image.endpointSlices().size() + image.nodes().size()).isEqualTo(image.size());
        assertThat(image.services()).allSatisfy(s -> assertThat(s.key().kind()).isEqualTo(Kind.SERVICE));
        assertThat(image.nodes()).extracting(n -> n.name()).isSorted();
    }

    // ---- properties over random event sequences ----

    /** Any split of a log into deltas gives the image one delta gives, which is what the log means. */
    @Property(tries = 300)
    void anyBatchingOfTheLogGivesTheSameImage(@ForAll("logs") List<Step> steps, @ForAll("cuts") List<Integer> cuts) {
        List<ChangeEvent> events = Fixtures.events(steps);
        ClusterImage whole = Fixtures.replay(ClusterImage.empty(), events);

        ClusterImage batched = ClusterImage.empty();
        int from = 0;
        for (int cut : cuts.stream().map(c -> Math.min(c, events.size())).sorted().toList()) {
            batched = Fixtures.replay(batched, events.subList(from, Math.max(from, cut)));
            from = Math.max(from, cut);
        }
        batched = Fixtures.replay(batched, events.subList(from, events.size()));

        assertThat(batched).isEqualTo(whole);
        assertThat(whole.seq()).isEqualTo(events.size());
        assertThat(whole.objects()).isEqualTo(Fixtures.model(events));
        assertSliceIndexConsistent(whole);
    }

    /** Images are shared with other threads (renderers): a later delta must never change an earlier image. */
    @Property(tries = 200)
    void everyEarlierImageKeepsItsObjectsWhileLaterDeltasApply(@ForAll("logs") List<Step> steps) {
        List<ChangeEvent> events = Fixtures.events(steps);
        List<ClusterImage> images = new ArrayList<>();
        ClusterImage image = ClusterImage.empty();
        for (ChangeEvent e : events) {
            image = Fixtures.replay(image, List.of(e));
            images.add(image);
        }
        for (int n = 1; n <= images.size(); n++) {
            ClusterImage earlier = images.get(n - 1);
            assertThat(earlier.seq()).isEqualTo(n);
            assertThat(earlier.objects()).isEqualTo(Fixtures.model(events.subList(0, n)));
            assertSliceIndexConsistent(earlier);
        }
    }

    /** Re-reading any suffix of the log after a crash (replay from an older position) changes nothing. */
    @Property(tries = 300)
    void replayingAnySuffixAgainChangesNothing(@ForAll("logs") List<Step> steps, @ForAll("cuts") List<Integer> cuts) {
        List<ChangeEvent> events = Fixtures.events(steps);
        ClusterImage image = Fixtures.replay(ClusterImage.empty(), events);
        int from = cuts.isEmpty() ? 0 : Math.min(cuts.get(0), events.size());
        ClusterImage again = Fixtures.replay(image, events.subList(from, events.size()));
        assertThat(again).isSameAs(image);
    }

    @Provide
    Arbitrary<List<Step>> logs() {
        return Fixtures.steps(60);
    }

    @Provide
    Arbitrary<List<Integer>> cuts() {
        return Arbitraries.integers().between(0, 60).list().ofMaxSize(6);
    }

    private static void assertSliceIndexConsistent(ClusterImage image) {
        Map<ObjectKey, List<EndpointSlice>> expected = new TreeMap<>();
        for (EndpointSlice s : image.endpointSlices()) {
            expected.computeIfAbsent(s.serviceKey(), k -> new ArrayList<>()).add(s);
        }
        expected.values().forEach(l -> l.sort((a, b) -> a.name().compareTo(b.name())));
        assertThat(image.sliceIndex().keySet()).isEqualTo(expected.keySet());
        expected.forEach((svc, slices) -> assertThat(image.slicesFor(svc)).isEqualTo(slices));
        Set<ObjectKey> indexed = image.sliceIndex().values().stream().flatMap(m -> m.values().stream()).collect(Collectors.toSet());
        assertThat(indexed).containsExactlyInAnyOrderElementsOf(image.endpointSlices().stream().map(EndpointSlice::key).toList());
    }

    private static List<String> names(List<EndpointSlice> slices) {
        return slices.stream().map(EndpointSlice::name).toList();
    }
}
