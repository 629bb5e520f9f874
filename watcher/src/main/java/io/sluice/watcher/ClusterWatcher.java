package io.sluice.watcher;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.informers.cache.Cache;
import io.micrometer.core.instrument.MeterRegistry;
import io.sluice.schema.codec.EventCodec;
import io.sluice.schema.model.ChangeEvent;
import io.sluice.schema.model.Kind;
import io.sluice.schema.model.ObjectKey;
import io.sluice.schema.model.Resource;
import io.sluice.schema.validate.InvalidObjectException;
import io.sluice.schema.validate.Validator;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches one cluster's Services, EndpointSlices (discovery/v1) and Nodes in all namespaces and
 * appends every change Sluice cares about to the cluster's events topic, with a contiguous seq.
 *
 * <p>Phases (see DESIGN.md): <b>bootstrap</b> (make sure the topic exists, read it to its end to
 * recover the last seq and the last emitted state per key, open the idempotent producer), then
 * <b>sync</b> (start the informers and wait until every one has listed), then the <b>initial diff</b>
 * (emit what differs between the informer caches and the recovered state), then <b>running</b>.
 * Informer callbacks only mark keys dirty; one single-threaded executor reconciles dirty keys
 * against the informer cache (normalise, validate, drop no-ops, assign seq, produce, wait for acks).
 * A failed produce sends the watcher back to bootstrap (with backoff), so the log stays the truth.
 *
 * <p>The caller owns the {@link KubernetesClient} and the {@link MeterRegistry}; {@link #close()}
 * stops the informers, the executor and the producer, not the client.
 */
public final class ClusterWatcher implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ClusterWatcher.class);
    private static final Duration MIN_BACKOFF = Duration.ofMillis(500);
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(30);

    private enum Phase { NEW, BOOTSTRAPPING, RUNNING, CLOSED }

    private final KubernetesClient client;
    private final WatcherConfig config;
    private final WatcherMetrics metrics;
    private final Clock clock;
    private final EventCodec codec = new EventCodec();
    private final ScheduledExecutorService executor;
    private final CompletableFuture<Void> started = new CompletableFuture<>();
    private final Map<Kind, SharedIndexInformer<? extends HasMetadata>> informers = new EnumMap<>(Kind.class);

    private final Object dirtyLock = new Object();
    private LinkedHashMap<ObjectKey, HasMetadata> dirty = new LinkedHashMap<>();
    private boolean drainScheduled;

    // Owned by the executor thread.
    private KafkaEventLog eventLog;
    private EmittedState state;
    private Duration backoff = MIN_BACKOFF;

    private volatile Phase phase = Phase.NEW;
    private volatile long lastSeq;

    public ClusterWatcher(KubernetesClient client, WatcherConfig config, MeterRegistry registry) {
        this(client, config, registry, Clock.systemUTC());
    }

    public ClusterWatcher(KubernetesClient client, WatcherConfig config, MeterRegistry registry, Clock clock) {
        this.client = Objects.requireNonNull(client, "client");
        this.config = Objects.requireNonNull(config, "config");
        this.metrics = new WatcherMetrics(Objects.requireNonNull(registry, "registry"), config.clusterId());
        this.clock = Objects.requireNonNull(clock, "clock");
        this.executor = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "sluice-watcher-" + config.clusterId());
            t.setDaemon(true);
            return t;
        });
    }

    /** Starts bootstrapping in the background; returns {@link #started()}. Calling it again does nothing more. */
    public synchronized CompletableFuture<Void> start() {
        if (phase == Phase.NEW) {
            phase = Phase.BOOTSTRAPPING;
            log.info("cluster={} starting: topic {} on {}", config.clusterId(), config.topic(), config.bootstrapServers());
            executor.execute(this::bootstrap);
        }
        return started;
    }

    /**
     * Completes once every informer has synced and the initial difference to the log has been
     * produced and acknowledged; completes exceptionally with a {@link WatcherException} on an
     * unrecoverable condition, or a {@link CancellationException} if closed first.
     */
    public CompletableFuture<Void> started() {
        return started;
    }

    /** The seq of the last event the broker acknowledged (recovered from the log at start); 0 for an empty log. */
    public long lastSeq() {
        return lastSeq;
    }

    public WatcherConfig config() {
        return config;
    }

    // ------------------------------------------------------------ bootstrap

    private void bootstrap() {
        if (phase == Phase.CLOSED) {
            return;
        }
        phase = Phase.BOOTSTRAPPING;
        try {
            if (eventLog != null) {
                eventLog.close();
            }
            eventLog = new KafkaEventLog(config, codec);
            eventLog.ensureTopic();
            state = eventLog.recover();
            lastSeq = state.lastSeq();
            eventLog.openProducer();
            if (informers.isEmpty()) {
                startInformers();
            } else {
                initialDiff();
            }
        } catch (WatcherException e) {
            fail(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            retryBootstrap("bootstrap failed", e);
        }
    }

    private void startInformers() {
        informers.put(Kind.SERVICE, client.services().inAnyNamespace().runnableInformer(0));
        informers.put(Kind.ENDPOINT_SLICE, client.discovery().v1().endpointSlices().inAnyNamespace().runnableInformer(0));
        informers.put(Kind.NODE, client.nodes().runnableInformer(0));
        List<CompletableFuture<Void>> synced = new ArrayList<>();
        informers.forEach((kind, informer) -> {
            informer.addEventHandler(new Handler());
            synced.add(informer.start().toCompletableFuture());
        });
        log.info("cluster={} seq={} informers started on Services, EndpointSlices and Nodes; waiting for them to sync",
                config.clusterId(), lastSeq);
        CompletableFuture.allOf(synced.toArray(CompletableFuture[]::new)).whenComplete((ok, err) -> {
            if (err != null) {
                fail(new WatcherException("cluster=" + config.clusterId() + " an informer could not sync: " + err.getMessage(), err));
            } else {
                submit(this::initialDiff);
            }
        });
    }

    /** Emits the difference between the informer caches and the recovered log state, then goes live. */
    private void initialDiff() {
        if (phase != Phase.BOOTSTRAPPING) {
            return;
        }
        long before = state.lastSeq();
        TreeSet<ObjectKey> keys = new TreeSet<>(state.keys());
        informers.forEach((kind, informer) -> informer.getStore().list().forEach(o -> keys.add(Normalizer.key(o))));
        // Key order, seq assigned in that order: the log never holds seqs out of order.
        List<ChangeEvent> events = new ArrayList<>();
        for (ObjectKey key : keys) {
            reconcile(key, null, false).ifPresent(events::add);
        }
        if (!produce(events)) {
            return;
        }
        phase = Phase.RUNNING;
        backoff = MIN_BACKOFF;
        log.info("cluster={} seq={} synced: compared {} keys (caches and log), {}", config.clusterId(), lastSeq, keys.size(),
                events.isEmpty() ? "the log was up to date" : events.size() + " events emitted to catch up (seq " + (before + 1) + ".." + lastSeq + ")");
        started.complete(null);
    }

    private void retryBootstrap(String what, Exception e) {
        if (phase == Phase.CLOSED) {
            return;
        }
        phase = Phase.BOOTSTRAPPING;
        Duration delay = backoff;
        backoff = backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : backoff.multipliedBy(2);
        log.warn("cluster={} seq={} {}: {}; re-reading the log and retrying in {} ms", config.clusterId(), lastSeq, what,
                causes(e), delay.toMillis());
        try {
            executor.schedule(this::bootstrap, delay.toMillis(), TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException closed) {
            log.debug("cluster={} retry not scheduled: watcher closed", config.clusterId());
        }
    }

    /** "outer: middle: root", so one log line says what actually went wrong. */
    private static String causes(Throwable e) {
        StringBuilder b = new StringBuilder(e.toString());
        for (Throwable c = e.getCause(); c != null && c != c.getCause(); c = c.getCause()) {
            b.append(" <- ").append(c);
        }
        return b.toString();
    }

    private void fail(Throwable e) {
        log.error("cluster={} seq={} watcher stopped: {}", config.clusterId(), lastSeq, e.getMessage());
        phase = Phase.CLOSED;
        started.completeExceptionally(e);
        informers.values().forEach(SharedIndexInformer::stop);
        executor.shutdown();
    }

    // ---------------------------------------------------------- steady state

    /** Informer callbacks land here (fabric8's thread): remember the key, let the executor drain. */
    private void markDirty(HasMetadata object) {
        ObjectKey key = Normalizer.key(object);
        synchronized (dirtyLock) {
            dirty.put(key, object);
            if (drainScheduled) {
                return;
            }
            drainScheduled = true;
        }
        submit(this::drain);
    }

    private void drain() {
        LinkedHashMap<ObjectKey, HasMetadata> batch;
        synchronized (dirtyLock) {
            batch = dirty;
            dirty = new LinkedHashMap<>();
            drainScheduled = false;
        }
        if (phase != Phase.RUNNING) {
            return; // The initial diff, still to come, reads the caches after these changes.
        }
        List<ChangeEvent> events = new ArrayList<>();
        batch.forEach((key, lastSeen) -> reconcile(key, lastSeen, true).ifPresent(events::add));
        produce(events);
    }

    /**
     * Compares the informer cache's current object for {@code key} with what the log last said and
     * returns the event that brings the log up to date, if any. Reads the cache rather than the
     * notification, so a late notification can never emit an older state.
     *
     * @param lastSeen the object of the latest notification (for a delete's resourceVersion), or null
     */
    private Optional<ChangeEvent> reconcile(ObjectKey key, HasMetadata lastSeen, boolean countNoop) {
        HasMetadata current = informers.get(key.kind()).getStore().getByKey(storeKey(key));
        Instant now = clock.instant();
        Optional<Resource> desired = Optional.empty();
        if (current != null) {
            try {
                desired = Normalizer.normalize(current);
                if (desired.isPresent()) {
                    Validator.requireValid(desired.get());
                }
            } catch (IllegalArgumentException | InvalidObjectException e) {
                metrics.invalid(key.kind()).increment();
                log.warn("cluster={} seq={} {} (resourceVersion {}) not emitted: {}; the log keeps its last valid state of it",
                        config.clusterId(), lastSeq, key, Normalizer.resourceVersion(current), e.getMessage());
                return Optional.empty();
            }
        }
        if (desired.isEmpty()) {
            String rv = current != null ? Normalizer.resourceVersion(current) : lastSeen != null ? Normalizer.resourceVersion(lastSeen) : "";
            return state.delete(key, now, rv);
        }
        Optional<ChangeEvent> event = state.upsert(desired.get(), now, Normalizer.resourceVersion(current),
                Normalizer.triggerTime(current).orElse(null));
        if (event.isEmpty() && countNoop) {
            metrics.noop(key.kind()).increment();
            log.debug("cluster={} seq={} {} (resourceVersion {}) changed nothing Sluice models; dropped",
                    config.clusterId(), lastSeq, key, Normalizer.resourceVersion(current));
        }
        if (event.isPresent() && Normalizer.triggerTime(current).isEmpty() && Normalizer.rawTriggerTime(current) != null) {
            log.warn("cluster={} seq={} {} has an unparseable {} '{}'; emitted without a trigger time", config.clusterId(),
                    event.get().seq(), key, Normalizer.TRIGGER_TIME_ANNOTATION, Normalizer.rawTriggerTime(current));
        }
        return event;
    }

    /**
     * Produces the events in order and waits for every acknowledgement. On failure the watcher goes
     * back to bootstrap: the log, not memory, says what was written.
     */
    private boolean produce(List<ChangeEvent> events) {
        if (events.isEmpty()) {
            return true;
        }
        List<Future<?>> acks = new ArrayList<>(events.size());
        ChangeEvent current = events.get(0);
        try {
            for (ChangeEvent e : events) {
                current = e;
                acks.add(eventLog.append(e));
            }
            long deadline = System.nanoTime() + config.kafkaTimeout().toNanos();
            for (int i = 0; i < acks.size(); i++) {
                current = events.get(i);
                acks.get(i).get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                acked(current);
            }
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } catch (ExecutionException | TimeoutException | RuntimeException e) {
            Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
            retryBootstrap("producing " + current.describe() + " to " + config.topic() + " failed",
                    cause instanceof Exception ex ? ex : new RuntimeException(cause));
            return false;
        }
    }

    private void acked(ChangeEvent e) {
        lastSeq = e.seq();
        metrics.event(e.key().kind(), e.op()).increment();
        log.debug("cluster={} seq={} {} {} resourceVersion={}", config.clusterId(), e.seq(), e.op(), e.key(), e.resourceVersion());
    }

    private static String storeKey(ObjectKey key) {
        return Cache.namespaceKeyFunc(key.namespace().isEmpty() ? null : key.namespace(), key.name());
    }

    private void submit(Runnable task) {
        try {
            executor.execute(task);
        } catch (RejectedExecutionException e) {
            log.debug("cluster={} ignoring a notification: watcher closed", config.clusterId());
        }
    }

    private final class Handler implements ResourceEventHandler<HasMetadata> {
        @Override
        public void onAdd(HasMetadata obj) {
            markDirty(obj);
        }

        @Override
        public void onUpdate(HasMetadata oldObj, HasMetadata newObj) {
            markDirty(newObj);
        }

        @Override
        public void onDelete(HasMetadata obj, boolean deletedFinalStateUnknown) {
            markDirty(obj);
        }
    }

    // --------------------------------------------------------------- close

    /** Stops informers, the executor (waiting for the batch in hand) and the producer. Idempotent. */
    @Override
    public void close() {
        Phase was = phase;
        phase = Phase.CLOSED;
        executor.shutdown();
        try {
            if (!executor.awaitTermination(config.kafkaTimeout().toMillis(), TimeUnit.MILLISECONDS)) {
                executor.shutdownNow();
            }
        } catch (InterruptedException e) {
            executor.shutdownNow();
            Thread.currentThread().interrupt();
        }
        // After the executor has terminated: it created the informers and the log, so they are visible here.
        informers.values().forEach(SharedIndexInformer::stop);
        if (eventLog != null) {
            eventLog.close();
        }
        started.completeExceptionally(new CancellationException("cluster=" + config.clusterId() + " watcher closed"));
        if (was != Phase.CLOSED) {
            log.info("cluster={} seq={} watcher closed", config.clusterId(), lastSeq);
        }
    }
}
