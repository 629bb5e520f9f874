package io.sluice.store;

import static io.sluice.store.Fixtures.CLUSTER;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.schema.codec.EventCodec;
import io.sluice.schema.model.ChangeEvent;
import io.sluice.schema.model.Node;
import io.sluice.schema.model.ObjectKey;
import io.sluice.schema.model.Op;
import io.sluice.store.SnapshotStoreException.Reason;
import io.sluice.store.image.ClusterImage;
import io.sluice.store.image.ImageDelta;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.RocksDB;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The snapshot store on a real RocksDB on disk, including a writer killed with SIGKILL. */
class SnapshotStoreIT {
    private static final Logger LOG = LoggerFactory.getLogger(SnapshotStoreIT.class);
    private static final Instant T = Instant.parse("2025-01-01T00:00:00Z");
    private static final Duration CHILD_BOUND = Duration.ofSeconds(60);

    @TempDir
    Path tmp;

    @Test
    void anEmptyStoreLoadsAsTheEmptyImageAtOffsetZero() {
        try (SnapshotStore store = SnapshotStore.open(tmp.resolve("new/nested"))) {
            Snapshot s = store.load();
            assertThat(s.image()).isEqualTo(ClusterImage.empty());
            assertThat(s.appliedSeq()).isZero();
            assertThat(s.nextOffset()).isZero();
            assertThat(s.clusterId()).isEmpty();
        }
    }

    @Test
    void committedBatchesSurviveReopenWithTheirSeqAndOffset() {
        List<CommitPlan.Batch> plan = CommitPlan.plan(17, 120);
        try (SnapshotStore store = SnapshotStore.open(tmp)) {
            plan.forEach(b -> store.commit(b.applied(), b.appliedSeq(), b.nextOffset()));
        }
        CommitPlan.Batch last = plan.get(plan.size() - 1);
        ClusterImage expected = CommitPlan.imageAfter(plan, plan.size() - 1);
        try (SnapshotStore store = SnapshotStore.open(tmp)) {
            Snapshot s = store.load();
            assertThat(s.image()).isEqualTo(expected);
            assertThat(s.image().size()).as("the plan leaves objects behind").isPositive();
            assertThat(s.appliedSeq()).isEqualTo(last.appliedSeq());
            assertThat(s.nextOffset()).isEqualTo(last.nextOffset());
            assertThat(s.clusterId()).isEqualTo(CLUSTER);
            assertThat(Digests.stateDigest(s.image())).isEqualTo(Digests.stateDigest(expected));
        }
    }

    @Test
    void whenTheLastEventsWereDeletesOrQuarantinedTheSeqAndOffsetStillMove() {
        ObjectKey node = ObjectKey.node("n1");
        try (SnapshotStore store = SnapshotStore.open(tmp)) {
            store.commit(List.of(ChangeEvent.upsert(CLUSTER, 1, Fixtures.node("n1", 0), T, "1")), 1, 1);
            store.commit(List.of(ChangeEvent.delete(CLUSTER, 2, node, T, "2")), 2, 2);
            store.commit(List.of(), 4, 5); // seqs 3 and 4 quarantined, one offset was a marker
        }
        try (SnapshotStore store = SnapshotStore.open(tmp)) {
            Snapshot s = store.load();
            assertThat(s.image().size()).isZero();
            assertThat(s.image().seq()).isEqualTo(4);
            assertThat(s.appliedSeq()).isEqualTo(4);
            assertThat(s.nextOffset()).isEqualTo(5);
            assertThat(s.clusterId()).isEqualTo(CLUSTER);
        }
    }

    @Test
    void encodedCommitsStoreTheGivenBytesAsTheyAreAndLoadLikeEncodedOnes() throws Exception {
        EventCodec codec = new EventCodec();
        List<CommitPlan.Batch> plan = CommitPlan.plan(23, 120);
        try (SnapshotStore store = SnapshotStore.open(tmp)) {
            for (CommitPlan.Batch b : plan) {
                List<EncodedEvent> encoded = b.applied().stream()
                        .map(e -> new EncodedEvent(e, e.op() == Op.UPSERT ? codec.encode(e) : null)).toList();
                store.commitEncoded(encoded, b.appliedSeq(), b.nextOffset());
            }
        }
        ChangeEvent upsert = ChangeEvent.upsert(CLUSTER, plan.get(plan.size() - 1).appliedSeq() + 1,
                Fixtures.node("verbatim", 0), T, "v");
        byte[] bytes = codec.encode(upsert);
        try (SnapshotStore store = SnapshotStore.open(tmp)) {
            store.commitEncoded(List.of(new EncodedEvent(upsert, bytes)), upsert.seq(),
                    plan.get(plan.size() - 1).nextOffset() + 1);
        }
        try (RocksDB raw = RocksDB.open(tmp.toString())) {
            assertThat(raw.get(upsert.key().toString().getBytes(StandardCharsets.UTF_8))).isEqualTo(bytes);
        }
        ImageDelta delta = CommitPlan.imageAfter(plan, plan.size() - 1).delta();
        delta.replay(upsert);
        ClusterImage expected = delta.apply();
        try (SnapshotStore store = SnapshotStore.open(tmp)) {
            Snapshot s = store.load();
            assertThat(s.image()).isEqualTo(expected);
            assertThat(s.image().node("verbatim")).contains((Node) upsert.object());
        }
    }

