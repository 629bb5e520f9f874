package io.sluice.applier.healthcheck;

import io.sluice.applier.log.ApplierLog;
import io.sluice.applier.render.IpAddresses;
import io.sluice.applier.sync.Backoff;
import io.sluice.schema.model.IpFamily;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.net.SocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * The healthCheckNodePort servers of one node (kube-proxy's {@code ServiceHealthServer}): one HTTP
 * server per port and bind address, each answering {@link ServiceHealthResponse} for its Service.
 *
 * <p>{@link #update} makes the open ports equal to a {@link ServiceHealthPlan}: it opens servers
 * for new ports, closes those of ports no longer planned, and changes the answer of ports that stay
 * in place (no listener churn, open connections stay). A port that cannot be bound on every
 * address (in use by another process, an address the node lacks) is closed again on all of them,
 * logged with the port and the Service, listed in {@link #unboundPorts()}, and tried again at the
 * next update and, since updates come only with cluster changes, on a timer ({@link #RETRY}); the
 * other ports are unaffected and the update still succeeds.
 *
 * <p>All state changes run on one Vert.x context (the caller's when constructed on one), one update
 * after the other; the event loop only dispatches: binding and closing are asynchronous and a
 * request is answered from a volatile field and the {@code proxyHealthy} supplier, which must not block.
 */
public final class ServiceHealthServer {
    /** kube-proxy's default: every address of the node (on the JDK's NIO transport this socket also accepts IPv6). */
    public static final List<String> ALL_ADDRESSES = List.of("0.0.0.0");
    /**
     * How soon unbound ports are tried again without an update. Quick at first because one cause is
     * transient: the JDK frees a closed listening socket at its selector's next pass, a moment after
     * Vert.x reports it closed, so a port closed and planned again at once can fail to bind once.
     */
    public static final Backoff RETRY = new Backoff(Duration.ofMillis(200), Duration.ofSeconds(30));

    private final Vertx vertx;
    private final Context context;
    private final List<String> bindAddresses;
    private final BooleanSupplier proxyHealthy;
    private final Set<Integer> reservedPorts;
    private final ApplierLog log;
    private final SortedMap<Integer, Listener> listening = new ConcurrentSkipListMap<>();
    private final SortedMap<Integer, Unbound> unbound = new ConcurrentSkipListMap<>();
    /** Context-only: the last update (or close) in the chain; the next one starts when it ends. */
    private Future<Void> tail = Future.succeededFuture();
    private boolean closed;
    /** Context-only: the plan of the last update, which retries re-apply. */
    private SortedMap<Integer, ServiceHealth> planned = new TreeMap<>();
    private long retryTimer = -1;
    private int retries;
    private volatile long lastSeq = -1;

    /** The servers of one port: the answer is swapped in place on update. */
    private static final class Listener {
        final int port;
        final List<HttpServer> servers = new ArrayList<>();
        volatile ServiceHealth health;

        Listener(int port, ServiceHealth health) {
            this.port = port;
            this.health = health;
        }
    }

    /** A planned port that is not served, and why. */
    private record Unbound(String service, String reason) {
    }

    /**
     * @param bindAddresses IP literals every port is opened on; {@link #ALL_ADDRESSES} for all of them
     * @param proxyHealthy  the proxy's own health (kube-proxy's healthz): false turns every answer into 503;
     *                      called on the event loop for each probe, so it must be quick and not block
     * @param reservedPorts ports other HTTP servers of this Vert.x instance listen on (the applier's
     *                      /healthz and /metrics). Vert.x would silently share such a port, splitting
     *                      requests between the servers, instead of failing to bind it; these ports
     *                      are refused like a port in use
     * @param log           the applier's log; lines carry node, cluster and the seq of the update
     */
    public ServiceHealthServer(Vertx vertx, List<String> bindAddresses, BooleanSupplier proxyHealthy,
            Set<Integer> reservedPorts, ApplierLog log) {
        this.vertx = Objects.requireNonNull(vertx, "vertx");
        this.context = vertx.getOrCreateContext();
        this.bindAddresses = validated(bindAddresses);
        this.proxyHealthy = Objects.requireNonNull(proxyHealthy, "proxyHealthy");
        this.reservedPorts = Set.copyOf(reservedPorts);
        this.log = Objects.requireNonNull(log, "log").forClass(ServiceHealthServer.class);
    }

    private static List<String> validated(List<String> addresses) {
        if (addresses == null || addresses.isEmpty()) {
            throw new IllegalArgumentException("health check bind addresses are empty; give at least one IP, e.g. "
                    + ALL_ADDRESSES);
        }
        Set<String> seen = new HashSet<>();
        for (String a : addresses) {
            if (a == null || IpAddresses.family(a).isEmpty()) {
                throw new IllegalArgumentException("health check bind address '" + a + "' in " + addresses
                        + " is not an IP literal such as 0.0.0.0, 10.0.0.5 or ::");
            }
            if (!seen.add(a)) {
                throw new IllegalArgumentException("health check bind address '" + a + "' appears twice in " + addresses);
            }
        }
        return List.copyOf(addresses);
    }

    // ---- public API --------------------------------------------------------------------------

    /**
     * Serves exactly {@code plan} (healthCheckNodePort → answer) from now on. Completes once every
     * new port is bound or found unbindable and every removed port is closed; it fails only when
     * this server is closed. Updates are applied in call order.
     *
     * @param seq the seq of the image the plan was computed from, for the log
     */
    public Future<Void> update(long seq, Map<Integer, ServiceHealth> plan) {
        SortedMap<Integer, ServiceHealth> target = new TreeMap<>(plan);
        return onContext(() -> {
            if (closed) {
                return Future.failedFuture(new IllegalStateException(
                        "the health check server is closed; update of seq " + seq + " ignored"));
            }
            lastSeq = seq;
            planned = target;
            return reconcile(seq, target);
        });
    }

    /** Closes every port; later updates fail. Idempotent. */
    public Future<Void> close() {
        return onContext(() -> {
            closed = true;
            unbound.clear();
            if (retryTimer >= 0) {
                vertx.cancelTimer(retryTimer);
                retryTimer = -1;
            }
            List<Future<?>> steps = new ArrayList<>();
            for (Listener l : List.copyOf(listening.values())) {
                steps.add(closeListener(lastSeq, l));
            }
            return Future.join(steps).mapEmpty();
        });
    }

    /** The ports served now. */
    public SortedSet<Integer> listeningPorts() {
        return new TreeSet<>(listening.keySet());
    }

    /** Planned ports that could not be bound at the last update → why; retried at the next one. */
    public SortedMap<Integer, String> unboundPorts() {
        SortedMap<Integer, String> out = new TreeMap<>();
        unbound.forEach((port, u) -> out.put(port, u.reason()));
        return out;
    }

    /** What {@code port} answers now, if it is served. */
    public Optional<ServiceHealth> serving(int port) {
        return Optional.ofNullable(listening.get(port)).map(l -> l.health);
    }

    // ---- reconcile ---------------------------------------------------------------------------

    /** Runs {@code step} on the context after every earlier step has finished. */
    private Future<Void> onContext(Supplier<Future<Void>> step) {
        Promise<Void> done = Promise.promise();
        context.runOnContext(v -> {
            Future<Void> f = tail.transform(previous -> step.get());
            tail = f;
            f.onComplete(done);
        });
        return done.future();
    }

    private Future<Void> reconcile(long seq, SortedMap<Integer, ServiceHealth> target) {
        List<Future<?>> steps = new ArrayList<>();
        for (Listener l : List.copyOf(listening.values())) {
            if (!target.containsKey(l.port)) {
                steps.add(closeListener(seq, l));
            }
        }
        unbound.keySet().removeIf(port -> !target.containsKey(port));
        target.forEach((port, health) -> {
            Listener l = listening.get(port);
            if (l != null) {
                refresh(seq, l, health);
            } else {
                steps.add(open(seq, port, health));
            }
        });
        return Future.join(steps).<Void>mapEmpty().andThen(done -> scheduleRetry());
    }

    /** While some planned port is unbound, re-applies the plan on a backoff timer (context-only). */
    private void scheduleRetry() {
        if (closed || unbound.isEmpty()) {
            retries = 0;
            return;
        }
        if (retryTimer >= 0) {
            return;
        }
        Duration delay = RETRY.delay(++retries);
        log.debug(lastSeq, "retrying health check ports {} in {} ms", unbound.keySet(), delay.toMillis());
        retryTimer = vertx.setTimer(Math.max(1, delay.toMillis()), id -> onContext(() -> {
            retryTimer = -1;
            return closed ? Future.succeededFuture() : reconcile(lastSeq, planned);
        }));
    }

    private void refresh(long seq, Listener l, ServiceHealth health) {
        ServiceHealth before = l.health;
        if (before.equals(health)) {
            return;
        }
        l.health = health;
        if (!before.serviceName().equals(health.serviceName())) {
            log.info(seq, "health check port {} now answers for Service {} (was {})", l.port, health.serviceName(),
                    before.serviceName());
        } else {
            log.debug(seq, "health check of Service {} on port {}: local endpoints {} (were {})", health.serviceName(),
                    l.port, health.localEndpoints(), before.localEndpoints());
        }
    }

    /** Binds {@code port} on every address, or on none; never fails. */
    private Future<Void> open(long seq, int port, ServiceHealth health) {
        if (port < 1 || port > 65535) {
            notBound(seq, port, health, "port " + port + " is not a TCP port (1-65535)");
            return Future.succeededFuture();
        }
        if (reservedPorts.contains(port)) {
            notBound(seq, port, health, "port " + port + " is one of the applier's own HTTP ports " + reservedPorts);
            return Future.succeededFuture();
        }
        Listener l = new Listener(port, health);
        List<Future<HttpServer>> binds = new ArrayList<>();
        for (String address : bindAddresses) {
            binds.add(vertx.createHttpServer().requestHandler(req -> answer(l, req)).listen(port, address));
        }
        return Future.join(binds).transform(all -> {
            List<String> failures = new ArrayList<>();
            for (int i = 0; i < binds.size(); i++) {
                Future<HttpServer> b = binds.get(i);
                if (b.succeeded()) {
                    l.servers.add(b.result());
                } else {
                    failures.add(bindAddresses.get(i) + ": " + b.cause().getMessage());
                }
            }
            if (failures.isEmpty()) {
                listening.put(port, l);
                Unbound before = unbound.remove(port);
                log.info(seq, "serving the health check of Service {} on port {} ({}){}", health.serviceName(), port,
                        String.join(", ", bindAddresses), before == null ? "" : ", which could not be bound before");
                return Future.succeededFuture();
            }
            return closeServers(seq, l).andThen(closedAll ->
                    notBound(seq, port, health, "cannot listen on " + String.join("; ", failures)));
        });
    }

    /** Records an unbound port; warns the first time (or when the reason changes), then only at debug. */
    private void notBound(long seq, int port, ServiceHealth health, String reason) {
        Unbound now = new Unbound(health.serviceName(), reason);
        Unbound before = unbound.put(port, now);
        if (now.equals(before)) {
            log.debug(seq, "health check of Service {} on port {} still not served: {}", health.serviceName(), port, reason);
        } else {
            log.warn(seq, "cannot serve the health check of Service {} on port {}: {}; load balancers will see this "
                    + "node as down for it; other health checks are unaffected; retrying",
                    health.serviceName(), port, reason);
        }
    }

    private Future<Void> closeListener(long seq, Listener l) {
        listening.remove(l.port, l);
        log.info(seq, "closing the health check of Service {} on port {}", l.health.serviceName(), l.port);
        return closeServers(seq, l);
    }

    /** Closes every server of {@code l}; failures are logged, never returned. */
    private Future<Void> closeServers(long seq, Listener l) {
        List<Future<?>> closes = new ArrayList<>();
        for (HttpServer s : l.servers) {
            closes.add(s.close().onFailure(e -> log.warn(seq, "closing the health check server of Service {} on port "
                    + "{} failed: {}; continuing", l.health.serviceName(), l.port, e.toString())));
        }
        l.servers.clear();
        return Future.join(closes).<Void>mapEmpty().otherwiseEmpty();
    }

    // ---- answering ---------------------------------------------------------------------------

    private void answer(Listener l, HttpServerRequest req) {
        ServiceHealthResponse r = ServiceHealthResponse.of(l.health, familyOf(req.localAddress()), proxyHealthy());
        HttpServerResponse resp = req.response().setStatusCode(r.status());
        r.headers().forEach(resp::putHeader);
        resp.end(r.body());
    }

    private boolean proxyHealthy() {
        try {
            return proxyHealthy.getAsBoolean();
        } catch (RuntimeException e) {
            log.warn(lastSeq, "the proxy health check threw {}; answering as unhealthy", e.toString());
            return false;
        }
    }

    /** The family of the local address a probe arrived on; IPv4 when it cannot be told. */
    static IpFamily familyOf(SocketAddress local) {
        if (local == null || local.hostAddress() == null) {
            return IpFamily.IPV4;
        }
        return IpAddresses.family(local.hostAddress()).orElse(IpFamily.IPV4);
    }
}
