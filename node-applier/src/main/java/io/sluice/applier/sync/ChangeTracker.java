package io.sluice.applier.sync;

import io.sluice.schema.model.AddressType;
import io.sluice.schema.model.EndpointSlice;
import io.sluice.schema.model.Kind;
import io.sluice.schema.model.ObjectKey;
import io.sluice.schema.model.Resource;
import io.sluice.schema.model.Service;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * What changed between two syncs, after kube-proxy's ServiceChangeTracker and EndpointSliceCache:
 * every update of an object is folded into one {@code {previous, current}} per object (previous =
 * as of the last checkout, current = the latest), and an object whose current equals its previous
 * again is dropped: a change undone before the sync is no change. {@link #checkout()} hands the
 * Services whose rules may differ to the next sync and starts over.
 *
 * <p>As kube-proxy, objects a proxy ignores count as absent: a Service it skips (headless,
 * ExternalName, no cluster IP) and an EndpointSlice of FQDN addresses. A slice change is reported
 * as its Service (both Services when the slice moved). Node changes are only flagged: they may
 * change every Service's rules, so the runtime syncs in full.
 *
 * <p>Pure and thread-safe; the runtime feeds it from the image swap of each committed poll.
 */
public final class ChangeTracker {
    private final Map<ObjectKey, Pending> items = new HashMap<>();
    private long serviceUpdates;
    private long endpointSliceUpdates;

    /** One object's net change since the last checkout; null stands for absent. */
    private static final class Pending {
        final Resource previous;
        Resource current;

        Pending(Resource previous) {
            this.previous = previous;
        }
    }

    /**
     * The changes handed to one sync.
     *
     * @param services               Services whose rules may have changed (a Service change, or a
     *                               change of one of its EndpointSlices), sorted
     * @param serviceChanges         Services with a net change of the Service object itself
     * @param endpointChanges        Services with a net change of their EndpointSlices
     * @param nodesChanged           whether any Node changed
     */
    public record Changes(Set<ObjectKey> services, int serviceChanges, int endpointChanges, boolean nodesChanged) {
        public Changes {
            services = Set.copyOf(services);
        }

        public static Changes none() {
            return new Changes(Set.of(), 0, 0, false);
        }

        public boolean isEmpty() {
            return services.isEmpty() && !nodesChanged;
        }
    }

    /**
     * Folds one update in: {@code key} went from {@code previous} to {@code current} (null: absent).
     *
     * @return whether anything is pending now (not only from this update), as kube-proxy's Update
     */
    public synchronized boolean update(ObjectKey key, Resource previous, Resource current) {
        Objects.requireNonNull(key, "key");
        switch (key.kind()) {
            case SERVICE -> serviceUpdates++;
            case ENDPOINT_SLICE -> endpointSliceUpdates++;
            case NODE -> { }
            default -> throw new IllegalArgumentException("unknown kind " + key.kind() + " of " + key);
        }
        Pending p = items.computeIfAbsent(key, k -> new Pending(proxied(previous)));
        p.current = proxied(current);
        if (Objects.equals(p.previous, p.current)) {
            items.remove(key);
        }
        return !items.isEmpty();
    }

    /** Hands out the pending changes and forgets them. */
    public synchronized Changes checkout() {
        Changes c = pending();
        items.clear();
        return c;
    }

    /** The pending changes, without forgetting them. */
    public synchronized Changes pending() {
        Set<ObjectKey> services = new TreeSet<>();
        Set<ObjectKey> serviceChanged = new TreeSet<>();
        Set<ObjectKey> endpointsChanged = new TreeSet<>();
        boolean nodes = false;
        for (Map.Entry<ObjectKey, Pending> e : items.entrySet()) {
            ObjectKey key = e.getKey();
            if (key.kind() == Kind.SERVICE) {
                serviceChanged.add(key);
            } else if (key.kind() == Kind.ENDPOINT_SLICE) {
                for (Resource r : new Resource[] {e.getValue().previous, e.getValue().current}) {
                    if (r instanceof EndpointSlice s) {
                        endpointsChanged.add(s.serviceKey());
                    }
                }
            } else {
                nodes = true;
            }
        }
        services.addAll(serviceChanged);
        services.addAll(endpointsChanged);
        return new Changes(services, serviceChanged.size(), endpointsChanged.size(), nodes);
    }

    /** Forgets everything pending (the next sync is a full one anyway). */
    public synchronized void clear() {
        items.clear();
    }

    /** Services with a pending net change of the Service object (kube-proxy's service_changes_pending). */
    public synchronized int servicesPending() {
        return pending().serviceChanges();
    }

    /** Services with a pending net change of their EndpointSlices (endpoint_changes_pending, per Service). */
    public synchronized int endpointsPending() {
        return pending().endpointChanges();
    }

    /** Service updates seen since creation, no-ops included (kube-proxy's service_changes_total). */
    public synchronized long serviceUpdates() {
        return serviceUpdates;
    }

    /** EndpointSlice updates seen since creation, no-ops included (endpoint_changes_total). */
    public synchronized long endpointSliceUpdates() {
        return endpointSliceUpdates;
    }

    /** The object as a proxy sees it: null for what a proxy ignores. */
    private static Resource proxied(Resource r) {
        if (r instanceof Service s && s.ignoredByProxy()) {
            return null;
        }
        if (r instanceof EndpointSlice s && s.addressType() == AddressType.FQDN) {
            return null;
        }
        return r;
    }
}
