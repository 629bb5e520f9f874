package io.sluice.applier;

import io.sluice.applier.render.RenderOptions;
import io.sluice.schema.model.IpFamily;
import io.sluice.schema.validate.IpLiterals;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Everything one node applier needs, validated at construction: a bad value fails here, with the
 * value in the message, not later in the middle of a sync. Null arguments take the documented default.
 *
 * @param nodeName         this node's Kubernetes name (required); renderers match it against Endpoint.nodeName
 * @param clusterId        the cluster whose log this node follows (required; letters, digits, '.', '_', '-');
 *                         events of any other cluster are quarantined
 * @param bootstrapServers Kafka {@code host:port[,host:port...]} (required)
 * @param eventsTopic      the cluster's event log; default {@code sluice.<clusterId>.events}
 * @param deadLetterTopic  where quarantined records go; default {@code sluice.deadletter}
 * @param stateDir         the RocksDB snapshot store directory (required; created if missing)
 * @param clusterCidr      pod CIDR(s), comma-separated for dual stack (kube-proxy's --cluster-cidr); default empty
 * @param masqueradeBit    packet-mark bit for SNAT, 0-31; default 14 (kube-proxy's)
 * @param masqueradeAll    masquerade all traffic to Service cluster IPs (kube-proxy's masqueradeAll); default false
 * @param nodePortAddresses CIDRs (or {@code primary}) selecting the node addresses NodePorts answer on
 *                         (kube-proxy's nodePortAddresses, keywords expanded); default empty: every local address
 * @param family           the IP family this applier programs; default IPv4 (kube-proxy runs one proxier per family)
 * @param metricsHost      address {@code /metrics} binds to; default 0.0.0.0
 * @param healthHost       address {@code /healthz} and {@code /readyz} bind to; default 0.0.0.0
 * @param metricsPort      port of {@code /metrics}; default 10249; 0 picks a free port
 * @param healthPort       port of {@code /healthz} and {@code /readyz}; default 10256; 0 picks a free port
 * @param minSyncInterval  at most one sync per this interval, modulo bursts (kube-proxy's --iptables-min-sync-period);
 *                         default 100 ms; 0 disables the limit
 * @param maxSyncInterval  at least one sync per this interval, and that sync is FULL (recompute everything, send the
 *                         difference, re-check the jumps): kube-proxy's --iptables-sync-period with its full-sync
 *                         period; default 1 h; at least minSyncInterval
 * @param syncBurst        syncs allowed in quick succession before minSyncInterval applies (kube-proxy's
 *                         burstSyncs); default 2
 * @param driftCanaryInterval how often the cheap drift check runs (entry points only: the jumps from built-in
 *                         chains and the chains they reach); default 1 s; 0 turns it off. Never more than 1/20 of
 *                         the time: a check that takes t waits at least 20 t before the next
 * @param driftFullCheckInterval how often every rule is read back and compared; default 60 s; 0 turns it off;
 *                         the same 1/20 bound applies; a due check waits for 1 s without changes, at most
 *                         one more interval
 * @param kafkaProperties  extra Kafka client settings (security, timeouts) for the consumer and the
 *                         dead-letter producer; they override the applier's defaults, except the few
 *                         it must fix (group.id unset, no auto commit, byte-array serdes); default none
 * @param healthCheckBindAddresses IP literals the per-Service healthCheckNodePort servers listen on; default
 *                         {@code [0.0.0.0]}: every address of the node, kube-proxy's default
 */
public record ApplierConfig(
        String nodeName,
        String clusterId,
        String bootstrapServers,
        String eventsTopic,
        String deadLetterTopic,
        Path stateDir,
        String clusterCidr,
        int masqueradeBit,
        boolean masqueradeAll,
        List<String> nodePortAddresses,
        IpFamily family,
        String metricsHost,
        String healthHost,
        int metricsPort,
        int healthPort,
        Duration minSyncInterval,
        Duration maxSyncInterval,
        int syncBurst,
        Duration driftCanaryInterval,
        Duration driftFullCheckInterval,
        Map<String, String> kafkaProperties,
        List<String> healthCheckBindAddresses) {

    public static final String DEFAULT_DEAD_LETTER_TOPIC = "sluice.deadletter";
    public static final int DEFAULT_METRICS_PORT = 10249;
    public static final int DEFAULT_HEALTH_PORT = 10256;
    public static final Duration DEFAULT_MIN_SYNC_INTERVAL = Duration.ofMillis(100);
    public static final Duration DEFAULT_MAX_SYNC_INTERVAL = Duration.ofHours(1);
    public static final int DEFAULT_SYNC_BURST = 2;
    public static final Duration DEFAULT_DRIFT_CANARY_INTERVAL = Duration.ofSeconds(1);
    public static final Duration DEFAULT_DRIFT_FULL_CHECK_INTERVAL = Duration.ofSeconds(60);
    public static final String DEFAULT_BIND_HOST = "0.0.0.0";
    /** /healthz turns 503 when a change has waited longer than this for a successful sync (kube-proxy: 2 x sync period). */
    public static final Duration HEALTH_TIMEOUT = Duration.ofSeconds(60);

    private static final Pattern TOPIC_CHARS = Pattern.compile("[a-zA-Z0-9._-]{1,200}");
    private static final Pattern HOST_PORT = Pattern.compile("(\\[[0-9A-Fa-f:.]+]|[^,\\s:\\[\\]]+):[0-9]{1,5}");

    public ApplierConfig {
        nodeName = required("nodeName", nodeName);
        clusterId = required("clusterId", clusterId);
        if (!TOPIC_CHARS.matcher(clusterId).matches()) {
            throw new IllegalArgumentException("clusterId '" + clusterId
                    + "' must be 1-200 letters, digits, '.', '_' or '-' (it names the topic sluice.<clusterId>.events)");
        }
        bootstrapServers = required("bootstrapServers", bootstrapServers);
        for (String server : bootstrapServers.split(",")) {
            if (!HOST_PORT.matcher(server.trim()).matches()) {
                throw new IllegalArgumentException("bootstrapServers '" + bootstrapServers + "': '" + server
                        + "' is not host:port");
            }
        }
        eventsTopic = topic("eventsTopic", eventsTopic, "sluice." + clusterId + ".events");
        deadLetterTopic = topic("deadLetterTopic", deadLetterTopic, DEFAULT_DEAD_LETTER_TOPIC);
        if (eventsTopic.equals(deadLetterTopic)) {
            throw new IllegalArgumentException("deadLetterTopic '" + deadLetterTopic + "' must differ from eventsTopic");
        }
        Objects.requireNonNull(stateDir, "stateDir is required (the snapshot store directory)");
        clusterCidr = clusterCidr == null ? "" : clusterCidr.trim();
        if (!clusterCidr.isEmpty()) {
            for (String cidr : clusterCidr.split(",")) {
                if (!IpLiterals.isCidr(cidr.trim())) {
                    throw new IllegalArgumentException("clusterCidr '" + clusterCidr + "': '" + cidr.trim()
                            + "' is not a CIDR such as 10.244.0.0/16 or fd00:10:244::/56");
                }
            }
        }
        if (masqueradeBit < 0 || masqueradeBit > 31) {
            throw new IllegalArgumentException("masqueradeBit " + masqueradeBit + " is out of range 0-31");
        }
        nodePortAddresses = nodePortAddresses == null ? List.of() : List.copyOf(nodePortAddresses);
        family = family == null ? IpFamily.IPV4 : family;
        metricsHost = host("metricsHost", metricsHost);
        healthHost = host("healthHost", healthHost);
        // Fails here, naming the value, rather than at the first sync.
        new RenderOptions(family, splitCidrs(clusterCidr), masqueradeBit, masqueradeAll, nodePortAddresses);
        port("metricsPort", metricsPort);
        port("healthPort", healthPort);
        if (metricsPort != 0 && metricsPort == healthPort) {
            throw new IllegalArgumentException("metricsPort and healthPort are both " + metricsPort + "; they must differ");
        }
        minSyncInterval = minSyncInterval == null ? DEFAULT_MIN_SYNC_INTERVAL : minSyncInterval;
        if (minSyncInterval.isNegative()) {
            throw new IllegalArgumentException("minSyncInterval " + minSyncInterval + " must not be negative");
        }
        maxSyncInterval = maxSyncInterval == null ? DEFAULT_MAX_SYNC_INTERVAL : maxSyncInterval;
        if (maxSyncInterval.isZero() || maxSyncInterval.compareTo(minSyncInterval) < 0) {
            throw new IllegalArgumentException("maxSyncInterval " + maxSyncInterval + " must be positive and at least "
                    + "minSyncInterval " + minSyncInterval);
        }
        if (syncBurst < 1) {
            throw new IllegalArgumentException("syncBurst " + syncBurst + " must be at least 1");
        }
        driftCanaryInterval = nonNegative("driftCanaryInterval", driftCanaryInterval, DEFAULT_DRIFT_CANARY_INTERVAL);
        driftFullCheckInterval = nonNegative("driftFullCheckInterval", driftFullCheckInterval,
                DEFAULT_DRIFT_FULL_CHECK_INTERVAL);
        kafkaProperties = kafkaProperties == null ? Map.of() : Map.copyOf(kafkaProperties);
        healthCheckBindAddresses = healthCheckBindAddresses == null || healthCheckBindAddresses.isEmpty()
                ? List.of("0.0.0.0") : List.copyOf(healthCheckBindAddresses);
        for (String a : healthCheckBindAddresses) {
            if (!IpLiterals.isIp(a)) {
                throw new IllegalArgumentException("healthCheckBindAddresses " + healthCheckBindAddresses + ": '" + a
                        + "' is not an IP address such as 0.0.0.0, 10.0.0.5 or ::");
            }
        }
    }

    /** A config with every default: nodeName, clusterId, bootstrapServers and stateDir are all it needs. */
    public static ApplierConfig of(String nodeName, String clusterId, String bootstrapServers, Path stateDir) {
        return builder(nodeName, clusterId, bootstrapServers, stateDir).build();
    }

    public static Builder builder(String nodeName, String clusterId, String bootstrapServers, Path stateDir) {
        return new Builder(nodeName, clusterId, bootstrapServers, stateDir);
    }

    public Builder toBuilder() {
        return new Builder(nodeName, clusterId, bootstrapServers, stateDir)
                .eventsTopic(eventsTopic).deadLetterTopic(deadLetterTopic).clusterCidr(clusterCidr)
                .masqueradeBit(masqueradeBit).masqueradeAll(masqueradeAll).nodePortAddresses(nodePortAddresses).family(family)
                .metricsHost(metricsHost).healthHost(healthHost).metricsPort(metricsPort).healthPort(healthPort)
                .minSyncInterval(minSyncInterval).maxSyncInterval(maxSyncInterval).syncBurst(syncBurst)
                .driftCanaryInterval(driftCanaryInterval).driftFullCheckInterval(driftFullCheckInterval)
                .kafkaProperties(kafkaProperties).healthCheckBindAddresses(healthCheckBindAddresses);
    }

    /** The renderer's options this config implies. */
    public RenderOptions renderOptions() {
        return new RenderOptions(family, splitCidrs(clusterCidr), masqueradeBit, masqueradeAll, nodePortAddresses);
    }

    private static List<String> splitCidrs(String cidrs) {
        return cidrs.isEmpty() ? List.of() : java.util.Arrays.stream(cidrs.split(",")).map(String::strip).toList();
    }

    private static String host(String name, String value) {
        if (value == null || value.isBlank()) {
            return DEFAULT_BIND_HOST;
        }
        if (!IpLiterals.isIp(value.strip())) {
            throw new IllegalArgumentException(name + " '" + value + "' is not an IP address");
        }
        return value.strip();
    }

    private static String required(String name, String value) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(name + " is required, got " + (value == null ? "null" : "'" + value + "'"));
        }
        return value.trim();
    }

    private static String topic(String name, String value, String dflt) {
        if (value == null || value.isBlank()) {
            return dflt;
        }
        if (!TOPIC_CHARS.matcher(value).matches()) {
            throw new IllegalArgumentException(name + " '" + value + "' is not a legal Kafka topic name (letters, digits, '.', '_', '-')");
        }
        return value;
    }

    private static Duration nonNegative(String name, Duration value, Duration dflt) {
        if (value == null) {
            return dflt;
        }
        if (value.isNegative()) {
            throw new IllegalArgumentException(name + " " + value + " must not be negative (0 turns it off)");
        }
        return value;
    }

    private static void port(String name, int value) {
        if (value < 0 || value > 65535) {
            throw new IllegalArgumentException(name + " " + value + " is out of range 0-65535 (0 picks a free port)");
        }
    }

    /** Fluent construction with the defaults above. */
    public static final class Builder {
        private final String nodeName;
        private final String clusterId;
        private final String bootstrapServers;
        private final Path stateDir;
        private String eventsTopic;
        private String deadLetterTopic;
        private String clusterCidr;
        private int masqueradeBit = RenderOptions.DEFAULT_MASQUERADE_BIT;
        private boolean masqueradeAll;
        private List<String> nodePortAddresses = List.of();
        private IpFamily family = IpFamily.IPV4;
        private String metricsHost;
        private String healthHost;
        private int metricsPort = DEFAULT_METRICS_PORT;
        private int healthPort = DEFAULT_HEALTH_PORT;
        private Duration minSyncInterval;
        private Duration maxSyncInterval;
        private int syncBurst = DEFAULT_SYNC_BURST;
        private Duration driftCanaryInterval;
        private Duration driftFullCheckInterval;
        private Map<String, String> kafkaProperties = Map.of();
        private List<String> healthCheckBindAddresses;

        private Builder(String nodeName, String clusterId, String bootstrapServers, Path stateDir) {
            this.nodeName = nodeName;
            this.clusterId = clusterId;
            this.bootstrapServers = bootstrapServers;
            this.stateDir = stateDir;
        }

        public Builder eventsTopic(String v) { this.eventsTopic = v; return this; }
        public Builder deadLetterTopic(String v) { this.deadLetterTopic = v; return this; }
        public Builder clusterCidr(String v) { this.clusterCidr = v; return this; }
        public Builder masqueradeBit(int v) { this.masqueradeBit = v; return this; }
        public Builder masqueradeAll(boolean v) { this.masqueradeAll = v; return this; }
        public Builder nodePortAddresses(List<String> v) { this.nodePortAddresses = v; return this; }
        public Builder family(IpFamily v) { this.family = v; return this; }
        public Builder metricsHost(String v) { this.metricsHost = v; return this; }
        public Builder healthHost(String v) { this.healthHost = v; return this; }
        public Builder metricsPort(int v) { this.metricsPort = v; return this; }
        public Builder healthPort(int v) { this.healthPort = v; return this; }
        public Builder minSyncInterval(Duration v) { this.minSyncInterval = v; return this; }
        public Builder maxSyncInterval(Duration v) { this.maxSyncInterval = v; return this; }
        public Builder syncBurst(int v) { this.syncBurst = v; return this; }
        public Builder driftCanaryInterval(Duration v) { this.driftCanaryInterval = v; return this; }
        public Builder driftFullCheckInterval(Duration v) { this.driftFullCheckInterval = v; return this; }
        public Builder kafkaProperties(Map<String, String> v) { this.kafkaProperties = v; return this; }
        public Builder healthCheckBindAddresses(List<String> v) { this.healthCheckBindAddresses = v; return this; }

        public ApplierConfig build() {
            return new ApplierConfig(nodeName, clusterId, bootstrapServers, eventsTopic, deadLetterTopic, stateDir,
                    clusterCidr, masqueradeBit, masqueradeAll, nodePortAddresses, family, metricsHost, healthHost,
                    metricsPort, healthPort, minSyncInterval, maxSyncInterval, syncBurst, driftCanaryInterval,
                    driftFullCheckInterval, kafkaProperties, healthCheckBindAddresses);
        }
    }
}
