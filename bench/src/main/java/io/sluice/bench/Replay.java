package io.sluice.bench;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.sluice.applier.ApplierConfig;
import io.sluice.applier.consume.LogReader;
import io.sluice.applier.consume.PollResult;
import io.sluice.applier.consume.Quarantine;
import io.sluice.applier.log.ApplierLog;
import io.sluice.applier.metrics.ApplierMetrics;
import io.sluice.schema.model.ChangeEvent;
import io.sluice.schema.model.EndpointSlice;
import io.sluice.store.Snapshot;
import io.sluice.store.SnapshotStore;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.NoSuchElementException;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Benchmark 4. Replay: a log of E events (N Services and their slices, then endpoint changes
 * spread over them) is produced to an embedded broker; then the applier's own consume path
 * ({@link LogReader}: poll, decode, replay into the image, one synced RocksDB commit per poll
 * batch) rebuilds a snapshot from offset 0, timed to the log end. Cold start: a fresh JVM running
 * a node-applier on that snapshot (already at the log end), timed from spawn to ready (caught up,
 * mode live); the first sync goes to the dry-run backend, so no kernel load is included.
 */
public final class Replay {
    private Replay() {
    }

    public static String run(Args a) throws Exception {
        boolean quick = a.flag("quick");
        int services = a.integer("services", quick ? 2_000 : 10_000);
        long total = a.integer("events", quick ? 100_000 : 1_000_000);
        int starts = a.integer("starts", 3);
        Map<String, String> extra = new HashMap<>();
        if (a.integer("max-poll-records", 0) > 0) {
            extra.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, Integer.toString(a.integer("max-poll-records", 0)));
        }
        System.out.printf("replay: %d events (%d Services x 5 endpoints, then endpoint changes), consumer overrides %s%n",
                total, services, extra);
        Path state = Files.createTempDirectory("sluice-bench-replay");
        try (BenchKafka kafka = new BenchKafka()) {
            long t0 = System.nanoTime();
            long produced = kafka.produce(log(new SyntheticCluster(services, 5, 3), total));
            System.out.printf("produced %d events in %.1f s (not timed)%n", produced, (System.nanoTime() - t0) / 1e9);
            ApplierConfig config = ApplierConfig.builder("node-1", SyntheticCluster.CLUSTER, kafka.bootstrap(), state)
                    .kafkaProperties(extra).build();
            double rate;
            try (Profile profile = Profile.start(a.string("jfr", null))) {
                rate = replay(config, produced);
            }
            List<Double> starts1 = coldStarts(kafka, state, starts);
            double coldMedian = starts1.stream().sorted().toList().get(starts1.size() / 2);
            return String.format(Locale.ROOT, "replay: %.0f events/s rebuilding from %d events; cold start to ready "
                    + "%.2f s median of %d at %d Services (target >=200000 events/s, <=2 s)", rate, produced, coldMedian,
                    starts1.size(), services);
        } finally {
            OneChange.deleteTree(state);
        }
    }

    /** The applier's LogReader from offset 0 to the log end; returns events per second. */
    private static double replay(ApplierConfig config, long expected) throws Exception {
        ApplierLog log = new ApplierLog(Replay.class, config.nodeName(), config.clusterId());
        try (SnapshotStore store = SnapshotStore.open(config.stateDir());
                KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(consumerProps(config));
                KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(producerProps(config));
                ApplierMetrics metrics = new ApplierMetrics(new SimpleMeterRegistry())) {
            Snapshot empty = store.load();
            LogReader reader = new LogReader(config, empty, store, consumer,
                    new Quarantine(producer, config.deadLetterTopic(), config.nodeName(), config.clusterId(), log, metrics),
                    metrics, log);
            long cpu0 = ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime();
            long t0 = System.nanoTime();
            LogReader.Connection c = reader.connect();
            long deadline = t0 + Duration.ofMinutes(5).toNanos();
            long applied = 0;
            long polls = 0;
            long position = c.position();
            while (position < c.end() && System.nanoTime() < deadline) {
                PollResult r = reader.poll(Duration.ofMillis(500));
                applied += r.applied();
                polls++;
                position = r.position();
            }
            double secs = (System.nanoTime() - t0) / 1e9;
            double cpuSecs = (ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime() - cpu0) / 1e9;
            if (position < c.end()) {
                System.out.printf("replay did NOT reach the log end within 5 min: %d of %d%n", position, c.end());
            }
            double rate = applied / secs;
            System.out.printf(Locale.ROOT, "replayed %d events (%d expected) in %.2f s: %.0f events/s, %d polls "
                    + "(%.0f events per commit); image %d objects at seq %d; this thread on CPU %.2f s; load average %s%n",
                    applied, expected, secs, rate, polls, (double) applied / Math.max(1, polls), reader.image().size(),
                    reader.image().seq(), cpuSecs, loadAverage());
            return rate;
        }
    }

    /** The 1-minute load average (the machine is shared: the figures depend on it), or "unknown". */
    static String loadAverage() {
        double load = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
        return load < 0 ? "unknown" : String.format(Locale.ROOT, "%.2f", load);
    }

    private static List<Double> coldStarts(BenchKafka kafka, Path state, int n) throws Exception {
        long t0 = System.nanoTime();
        try (SnapshotStore store = SnapshotStore.open(state)) {
            long t1 = System.nanoTime();
            Snapshot s = store.load();
            System.out.printf(Locale.ROOT, "in this (warm) JVM: SnapshotStore.open %.0f ms, load %.0f ms (%d objects)%n",
                    (t1 - t0) / 1e6, (System.nanoTime() - t1) / 1e6, s.image().size());
        }
        java.util.ArrayList<Double> out = new java.util.ArrayList<>();
        for (int i = 0; i < n; i++) {
            Path rules = Files.createTempDirectory("sluice-bench-rules");
            Path err = Files.createTempFile("sluice-bench-applier", ".log");
            try (ChildJvm child = new ChildJvm(ChildJvm.DEFAULT_OPTS, ApplierProcess.class,
                    List.of(kafka.bootstrap(), SyntheticCluster.CLUSTER, state.toString(), rules.toString()), err)) {
                String live = child.await("EVENT live", Duration.ofSeconds(120));
                double[] ready = child.event("live");
                double[] deployed = child.event("deployed");
                child.await("EVENT synced", Duration.ofSeconds(120));
                double[] synced = child.event("synced");
                System.out.printf(Locale.ROOT, "cold start %d (fresh JVM %s): ready %.2f s after spawn (%.0f ms after "
                                + "JVM start; verticle deployed at %.0f ms); first dry-run sync at %.2f s%n", i + 1,
                        ChildJvm.DEFAULT_OPTS, ready[0] / 1000, ready[1], deployed[1], synced[0] / 1000);
                out.add(ready[0] / 1000);
                if (live == null) {
                    throw new IllegalStateException("no live event");
                }
            } finally {
                OneChange.deleteTree(rules);
                Files.deleteIfExists(err);
            }
        }
        return out;
    }

    /** Initial state (Service, slice per Service), then slices rolled on Services in a fixed pseudo-random order. */
    static Iterator<ChangeEvent> log(SyntheticCluster cluster, long total) {
        List<ChangeEvent> initial = cluster.events();
        EndpointSlice[] current = new EndpointSlice[cluster.services()];
        for (int i = 0; i < current.length; i++) {
            current[i] = cluster.slice(i);
        }
        Instant at = Instant.parse("2025-01-01T00:00:00Z");
        return new Iterator<>() {
            long seq;
            long rng = 42;

            @Override
            public boolean hasNext() {
                return seq < total;
            }

            @Override
            public ChangeEvent next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                seq++;
                if (seq <= initial.size()) {
                    return initial.get((int) seq - 1);
                }
                rng = rng * 6364136223846793005L + 1442695040888963407L;
                int svc = (int) Math.floorMod(rng >>> 17, (long) current.length);
                current[svc] = cluster.rolled(current[svc]);
                return ChangeEvent.upsert(SyntheticCluster.CLUSTER, seq, current[svc], at.plusMillis(seq), Long.toString(seq));
            }
        };
    }

    static Map<String, Object> consumerProps(ApplierConfig config) {
        Map<String, Object> p = new HashMap<>();
        p.put(ConsumerConfig.CLIENT_ID_CONFIG, "sluice-applier-" + config.nodeName());
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 15_000);
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "none");
        p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, LogReader.MAX_POLL_RECORDS);
        p.putAll(config.kafkaProperties());
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        return p;
    }

    static Map<String, Object> producerProps(ApplierConfig config) {
        Map<String, Object> p = new HashMap<>();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        return p;
    }
}
