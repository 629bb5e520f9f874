package io.sluice.applier;

import io.sluice.applier.backend.ApplyException;
import io.sluice.applier.backend.ConntrackCleaner;
import io.sluice.applier.healthcheck.ServiceHealth;
import io.sluice.applier.healthcheck.ServiceHealthPlan;
import io.sluice.applier.healthcheck.ServiceHealthServer;
import io.sluice.applier.render.ConntrackDeletion;
import io.sluice.applier.render.StaleConntrack;
import io.sluice.schema.model.Node;
import io.sluice.schema.model.NodeAddress;
import java.util.SortedMap;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.sluice.applier.backend.RuleBackend;
import io.sluice.applier.consume.LogReader;
import io.sluice.applier.consume.PollResult;
import io.sluice.applier.consume.Quarantine;
import io.sluice.applier.health.HealthState;
import io.sluice.applier.log.ApplierLog;
import io.sluice.applier.metrics.ApplierMetrics;
import io.sluice.applier.render.NodeContext;
import io.sluice.applier.render.RuleRenderer;
import io.sluice.applier.sync.Backoff;
import io.sluice.applier.sync.BoundedFrequencyRunner;
import io.sluice.store.Snapshot;
import io.sluice.store.SnapshotStore;
import io.sluice.store.SnapshotStoreException;
import io.sluice.store.image.ClusterImage;
import io.vertx.core.AbstractVerticle;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.http.HttpServer;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.InvalidOffsetException;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * The per-node agent, as a Vert.x verticle. Phases (see DESIGN.md):
 * <ol>
 *   <li><b>start</b>: open the snapshot store, load it; a non-empty snapshot is rendered and applied
 *       at once, so the node enforces rules even while Kafka is down (mode {@code snapshot}).</li>
 *   <li><b>connect</b>: assign the events topic's partition, seek to the stored offset (rebuilding
 *       if it fell outside the log), note the log end: the catch-up target. Retried with backoff.</li>
 *   <li><b>consume</b>: poll, replay, quarantine, commit state + position in one batch, then swap the image.</li>
 *   <li><b>sync</b> ({@link RuleSyncer}): once caught up (mode {@code live}), every committed change is
 *       tracked and requests a sync: bounded in frequency, partial (only the changed Services) unless a
 *       full one is due, retried with backoff on failure; drift checks repair what others change.</li>
 * </ol>
 * The event loop only dispatches. Blocking work runs on two named single-thread worker executors:
 * {@code sluice-applier-log-<node>} (Kafka, RocksDB) and {@code sluice-applier-sync-<node>} (render,
 * backend), so a slow kernel apply never stalls consumption and a long poll never delays a sync.
 * Each executor runs one task at a time, in submission order.
 *
 * <p>Owns and closes the consumer, the dead-letter producer and the store it opens; closes (never
 * cleans up) the backend it is given on stop: stopping the applier leaves the rules in the kernel.
 */
public final class NodeApplier extends AbstractVerticle {
    private static final Duration POLL_TIMEOUT = Duration.ofMillis(500);
    private static final Backoff KAFKA_RETRY = new Backoff(Duration.ofMillis(500), Duration.ofSeconds(10));

    private final ApplierConfig config;
    private final RuleRenderer renderer;
    private final RuleBackend backend;
    private final Supplier<NodeContext> nodeContext;
    private final MeterRegistry registry;
    private final Clock clock = Clock.systemUTC();
    private final ApplierLog log;
    private final ApplierMetrics metrics;
    private final HealthState health;
    private final List<Consumer<AppliedSync>> listeners = new CopyOnWriteArrayList<>();

    private WorkerExecutor logWorker;
    private WorkerExecutor syncWorker;
    private volatile RuleSyncer syncer;
    private volatile SnapshotStore store;
    private volatile KafkaConsumer<byte[], byte[]> consumer;
    private volatile KafkaProducer<byte[], byte[]> producer;
    private volatile LogReader reader;
    private volatile HttpServer healthServer;
    private volatile HttpServer metricsServer;
    private volatile ServiceHealthServer serviceHealth;
    /** Deletes stale UDP conntrack entries after an apply; null: cleanup off (dry run, tests). */
    private volatile ConntrackCleaner conntrack;

    private volatile ClusterImage image = ClusterImage.empty();
    /** What syncs render before the node is live: the loaded snapshot. */
    private volatile ClusterImage snapshotImage = ClusterImage.empty();
    private volatile Mode mode = Mode.STARTING;
    private volatile boolean stopping;
    private Future<Void> closed;
    private long catchUpTarget = Long.MAX_VALUE;
    private int kafkaFailures;

