package io.sluice.watcher;

import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Configuration of one {@link ClusterWatcher}, validated at construction.
 *
 * @param clusterId          the cluster's id, a DNS label ({@code [a-z0-9]([-a-z0-9]*[a-z0-9])?}, at most 63 chars);
 *                           written into every event
 * @param bootstrapServers   Kafka {@code bootstrap.servers}, a comma-separated list of {@code host:port}
 * @param topic              the cluster's events topic; by convention {@code sluice.<clusterId>.events}
 *                           ({@link #of} uses that). Created if missing: 1 partition, compacted.
 * @param replicationFactor  replication factor used when the topic has to be created (1 for dev, 3 in production)
 * @param kafkaTimeout       bound on every blocking Kafka call (topic creation, reading the log at start,
 *                           waiting for a produce to be acknowledged). Default 60 s.
 * @param kafkaOverrides     extra producer/consumer/admin settings (security, timeouts); they cannot turn off
 *                           idempotence, acks=all or ordering, which the watcher sets last
 */
public record WatcherConfig(
        String clusterId,
        String bootstrapServers,
        String topic,
        short replicationFactor,
        Duration kafkaTimeout,
        Map<String, String> kafkaOverrides) {

    public static final Duration DEFAULT_KAFKA_TIMEOUT = Duration.ofSeconds(60);
    private static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");
    private static final Pattern TOPIC = Pattern.compile("[a-zA-Z0-9._-]{1,249}");
    private static final Pattern HOST_PORT = Pattern.compile("[^\\s,:]+(:[^\\s,:]+)*:[0-9]{1,5}|\\[[0-9a-fA-F:.]+\\]:[0-9]{1,5}");

    public WatcherConfig {
        Objects.requireNonNull(clusterId, "clusterId must be set");
        if (!DNS_LABEL.matcher(clusterId).matches()) {
            throw new IllegalArgumentException("clusterId '" + clusterId + "' is not a DNS label (lowercase letters, digits and '-',"
                    + " 1-63 chars, starting and ending with a letter or digit)");
        }
        Objects.requireNonNull(bootstrapServers, "bootstrapServers must be set");
        if (bootstrapServers.isBlank()) {
            throw new IllegalArgumentException("bootstrapServers must not be empty (expected host:port[,host:port...])");
        }
        for (String server : bootstrapServers.split(",")) {
            if (!HOST_PORT.matcher(server.trim()).matches()) {
                throw new IllegalArgumentException("bootstrapServers entry '" + server.trim() + "' is not host:port");
            }
        }
        Objects.requireNonNull(topic, "topic must be set");
        if (!TOPIC.matcher(topic).matches() || topic.equals(".") || topic.equals("..")) {
            throw new IllegalArgumentException("topic '" + topic + "' is not a legal Kafka topic name"
                    + " (1-249 chars of [a-zA-Z0-9._-], not '.' or '..')");
        }
        if (replicationFactor < 1) {
            throw new IllegalArgumentException("replicationFactor must be >= 1, got " + replicationFactor);
        }
        kafkaTimeout = kafkaTimeout == null ? DEFAULT_KAFKA_TIMEOUT : kafkaTimeout;
        if (kafkaTimeout.isNegative() || kafkaTimeout.isZero()) {
            throw new IllegalArgumentException("kafkaTimeout must be positive, got " + kafkaTimeout);
        }
        kafkaOverrides = kafkaOverrides == null ? Map.of() : Map.copyOf(kafkaOverrides);
    }

    /** Defaults: topic {@code sluice.<clusterId>.events}, replication factor 1, Kafka timeout 60 s, no overrides. */
    public static WatcherConfig of(String clusterId, String bootstrapServers) {
        return new WatcherConfig(clusterId, bootstrapServers, topicFor(clusterId), (short) 1, DEFAULT_KAFKA_TIMEOUT, Map.of());
    }

    /** The conventional events topic of a cluster. */
    public static String topicFor(String clusterId) {
        return "sluice." + clusterId + ".events";
    }

    public WatcherConfig withTopic(String newTopic) {
        return new WatcherConfig(clusterId, bootstrapServers, newTopic, replicationFactor, kafkaTimeout, kafkaOverrides);
    }

    public WatcherConfig withReplicationFactor(short rf) {
        return new WatcherConfig(clusterId, bootstrapServers, topic, rf, kafkaTimeout, kafkaOverrides);
    }

    public WatcherConfig withKafkaTimeout(Duration timeout) {
        return new WatcherConfig(clusterId, bootstrapServers, topic, replicationFactor, timeout, kafkaOverrides);
    }

    public WatcherConfig withKafkaOverrides(Map<String, String> overrides) {
        return new WatcherConfig(clusterId, bootstrapServers, topic, replicationFactor, kafkaTimeout, overrides);
    }
}
