package io.sluice.watcher;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.sluice.schema.model.Kind;
import io.sluice.schema.model.Op;

/** The watcher's meters. Names are Prometheus-style; tags {@code kind} (Service, EndpointSlice, Node) and {@code op}. */
final class WatcherMetrics {
    static final String EVENTS = "sluice_watcher_events_total";
    static final String NOOP_UPDATES = "sluice_watcher_noop_updates_total";
    static final String INVALID_OBJECTS = "sluice_watcher_invalid_objects_total";

    private final MeterRegistry registry;
    private final String clusterId;

    WatcherMetrics(MeterRegistry registry, String clusterId) {
        this.registry = registry;
        this.clusterId = clusterId;
        for (Kind kind : Kind.values()) {
            // Register every series up front so dashboards see zeros rather than gaps.
            for (Op op : Op.values()) {
                event(kind, op);
            }
            noop(kind);
            invalid(kind);
        }
    }

    Counter event(Kind kind, Op op) {
        return Counter.builder(EVENTS).description("Events produced to the cluster's events topic")
                .tag("cluster", clusterId).tag("kind", kind.wireName()).tag("op", op.name()).register(registry);
    }

    Counter noop(Kind kind) {
        return Counter.builder(NOOP_UPDATES).description("Informer notifications that changed nothing Sluice models")
                .tag("cluster", clusterId).tag("kind", kind.wireName()).register(registry);
    }

    Counter invalid(Kind kind) {
        return Counter.builder(INVALID_OBJECTS).description("Objects not emitted because they failed normalisation or validation")
                .tag("cluster", clusterId).tag("kind", kind.wireName()).register(registry);
    }
}