    public NodeApplier(ApplierConfig config, RuleRenderer renderer, RuleBackend backend, Supplier<NodeContext> nodeContext,
            MeterRegistry registry) {
        this.config = Objects.requireNonNull(config, "config");
        this.renderer = Objects.requireNonNull(renderer, "renderer");
        this.backend = Objects.requireNonNull(backend, "backend");
        this.nodeContext = Objects.requireNonNull(nodeContext, "nodeContext");
        this.registry = Objects.requireNonNull(registry, "registry");
        this.log = new ApplierLog(NodeApplier.class, config.nodeName(), config.clusterId());
        this.metrics = new ApplierMetrics(registry);
        this.health = new HealthState(config.nodeName(), config.clusterId(), ApplierConfig.HEALTH_TIMEOUT);
    }

    public NodeApplier(ApplierConfig config, RuleRenderer renderer, RuleBackend backend, NodeContext nodeContext,
            MeterRegistry registry) {
        this(config, renderer, backend, constant(nodeContext), registry);
    }

    /** Deploys an applier with its own Prometheus registry; the future completes once it has started. */
    public static Future<NodeApplier> deploy(Vertx vertx, ApplierConfig config, RuleRenderer renderer, RuleBackend backend,
            NodeContext nodeContext) {
        NodeApplier applier = new NodeApplier(config, renderer, backend, nodeContext,
                new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
        return vertx.deployVerticle(applier).map(id -> applier);
    }

    // ---- public view -------------------------------------------------------------------------

    /** Seq of the image last applied to the kernel successfully; -1 before the first successful sync. */
    public long appliedSeq() {
        RuleSyncer s = syncer;
        return s == null ? -1 : s.appliedSeq();
    }

    /** The image as last committed to the snapshot store; may be ahead of {@link #appliedSeq()}. */
    public ClusterImage image() {
        return image;
    }

    public Mode mode() {
        return mode;
    }

    /** Calls {@code listener} on the event loop after every successful sync. */
    public NodeApplier onApplied(Consumer<AppliedSync> listener) {
        listeners.add(Objects.requireNonNull(listener, "listener"));
        return this;
    }

    /** The port /metrics listens on (the real one when configured 0); -1 before start. */
    public int metricsPort() {
        HttpServer s = metricsServer;
        return s == null ? -1 : s.actualPort();
    }

    /** The port /healthz and /readyz listen on; -1 before start. */
    public int healthPort() {
        HttpServer s = healthServer;
        return s == null ? -1 : s.actualPort();
    }

    public ApplierConfig applierConfig() {
        return config;
    }

    // ---- start -------------------------------------------------------------------------------

    @Override
    public void start(Promise<Void> startPromise) {
        logWorker = vertx.createSharedWorkerExecutor("sluice-applier-log-" + config.nodeName(), 1);
        syncWorker = vertx.createSharedWorkerExecutor("sluice-applier-sync-" + config.nodeName(), 1);
        syncer = new RuleSyncer(config, renderer, backend, this::nodeContext, this::syncTarget, metrics, health, log, clock,
                System::nanoTime, this::schedule, new RuleSyncer.Worker() {
                    @Override
                    public <T> CompletionStage<T> submit(Callable<T> task) {
                        return syncWorker.executeBlocking(task, false).toCompletionStage();
                    }
                }, this::applied).afterApply(this::afterApply);
        log.info(-1, "starting: events {} on {}, state in {}, backend {}", config.eventsTopic(), config.bootstrapServers(),
                config.stateDir(), backend.describe());
        startHttp()
                .map(v -> {
                    serviceHealth = new ServiceHealthServer(vertx, config.healthCheckBindAddresses(),
                            () -> health.healthz(clock.instant()).status() == 200, Set.of(healthPort(), metricsPort()), log);
                    return v;
                })
                .compose(v -> logWorker.executeBlocking(this::openStoreAndClients, false))
                .onSuccess(snapshot -> {
                    loaded(snapshot);
                    syncer.start();
                    startPromise.complete();
                    connect();
                })
                .onFailure(e -> {
                    log.error(-1, "start failed: {}", e.getMessage());
                    close().onComplete(v -> startPromise.fail(e));
                });
    }

    /** Worker: opens the store, loads the snapshot, creates the Kafka clients. */
    private Snapshot openStoreAndClients() {
        store = SnapshotStore.open(config.stateDir());
        Snapshot snapshot = loadOrReset(store);
        if (!snapshot.clusterId().isEmpty() && !snapshot.clusterId().equals(config.clusterId())) {
            throw new IllegalStateException("state dir " + config.stateDir() + " holds cluster '" + snapshot.clusterId()
                    + "' but this node follows cluster '" + config.clusterId()
                    + "'; refusing to mix them: use another stateDir or delete this one");
        }
        consumer = new KafkaConsumer<>(consumerProperties());
        producer = new KafkaProducer<>(producerProperties());
        Quarantine quarantine = new Quarantine(producer, config.deadLetterTopic(), config.nodeName(), config.clusterId(),
                log, metrics);
        reader = new LogReader(config, snapshot, store, consumer, quarantine, metrics, log);
        return snapshot;
    }

    private Snapshot loadOrReset(SnapshotStore s) {
        try {
            return s.load();
        } catch (SnapshotStoreException e) {
            if (e.reason() != SnapshotStoreException.Reason.CORRUPT) {
                throw e;
            }
            log.error(-1, "{}; resetting it and rebuilding from the log", e.getMessage());
            s.reset();
            return Snapshot.empty();
        }
    }

    /** Event loop: the snapshot is loaded; a non-empty one is applied right away. */
    private void loaded(Snapshot snapshot) {
        image = snapshot.image();
        if (snapshot.isEmpty()) {
            log.info(0, "no snapshot in {}: building the image from the start of the log", config.stateDir());
            return;
        }
        snapshotImage = snapshot.image();
        setMode(Mode.SNAPSHOT);
        log.info(snapshot.appliedSeq(), "loaded snapshot: {} objects, next offset {}; applying it now",
                snapshot.image().size(), snapshot.nextOffset());
        syncer.requestFull("loaded the snapshot");
    }

    // ---- connect and consume -----------------------------------------------------------------

    private void connect() {
        if (stopping) {
            return;
        }
        logWorker.executeBlocking(reader::connect, false).onComplete(ar -> {
            if (stopping) {
                return;
            }
            if (ar.succeeded()) {
                kafkaFailures = 0;
                health.kafkaReachable(true);
                connected(ar.result());
                poll();
            } else {
                kafkaFailures++;
                health.kafkaReachable(false);
                Duration delay = KAFKA_RETRY.delay(kafkaFailures);
                log.warn(appliedSeq(), "cannot read {} from Kafka at {}: {}; {}; retrying in {} ms", config.eventsTopic(),
                        config.bootstrapServers(), ar.cause().toString(),
                        mode == Mode.SNAPSHOT ? "the node keeps serving its snapshot" : "no snapshot to serve",
                        delay.toMillis());
                vertx.setTimer(delay.toMillis(), id -> connect());
            }
        });
    }

    /** Event loop: the reader found its place in the log. */
    private void connected(LogReader.Connection c) {
        catchUpTarget = c.end();
        if (c.rebuilt() && mode == Mode.LIVE) {
            // The image starts over from the log start; until it has caught up again, syncs keep
            // what the kernel holds rather than a half-rebuilt image.
            snapshotImage = image;
            setMode(Mode.SNAPSHOT);
        }
        image = reader.image();
        if (mode != Mode.LIVE && c.position() >= catchUpTarget) {
            becomeLive(c.position());
        }
    }

    private void poll() {
        if (stopping) {
            return;
        }
        logWorker.executeBlocking(() -> reader.poll(POLL_TIMEOUT), false).onComplete(ar -> {
            if (stopping) {
                return;
            }
            if (ar.succeeded()) {
                kafkaFailures = 0;
                consumed(ar.result());
                poll();
            } else if (ar.cause() instanceof InvalidOffsetException e) {
                log.warn(image.seq(), "position no longer valid ({}); reconnecting to check it against the log", e.getMessage());
                connect();
            } else {
                kafkaFailures++;
                Duration delay = KAFKA_RETRY.delay(kafkaFailures);
                log.error(image.seq(), "poll of {} failed: {}; nothing was committed, retrying in {} ms",
                        config.eventsTopic(), ar.cause().toString(), delay.toMillis());
                vertx.setTimer(delay.toMillis(), id -> poll());
            }
        });
    }

    /** Event loop: a batch was committed; swap the image, and sync if live. */
    private void consumed(PollResult result) {
        ClusterImage before = image;
        image = result.image();
        syncer.imageChanged(before, image, result.changes(), mode == Mode.LIVE);
        if (mode != Mode.LIVE && result.position() >= catchUpTarget) {
            becomeLive(result.position());
        }
    }

    private void becomeLive(long position) {
        log.info(image.seq(), "caught up with {} at offset {} (log end at start {}): syncing every change from now on",
                config.eventsTopic(), position, catchUpTarget);
        setMode(Mode.LIVE);
        health.changeQueued(image.seq(), clock.instant());
        syncer.requestFull("caught up with the log");
    }

    // ---- sync --------------------------------------------------------------------------------

    /** What syncs program now: the live image, the snapshot while catching up, nothing before either. */
    private ClusterImage syncTarget() {
        return switch (mode) {
            case LIVE -> image;
            case SNAPSHOT -> snapshotImage;
            case STARTING -> null;
        };
    }

    /**
     * The node as renderers see it: the configured context, with the node's addresses and zone taken
     * from its Node object in the image when the configuration gives none (as {@code sluice render} does).
     */
    private NodeContext nodeContext() {
        NodeContext configured = nodeContext.get();
        if (!configured.nodeIPs().isEmpty()) {
            return configured;
        }
        ClusterImage target = syncTarget();
        Optional<Node> node = target == null ? Optional.empty() : target.node(configured.nodeName());
        return node.map(n -> new NodeContext(configured.nodeName(),
                        n.addresses().stream().filter(NodeAddress::isIp).map(NodeAddress::address).toList(),
                        configured.zone() != null ? configured.zone() : n.zone()))
                .orElse(configured);
    }

    /** Worker, after a successful apply only (kube-proxy's order): health-check servers, then stale UDP conntrack. */
    private void afterApply(long seq, ClusterImage before, ClusterImage after, NodeContext node) throws ApplyException {
        ServiceHealthServer sh = serviceHealth;
        if (sh != null) {
            SortedMap<Integer, ServiceHealth> plan = ServiceHealthPlan.compute(after, node);
            context.runOnContext(v -> sh.update(seq, plan));
        }
        ConntrackCleaner c = conntrack;
        if (c != null) {
            List<ConntrackDeletion> stale = StaleConntrack.between(before, after, node, config.renderOptions());
            if (!stale.isEmpty()) {
                c.delete(stale);
                log.info(seq, "deleted stale UDP conntrack entries: {} filter(s)", stale.size());
            }
        }
    }

    /** Turns on stale UDP conntrack cleanup after each apply (kernel backends); call before deploying. */
    public NodeApplier withConntrackCleaner(ConntrackCleaner cleaner) {
        this.conntrack = Objects.requireNonNull(cleaner, "cleaner");
        return this;
    }

    /** After every successful sync (on the event loop: the worker's future completes there). */
    private void applied(AppliedSync applied) {
        for (Consumer<AppliedSync> l : listeners) {
            try {
                l.accept(applied);
            } catch (RuntimeException e) {
                log.warn(applied.seq(), "onApplied listener {} threw {}; ignored", l, e.toString());
            }
        }
    }

    private BoundedFrequencyRunner.Cancellable schedule(Duration delay, Runnable task) {
        if (stopping) {
            return () -> { };
        }
        if (delay.isZero()) {
            context.runOnContext(v -> task.run());
            return () -> { };
        }
        long ms = Math.max(1, TimeUnit.NANOSECONDS.toMillis(delay.toNanos() + 999_999));
        long id = vertx.setTimer(ms, t -> context.runOnContext(v -> task.run()));
        return () -> vertx.cancelTimer(id);
    }

    private void setMode(Mode m) {
        mode = m;
        health.mode(m);
    }

    // ---- HTTP --------------------------------------------------------------------------------

    private Future<Void> startHttp() {
        Router healthRouter = Router.router(vertx);
        healthRouter.get("/healthz").handler(ctx -> answer(ctx, health.healthz(clock.instant())));
        healthRouter.get("/readyz").handler(ctx -> answer(ctx, health.readyz()));
        Router metricsRouter = Router.router(vertx);
        metricsRouter.get("/metrics").handler(this::scrape);
        metricsRouter.get("/healthz").handler(ctx -> answer(ctx, health.healthz(clock.instant())));
        return vertx.createHttpServer().requestHandler(healthRouter).listen(config.healthPort(), config.healthHost())
                .compose(h -> {
                    healthServer = h;
                    return vertx.createHttpServer().requestHandler(metricsRouter).listen(config.metricsPort(), config.metricsHost());
                })
                .map(m -> {
                    metricsServer = m;
                    log.info(-1, "serving /healthz and /readyz on port {}, /metrics on port {}", healthPort(), metricsPort());
                    return null;
                });
    }

    private static void answer(RoutingContext ctx, HealthState.Answer a) {
        ctx.response().setStatusCode(a.status()).putHeader("Content-Type", a.contentType()).end(a.body());
    }

    private void scrape(RoutingContext ctx) {
        Optional<PrometheusMeterRegistry> prometheus = prometheus(registry);
        if (prometheus.isEmpty()) {
            ctx.response().setStatusCode(404).end("no Prometheus registry was given to this applier\n");
            return;
        }
        ctx.response().putHeader("Content-Type", "text/plain; version=0.0.4; charset=utf-8").end(prometheus.get().scrape());
    }

    private static Optional<PrometheusMeterRegistry> prometheus(MeterRegistry r) {
        if (r instanceof PrometheusMeterRegistry p) {
            return Optional.of(p);
        }
        if (r instanceof CompositeMeterRegistry c) {
            return c.getRegistries().stream().map(NodeApplier::prometheus).flatMap(Optional::stream).findFirst();
        }
        return Optional.empty();
    }

    // ---- stop --------------------------------------------------------------------------------

    @Override
    public void stop(Promise<Void> stopPromise) {
        close().onComplete(stopPromise);
    }

    /**
     * Stops consuming and syncing, then closes consumer, producer, store, backend and HTTP servers;
     * the kernel keeps its rules. Idempotent: every call returns the same future.
     */
    public synchronized Future<Void> close() {
        if (closed != null) {
            return closed;
        }
        stopping = true;
        if (syncer != null) {
            syncer.stop();
        }
        KafkaConsumer<byte[], byte[]> c = consumer;
        if (c != null) {
            c.wakeup();
        }
        List<Future<?>> steps = new ArrayList<>();
        if (logWorker != null) {
            steps.add(logWorker.executeBlocking(this::closeLogSide, false));
        }
        if (syncWorker != null) {
            steps.add(syncWorker.executeBlocking(() -> {
                quietly("backend", backend::close);
                return null;
            }, false));
        }
        ServiceHealthServer sh = serviceHealth;
        if (sh != null) {
            steps.add(sh.close());
        }
        for (HttpServer s : new HttpServer[] {healthServer, metricsServer}) {
            if (s != null) {
                steps.add(s.close());
            }
        }
        closed = Future.join(steps)
                .eventually(() -> {
                    metrics.close();
                    List<Future<?>> executors = new ArrayList<>();
                    if (logWorker != null) {
                        executors.add(logWorker.close());
                    }
                    if (syncWorker != null) {
                        executors.add(syncWorker.close());
                    }
                    return Future.join(executors);
                })
                .<Void>mapEmpty()
                .onComplete(ar -> log.info(appliedSeq(), "stopped; the kernel keeps the rules of seq {}", appliedSeq()));
        return closed;
    }

    private Void closeLogSide() {
        KafkaConsumer<byte[], byte[]> c = consumer;
        if (c != null) {
            quietly("consumer", () -> c.close(Duration.ofSeconds(5)));
        }
        KafkaProducer<byte[], byte[]> p = producer;
        if (p != null) {
            quietly("dead-letter producer", () -> p.close(Duration.ofSeconds(5)));
        }
        SnapshotStore s = store;
        if (s != null) {
            quietly("snapshot store", s::close);
        }
        return null;
    }

    private void quietly(String what, Runnable close) {
        try {
            close.run();
        } catch (WakeupException e) {
            // the wakeup meant for the last poll; closing goes on
        } catch (RuntimeException e) {
            log.warn(appliedSeq(), "closing the {} failed: {}; continuing", what, e.toString());
        }
    }

    // ---- Kafka client settings ---------------------------------------------------------------

    private Map<String, Object> consumerProperties() {
        Map<String, Object> p = new HashMap<>();
        p.put(ConsumerConfig.CLIENT_ID_CONFIG, "sluice-applier-" + config.nodeName());
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 15_000);
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "none");
        p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, LogReader.MAX_POLL_RECORDS);
        overrides(p, ConsumerConfig.configNames());
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
        p.remove(ConsumerConfig.GROUP_ID_CONFIG);
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        return p;
    }

    private Map<String, Object> producerProperties() {
        Map<String, Object> p = new HashMap<>();
        p.put(ProducerConfig.CLIENT_ID_CONFIG, "sluice-applier-" + config.nodeName() + "-deadletter");
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 10_000);
        p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 30_000);
        overrides(p, ProducerConfig.configNames());
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        return p;
    }

    private void overrides(Map<String, Object> p, Set<String> known) {
        config.kafkaProperties().forEach((k, v) -> {
            if (known.contains(k)) {
                p.put(k, v);
            }
        });
    }

    private static Supplier<NodeContext> constant(NodeContext ctx) {
        Objects.requireNonNull(ctx, "nodeContext");
        return () -> ctx;
    }
}
