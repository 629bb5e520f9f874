package io.sluice.applier.health;

import io.sluice.applier.Mode;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The facts /healthz and /readyz answer from, and the two rules, kept pure so they are tested
 * without a server. Thread-safe.
 *
 * <p>Healthy (kube-proxy's healthz): a sync has succeeded, and no change has waited longer than
 * the health timeout for one. Ready: the node has caught up with the log end it saw at start
 * (LIVE), or Kafka is unreachable and the node enforces its loaded snapshot ("serving snapshot").
 */
public final class HealthState {
    private final String node;
    private final String cluster;
    private final Duration healthTimeout;
    private Mode mode = Mode.STARTING;
    /** Null until the first attempt to reach Kafka has finished. */
    private Boolean kafkaReachable;
    private long appliedSeq = -1;
    private long consumedSeq;
    private Instant lastSync;
    private Instant oldestUnsynced;
    private long driftRepairs;
    private Instant lastDriftRepair;

    public HealthState(String node, String cluster, Duration healthTimeout) {
        this.node = node;
        this.cluster = cluster;
        this.healthTimeout = healthTimeout;
    }

    /** An HTTP answer. */
    public record Answer(int status, String contentType, String body) {
    }

    public synchronized void mode(Mode m) {
        mode = m;
    }

    public synchronized Mode mode() {
        return mode;
    }

    public synchronized void kafkaReachable(boolean reachable) {
        kafkaReachable = reachable;
    }

    /** A change at {@code seq} was consumed at {@code now} and waits for a sync. */
    public synchronized void changeQueued(long seq, Instant now) {
        consumedSeq = Math.max(consumedSeq, seq);
        if (oldestUnsynced == null && seq > appliedSeq) {
            oldestUnsynced = now;
        }
    }

    public synchronized void synced(long seq, Instant at) {
        appliedSeq = seq;
        lastSync = at;
        consumedSeq = Math.max(consumedSeq, seq);
        if (seq >= consumedSeq) {
            oldestUnsynced = null;
        }
    }

    /** Drift between the kernel and the applied rules was found and repaired at {@code at}. */
    public synchronized void driftRepaired(Instant at) {
        driftRepairs++;
        lastDriftRepair = at;
    }

    public synchronized Answer healthz(Instant now) {
        boolean healthy = lastSync != null
                && (oldestUnsynced == null || Duration.between(oldestUnsynced, now).compareTo(healthTimeout) <= 0);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("node", node);
        body.put("cluster", cluster);
        body.put("appliedSeq", Math.max(appliedSeq, 0));
        body.put("consumedSeq", consumedSeq);
        body.put("lastSyncTime", lastSync == null ? null : lastSync.toString());
        body.put("mode", mode.wireName());
        body.put("driftRepairs", driftRepairs);
        body.put("lastDriftRepair", lastDriftRepair == null ? null : lastDriftRepair.toString());
        body.put("healthy", healthy);
        return new Answer(healthy ? 200 : 503, "application/json", json(body));
    }

    public synchronized Answer readyz() {
        if (mode == Mode.LIVE) {
            return new Answer(200, "text/plain", "ready: caught up, applied seq " + appliedSeq + "\n");
        }
        if (mode == Mode.SNAPSHOT && Boolean.FALSE.equals(kafkaReachable) && appliedSeq >= 0) {
            return new Answer(200, "text/plain", "ready: serving snapshot at seq " + appliedSeq + ", Kafka unreachable\n");
        }
        String why = mode == Mode.SNAPSHOT ? "catching up with the log (serving snapshot at seq " + appliedSeq + ")"
                : appliedSeq < 0 && Boolean.FALSE.equals(kafkaReachable) ? "waiting for Kafka, no snapshot to serve" : "catching up with the log";
        return new Answer(503, "text/plain", "not ready: " + why + "\n");
    }

    /** Minimal JSON for flat maps of strings, numbers, booleans and nulls. */
    private static String json(Map<String, Object> map) {
        StringBuilder sb = new StringBuilder("{");
        map.forEach((k, v) -> {
            if (sb.length() > 1) {
                sb.append(',');
            }
            sb.append('"').append(k).append("\":");
            if (v == null || v instanceof Number || v instanceof Boolean) {
                sb.append(v);
            } else {
                sb.append('"').append(v.toString().replace("\\", "\\\\").replace("\"", "\\\"")).append('"');
            }
        });
        return sb.append('}').toString();
    }
}
