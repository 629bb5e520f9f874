package io.sluice.testkit.kafka;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;

import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.common.Feature;
import org.apache.kafka.server.common.MetadataVersion;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An in-process, single-node Kafka 4.1 broker in KRaft mode (one process acting as broker and
 * controller), for integration tests and the embedded dev stack.
 *
 * <p>It listens on {@code 127.0.0.1} only, on two free ports chosen at {@link #start} (client and
 * controller) and kept for the life of this object, so {@link #stop()} then {@link #restart()} brings
 * the broker back on the same address with the same data and clients reconnect by themselves.
 *
 * <p>Settings are those of a one-node cluster on a small machine: internal topics (consumer
 * offsets, transaction state, share-group state) have replication factor 1, min ISR 1 and one
 * partition; automatic topic creation is off (create topics with {@link #createTopic}); segments
 * are 8 MiB and the log cleaner's dedupe buffer is 8 MiB instead of 128 MiB; few threads.
 * Callers may override any broker setting.
 *
 * <p>Cost, measured on a 2-core machine: in a fresh JVM {@link #start} returns after about 1.6 s
 * and a first produce + consume (topic creation, producer, consumer group join) completes about
 * 3 s after the call; {@link #restart()} takes about 0.3 s and stop about 0.3-0.5 s. The broker
 * holds about 50 MB of live heap; the resident memory of a JVM running it is about 250-290 MB
 * (about 200-250 MB more than the JVM alone).
 *
 * <p>Logging: the broker logs through slf4j (its log4j-api calls are routed to slf4j); this
 * class imposes no logging configuration. Set {@code kafka}, {@code org.apache.kafka} and
 * {@code state.change.logger} to WARN to keep it quiet.
 *
 * <p>Not thread-safe: start, stop, restart and close from one thread.
 */
public final class EmbeddedKafka implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(EmbeddedKafka.class);
    private static final int NODE_ID = 1;
    private static final String LOG_SUBDIR = "kafka-log";
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(60);

    private final Path dataDir;
    private final Path logDir;
    private final boolean deleteDataDirOnClose;
    private final int brokerPort;
    private final int controllerPort;
    private final Map<String, String> brokerConfig;
    private KafkaRaftServer server;
    private boolean closed;

    private EmbeddedKafka(Path dataDir, boolean deleteDataDirOnClose, Map<String, String> overrides) {
        this.dataDir = dataDir.toAbsolutePath();
        this.logDir = this.dataDir.resolve(LOG_SUBDIR);
        this.deleteDataDirOnClose = deleteDataDirOnClose;
        this.brokerPort = freePort();
        this.controllerPort = freePort();
        this.brokerConfig = brokerConfig(overrides);
    }

    /**
     * Starts a broker keeping its data in {@code dataDir} (created if missing; the broker's files
     * go to its subdirectory {@code kafka-log}). A directory already formatted by an earlier
     * broker is reused with its data. The data is kept on {@link #close()}.
     */
    public static EmbeddedKafka start(Path dataDir) {
        return start(dataDir, false, Map.of());
    }

    /**
     * Starts a broker as {@link #start(Path)} does.
     *
     * @param deleteDataDirOnClose whether {@link #close()} deletes the broker's files (and
     *     {@code dataDir} itself if nothing else is left in it)
     * @param brokerOverrides broker settings that replace the defaults of this class, e.g.
     *     {@code Map.of("log.retention.ms", "60000")}; listeners and the quorum are fixed
     */
    public static EmbeddedKafka start(Path dataDir, boolean deleteDataDirOnClose, Map<String, String> brokerOverrides) {
        EmbeddedKafka kafka = new EmbeddedKafka(dataDir, deleteDataDirOnClose, brokerOverrides);
        try {
            kafka.format();
            kafka.startServer();
            return kafka;
        } catch (RuntimeException e) {
            kafka.close();
            throw e;
        }
    }

    /** {@code 127.0.0.1:<port>}, for {@code bootstrap.servers}. Stable across restarts. */
    public String bootstrapServers() {
        return "127.0.0.1:" + brokerPort;
    }

    /** Whether the broker is running (started and not stopped). */
    public boolean isRunning() {
        return server != null;
    }

    /**
     * Creates a topic with replication factor 1 and waits until every partition has a leader.
     * Does nothing if the topic already exists (its partitions and configs are left as they are).
     *
     * @param configs topic configs, e.g. {@code Map.of("cleanup.policy", "compact")}
     */
    public void createTopic(String name, int partitions, Map<String, String> configs) {
        if (partitions < 1) {
            throw new IllegalArgumentException("partitions must be >= 1 for topic '" + name + "', got " + partitions);
        }
        requireRunning("createTopic(" + name + ")");
        try (Admin admin = admin()) {
            NewTopic topic = new NewTopic(name, partitions, (short) 1).configs(configs);
            try {
                admin.createTopics(List.of(topic)).all().get(30, TimeUnit.SECONDS);
                log.debug("Created topic {} with {} partition(s) and configs {}", name, partitions, configs);
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof TopicExistsException)) {
                    throw new IllegalStateException("Could not create topic '" + name + "' on " + bootstrapServers(), e.getCause());
                }
            }
            awaitLeaders(admin, name);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while creating topic '" + name + "'", e);
        } catch (TimeoutException e) {
            throw new IllegalStateException("Timed out after 30 s creating topic '" + name + "' on " + bootstrapServers(), e);
        }
    }

    /** Shuts the broker down cleanly, keeping its data and ports. Does nothing if it is stopped. */
    public void stop() {
        if (server == null) {
            return;
        }
        long t0 = System.nanoTime();
        KafkaRaftServer s = server;
        server = null;
        s.shutdown();
        s.awaitShutdown();
        log.info("Kafka on {} stopped in {} ms", bootstrapServers(), millisSince(t0));
    }

    /** Stops the broker if it runs, then starts it again on the same data directory and ports. */
    public void restart() {
        if (closed) {
            throw new IllegalStateException("EmbeddedKafka on " + bootstrapServers() + " is closed; it cannot restart");
        }
        stop();
        startServer();
    }

    /** Stops the broker and, if asked at start, deletes its data. Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            stop();
        } finally {
            if (deleteDataDirOnClose) {
                deleteData();
            }
        }
    }

    private void format() {
        if (Files.exists(logDir.resolve("meta.properties"))) {
            log.info("Reusing Kafka data formatted earlier in {}", logDir);
            return;
        }
        try {
            Files.createDirectories(logDir);
            KafkaConfig config = new KafkaConfig(brokerConfig, false);
            new Formatter()
                    .setPrintStream(new PrintStream(PrintStream.nullOutputStream()))
                    .setNodeId(NODE_ID)
                    .setClusterId(Uuid.randomUuid().toString())
                    .setControllerListenerName("CONTROLLER")
                    .setMetadataLogDirectory(config.metadataLogDir())
                    .setDirectories(List.of(logDir.toString()))
                    .setReleaseVersion(MetadataVersion.LATEST_PRODUCTION)
                    .setSupportedFeatures(Feature.PRODUCTION_FEATURES)
                    .setUnstableFeatureVersionsEnabled(false)
                    .setIgnoreFormatted(false)
                    .run();
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot create Kafka data directory " + logDir, e);
        } catch (Exception e) {
            throw new IllegalStateException("Cannot format Kafka storage in " + logDir + ": " + e.getMessage(), e);
        }
    }

    private void startServer() {
        long t0 = System.nanoTime();
        KafkaRaftServer s = new KafkaRaftServer(new KafkaConfig(brokerConfig, false), Time.SYSTEM);
        try {
            s.startup();
        } catch (RuntimeException e) {
            s.shutdown();
            s.awaitShutdown();
            throw new IllegalStateException("Kafka failed to start on " + bootstrapServers()
                    + " (controller port " + controllerPort + ", data " + logDir + "): " + e.getMessage(), e);
        }
        server = s;
        awaitBrokerVisible();
        log.info("Kafka started on {} (data {}) in {} ms", bootstrapServers(), logDir, millisSince(t0));
    }

    private void awaitBrokerVisible() {
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        try (Admin admin = admin()) {
            while (true) {
                try {
                    if (!admin.describeCluster().nodes().get(5, TimeUnit.SECONDS).isEmpty()) {
                        return;
                    }
                } catch (ExecutionException | TimeoutException e) {
                    log.debug("Broker {} not ready yet: {}", bootstrapServers(), e.toString());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("Interrupted while waiting for Kafka on " + bootstrapServers(), e);
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("Kafka on " + bootstrapServers() + " did not report itself in "
                            + READY_TIMEOUT.toSeconds() + " s after startup");
                }
                pause();
            }
        }
    }

    private void awaitLeaders(Admin admin, String topic) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!allPartitionsLed(admin, topic)) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("Topic '" + topic + "' on " + bootstrapServers()
                        + " has partitions without a leader after 30 s");
            }
            pause();
        }
    }

    private static boolean allPartitionsLed(Admin admin, String topic) throws InterruptedException {
        try {
            TopicDescription d = admin.describeTopics(Set.of(topic)).allTopicNames().get(5, TimeUnit.SECONDS).get(topic);
            return d.partitions().stream().allMatch(p -> p.leader() != null && !p.leader().isEmpty());
        } catch (ExecutionException | TimeoutException e) {
            return false;
        }
    }

    private Admin admin() {
        return Admin.create(Map.of(
                AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers(),
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000,
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 10_000));
    }

    private void requireRunning(String what) {
        if (server == null) {
            throw new IllegalStateException(what + ": Kafka on " + bootstrapServers() + " is not running");
        }
    }

    private Map<String, String> brokerConfig(Map<String, String> overrides) {
        Map<String, String> c = new HashMap<>(defaults());
        c.putAll(overrides);
        c.putAll(fixed());
        return Map.copyOf(c);
    }

    private Map<String, String> fixed() {
        return Map.of(
                "process.roles", "broker,controller",
                "node.id", String.valueOf(NODE_ID),
                "controller.quorum.voters", NODE_ID + "@127.0.0.1:" + controllerPort,
                "listeners", "PLAINTEXT://127.0.0.1:" + brokerPort + ",CONTROLLER://127.0.0.1:" + controllerPort,
                "advertised.listeners", "PLAINTEXT://127.0.0.1:" + brokerPort,
                "listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
                "controller.listener.names", "CONTROLLER",
                "inter.broker.listener.name", "PLAINTEXT",
                "log.dirs", logDir.toString());
    }

    private static Map<String, String> defaults() {
        Properties p = new Properties();
        p.put("auto.create.topics.enable", "false");
        p.put("offsets.topic.replication.factor", "1");
        p.put("offsets.topic.num.partitions", "1");
        p.put("transaction.state.log.replication.factor", "1");
        p.put("transaction.state.log.min.isr", "1");
        p.put("transaction.state.log.num.partitions", "1");
        p.put("share.coordinator.state.topic.replication.factor", "1");
        p.put("share.coordinator.state.topic.min.isr", "1");
        p.put("share.coordinator.state.topic.num.partitions", "1");
        p.put("min.insync.replicas", "1");
        p.put("default.replication.factor", "1");
        p.put("num.partitions", "1");
        p.put("group.initial.rebalance.delay.ms", "0");
        p.put("log.segment.bytes", String.valueOf(8 << 20));
        p.put("log.index.size.max.bytes", String.valueOf(1 << 20));
        p.put("log.cleaner.dedupe.buffer.size", String.valueOf(8 << 20));
        p.put("log.cleaner.threads", "1");
        p.put("num.network.threads", "2");
        p.put("num.io.threads", "2");
        p.put("background.threads", "2");
        p.put("num.recovery.threads.per.data.dir", "1");
        p.put("num.replica.fetchers", "1");
        p.put("group.coordinator.threads", "1");
        p.put("share.coordinator.threads", "1");
        Map<String, String> m = new HashMap<>();
        p.forEach((k, v) -> m.put((String) k, (String) v));
        return m;
    }

    private void deleteData() {
        try {
            if (Files.exists(logDir)) {
                try (Stream<Path> files = Files.walk(logDir)) {
                    for (Path f : files.sorted(Comparator.reverseOrder()).toList()) {
                        Files.deleteIfExists(f);
                    }
                }
            }
            if (Files.isDirectory(dataDir) && isEmpty(dataDir)) {
                Files.delete(dataDir);
            }
        } catch (IOException e) {
            log.warn("Could not delete Kafka data in {}: {}; left it in place", logDir, e.toString());
        }
    }

    private static boolean isEmpty(Path dir) throws IOException {
        try (Stream<Path> entries = Files.list(dir)) {
            return entries.findAny().isEmpty();
        }
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot find a free TCP port on 127.0.0.1", e);
        }
    }

    private static void pause() {
        try {
            Thread.sleep(100);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while waiting for Kafka", e);
        }
    }

    private static long millisSince(long t0) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
    }

    @Override
    public String toString() {
        return "EmbeddedKafka[" + bootstrapServers() + ", " + (isRunning() ? "running" : "stopped") + ", " + logDir + "]";
    }
}