    @Test
    void anUpsertWithoutItsBytesIsRefused() {
        ChangeEvent upsert = ChangeEvent.upsert(CLUSTER, 1, Fixtures.node("n1", 0), T, "1");
        assertThatThrownBy(() -> new EncodedEvent(upsert, null)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("seq=1");
        assertThat(new EncodedEvent(ChangeEvent.delete(CLUSTER, 2, upsert.key(), T, "2"), null).bytes()).isNull();
    }

    @Test
    void aCommitThatBreaksTheSeqOrderOrMixesClustersIsRefusedAndWritesNothing() {
        try (SnapshotStore store = SnapshotStore.open(tmp)) {
            store.commit(List.of(ChangeEvent.upsert(CLUSTER, 5, Fixtures.node("n1", 0), T, "5")), 5, 10);
            Snapshot before = store.load();

            ChangeEvent old = ChangeEvent.upsert(CLUSTER, 5, Fixtures.node("n2", 0), T, "5");
            ChangeEvent beyond = ChangeEvent.upsert(CLUSTER, 9, Fixtures.node("n2", 0), T, "9");
            ChangeEvent foreign = ChangeEvent.upsert("other", 6, Fixtures.node("n2", 0), T, "6");
            ChangeEvent six = ChangeEvent.upsert(CLUSTER, 6, Fixtures.node("n3", 0), T, "6");
            assertThatThrownBy(() -> store.commit(List.of(old), 6, 11)).hasMessageContaining("seq=5");
            assertThatThrownBy(() -> store.commit(List.of(beyond), 8, 11)).hasMessageContaining("seq=9");
            assertThatThrownBy(() -> store.commit(List.of(six, six), 7, 11)).hasMessageContaining("seq order");
            assertThatThrownBy(() -> store.commit(List.of(foreign), 6, 11)).hasMessageContaining("cluster 'other'");
            assertThatThrownBy(() -> store.commit(List.of(), 4, 11)).hasMessageContaining("move the position back");
            assertThatThrownBy(() -> store.commit(List.of(), 5, 9)).hasMessageContaining("move the position back");

            assertThat(store.load()).isEqualTo(before);
        }
    }

    @Test
    void resetWipesStateAndPositionAndTheStoreStaysUsable() {
        try (SnapshotStore store = SnapshotStore.open(tmp)) {
            List<CommitPlan.Batch> plan = CommitPlan.plan(3, 30);
            plan.forEach(b -> store.commit(b.applied(), b.appliedSeq(), b.nextOffset()));
            store.reset();
            assertThat(store.load()).isEqualTo(Snapshot.empty());
            store.commit(List.of(ChangeEvent.upsert("rebuilt", 1, Fixtures.node("n1", 0), T, "1")), 1, 1);
        }
        try (SnapshotStore store = SnapshotStore.open(tmp)) {
            Snapshot s = store.load();
            assertThat(s.clusterId()).isEqualTo("rebuilt");
            assertThat(s.image().nodes()).extracting(n -> n.name()).containsExactly("n1");
        }
    }

    @Test
    void anUndecodableValueFailsTheWholeLoadNamingTheKey() throws Exception {
        try (SnapshotStore store = SnapshotStore.open(tmp)) {
            store.commit(Fixtures.randomEvents(5, 20), 20, 20);
        }
        try (RocksDB raw = RocksDB.open(tmp.toString())) {
            raw.put("Node/ /evil".getBytes(StandardCharsets.UTF_8), "not avro".getBytes(StandardCharsets.UTF_8));
        }
        try (SnapshotStore store = SnapshotStore.open(tmp)) {
            assertThatThrownBy(store::load).isInstanceOfSatisfying(SnapshotStoreException.class,
                            e -> assertThat(e.reason()).isEqualTo(Reason.CORRUPT))
                    .hasMessageContaining("'Node/ /evil'").hasMessageContaining(tmp.toString());
        }
    }

    @Test
    void aValueUnderTheWrongKeyFailsTheLoad() throws Exception {
        try (SnapshotStore store = SnapshotStore.open(tmp)) {
            store.commit(List.of(ChangeEvent.upsert(CLUSTER, 1, Fixtures.node("n1", 0), T, "1")), 1, 1);
        }
        try (RocksDB raw = RocksDB.open(tmp.toString())) {
            raw.put("Node//n2".getBytes(StandardCharsets.UTF_8), raw.get("Node//n1".getBytes(StandardCharsets.UTF_8)));
        }
        try (SnapshotStore store = SnapshotStore.open(tmp)) {
            assertThatThrownBy(store::load).hasMessageContaining("'Node//n2'").hasMessageContaining("not an UPSERT of that key");
        }
    }

    @Test
    void aSecondOpenInThisProcessIsRefusedNamingTheDirectory() {
        try (SnapshotStore first = SnapshotStore.open(tmp)) {
            assertThatThrownBy(() -> SnapshotStore.open(tmp)).isInstanceOfSatisfying(SnapshotStoreException.class,
                    e -> assertThat(e.reason()).isEqualTo(Reason.LOCKED)).hasMessageContaining(tmp.toString());
        }
    }

    @Test
    void aDirectoryRocksDbCannotReadIsReportedCorruptNamingIt() throws IOException {
        try (SnapshotStore store = SnapshotStore.open(tmp)) {
            store.commit(Fixtures.randomEvents(5, 5), 5, 5);
        }
        Files.writeString(tmp.resolve("CURRENT"), "MANIFEST-999999\n");
        assertThatThrownBy(() -> SnapshotStore.open(tmp)).isInstanceOfSatisfying(SnapshotStoreException.class,
                e -> assertThat(e.reason()).isEqualTo(Reason.CORRUPT)).hasMessageContaining(tmp.toString());
    }

    @Test
    void aStoreRocksDbCannotOpenCanBeDestroyedAndStartsEmpty() throws IOException {
        try (SnapshotStore store = SnapshotStore.open(tmp)) {
            store.commit(Fixtures.randomEvents(5, 5), 5, 5);
        }
        Files.writeString(tmp.resolve("CURRENT"), "garbage");
        assertThatThrownBy(() -> SnapshotStore.open(tmp)).hasMessageContaining("CURRENT");
        SnapshotStore.destroy(tmp);
        try (SnapshotStore store = SnapshotStore.open(tmp)) {
            assertThat(store.load()).isEqualTo(Snapshot.empty());
        }
    }

    @Test
    void anUnreadablePositionEntryFailsLoadAndCommitButResetRecovers() throws Exception {
        try (SnapshotStore store = SnapshotStore.open(tmp)) {
            store.commit(Fixtures.randomEvents(5, 5), 5, 5);
        }
        try (RocksDB raw = RocksDB.open(tmp.toString())) {
            raw.put(SnapshotStore.META_KEY, new byte[] {1, 2, 3});
        }
        try (SnapshotStore store = SnapshotStore.open(tmp)) {
            assertThatThrownBy(store::load).hasMessageContaining("log position entry is unreadable");
            assertThatThrownBy(() -> store.commit(List.of(), 6, 6)).isInstanceOfSatisfying(SnapshotStoreException.class,
                    e -> assertThat(e.reason()).isEqualTo(Reason.CORRUPT));
            store.reset();
            assertThat(store.load()).isEqualTo(Snapshot.empty());
            store.commit(List.of(), 6, 6);
        }
    }

    @Test
    void aClosedStoreRefusesWork() {
        SnapshotStore store = SnapshotStore.open(tmp);
        store.close();
        store.close();
        assertThatThrownBy(store::load).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
    }

    /**
     * A child JVM commits batches in a loop and is killed with SIGKILL at a random point. Whatever it
     * reported committed is on disk, and the store holds exactly a prefix of the batches: the position
     * of batch j and the image of batches 0..j, never a torn batch or a position without its state.
     */
    @Test
    void aWriterKilledWithSigkillLosesNothingItCommittedAndLeavesAWholePrefix() throws Exception {
        int batches = 400;
        long seed = new Random().nextLong();
        Random random = new Random(seed);
        for (int round = 0; round < 3; round++) {
            Path dir = tmp.resolve("round" + round);
            long planSeed = seed + round;
            int killAfter = random.nextInt(batches / 2);
            List<CommitPlan.Batch> plan = CommitPlan.plan(planSeed, batches);

            Child child = Child.start(dir, planSeed, batches);
            try {
                child.await("open");
                assertThatThrownBy(() -> SnapshotStore.open(dir)).as("the child holds the lock")
                        .isInstanceOfSatisfying(SnapshotStoreException.class, e -> assertThat(e.reason()).isEqualTo(Reason.LOCKED))
                        .hasMessageContaining(dir.toString());
                child.await("committed " + killAfter);
            } finally {
                child.kill();
            }
            assertThat(child.exitCode).as("killed, not finished (seed %d)", seed).isEqualTo(137);

            Snapshot s;
            try (SnapshotStore store = SnapshotStore.open(dir)) {
                s = store.load();
            }
            int j = lastBatchAt(plan, s);
            LOG.info("seed {} round {}: killed after the child reported batch {}; store holds batches 0..{}",
                    planSeed, round, child.lastCommitted, j);
            assertThat(j).as("seed %d: the store's position (seq %d, offset %d) is the position after some batch",
                    planSeed, s.appliedSeq(), s.nextOffset()).isGreaterThanOrEqualTo(0);
            assertThat(j).as("seed %d: nothing reported committed is lost", planSeed).isGreaterThanOrEqualTo(child.lastCommitted);
            assertThat(j).as("seed %d: at most the one commit in flight at the kill is there unreported", planSeed)
                    .isLessThanOrEqualTo(child.lastCommitted + 1);
            assertThat(s.image()).as("seed %d: the state is the replay of batches 0..%d", planSeed, j)
                    .isEqualTo(CommitPlan.imageAfter(plan, j));
            boolean anyApplied = plan.subList(0, j + 1).stream().anyMatch(b -> !b.applied().isEmpty());
            assertThat(s.clusterId()).isEqualTo(anyApplied ? CLUSTER : "");
        }
    }

    private static int lastBatchAt(List<CommitPlan.Batch> plan, Snapshot s) {
        for (int i = plan.size() - 1; i >= 0; i--) {
            if (plan.get(i).appliedSeq() == s.appliedSeq() && plan.get(i).nextOffset() == s.nextOffset()) {
                return i;
            }
        }
        return -1;
    }

    /** A {@link CommitLoop} in its own JVM; its stdout lines are read by a thread into a queue. */
    private static final class Child {
        private final Process process;
        private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        private final Thread reader;
        private final Path stderr;
        volatile int lastCommitted = -1;
        int exitCode = -1;

        private Child(Process process, Path stderr) {
            this.process = process;
            this.stderr = stderr;
            this.reader = new Thread(this::read, "commit-loop-stdout");
            reader.setDaemon(true);
            reader.start();
        }

        static Child start(Path dir, long seed, int batches) throws IOException {
            Path stderr = Files.createTempFile("commit-loop", ".err");
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            Process p = new ProcessBuilder(java, "-Xmx128m", "-XX:TieredStopAtLevel=1",
                    "-cp", System.getProperty("java.class.path"), CommitLoop.class.getName(),
                    dir.toString(), Long.toString(seed), Integer.toString(batches))
                    .redirectError(stderr.toFile())
                    .start();
            return new Child(p, stderr);
        }

        private void read() {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = in.readLine()) != null; ) {
                    if (line.startsWith("committed ")) {
                        lastCommitted = Integer.parseInt(line.substring("committed ".length()));
                    }
                    lines.add(line);
                }
            } catch (IOException e) {
                lines.add("read failed: " + e);
            }
        }

        void await(String expected) throws Exception {
            long deadline = System.nanoTime() + CHILD_BOUND.toNanos();
            while (true) {
                String line = lines.poll(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                if (line == null || line.equals("done")) {
                    throw new AssertionError("child did not report '" + expected + "' within " + CHILD_BOUND
                            + " (last line " + line + "); stderr:\n" + Files.readString(stderr));
                }
                if (line.equals(expected)) {
                    return;
                }
            }
        }

        /**
         * SIGKILL, then wait (bounded) for the process and for its last stdout lines. Through the
         * ProcessHandle: Process.destroyForcibly() would also close our end of its stdout and drop
         * lines still in the pipe, making {@link #lastCommitted} understate what was reported.
         */
        void kill() throws Exception {
            process.toHandle().destroyForcibly();
            if (!process.waitFor(CHILD_BOUND.toSeconds(), TimeUnit.SECONDS)) {
                throw new AssertionError("child " + process.pid() + " survived SIGKILL for " + CHILD_BOUND);
            }
            exitCode = process.exitValue();
            reader.join(CHILD_BOUND.toMillis());
            Files.deleteIfExists(stderr);
        }
    }
}
