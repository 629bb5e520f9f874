package io.sluice.compose.config;

import io.sluice.applier.ApplierConfig;
import io.sluice.applier.render.IpvsOptions;
import io.sluice.applier.render.RenderOptions;
import io.sluice.compose.modes.ProxyMode;
import io.sluice.schema.model.IpFamily;
import io.sluice.schema.validate.IpLiterals;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * kube-proxy's configuration ({@code kubeproxy.config.k8s.io/v1alpha1 KubeProxyConfiguration}) as
 * Sluice reads it: one typed, validated record. Defaults are kube-proxy's own (its
 * {@code SetDefaults_KubeProxyConfiguration}); {@link #defaults()} is a file with no fields.
 * {@link KubeProxyConfigFile} reads a file into it and reports every field Sluice does not apply.
 *
 * <p>What Sluice applies: {@code mode}, {@code clusterCIDR}, {@code nodePortAddresses},
 * {@code hostnameOverride} (the node name), {@code bindAddress} (the node's primary IP when it is a
 * specific address), {@code healthzBindAddress} and {@code metricsBindAddress}, and of the active
 * mode's section {@code masqueradeBit}, {@code masqueradeAll} and {@code minSyncPeriod} (ipvs mode
 * masquerades with the iptables section's values, as kube-proxy does). The other fields are kept
 * here, typed and validated, so a file that kube-proxy would reject is rejected here too.
 *
 * @param mode               proxy mode; kube-proxy's default on Linux is iptables
 * @param hostnameOverride   this node's name when non-empty (kube-proxy lower-cases and trims it)
 * @param bindAddress        "0.0.0.0" (default) or "::" mean unset; a specific IP is the node's primary IP
 * @param clusterCidrs       pod CIDRs, at most one per family (clusterCIDR, comma-separated); default none
 * @param nodePortAddresses  CIDRs and keywords (primary, all, localhost) as written; empty: the mode's default
 *                           ({@code all} for iptables and ipvs, {@code primary} for nftables)
 * @param healthzBindAddress default 0.0.0.0:10256 ([::]:10256 when bindAddress is IPv6)
 * @param metricsBindAddress default 127.0.0.1:10249 ([::1]:10249 when bindAddress is IPv6)
 * @param iptables           the iptables section
 * @param nftables           the nftables section
 * @param ipvs               the ipvs section
 * @param conntrack          the conntrack section (Sluice sets no conntrack sysctls; kept for validation)
 * @param featureGates       feature gates as written (Sluice has none)
 */
public record ProxyConfig(
        ProxyMode mode,
        String hostnameOverride,
        String bindAddress,
        List<String> clusterCidrs,
        List<String> nodePortAddresses,
        BindAddress healthzBindAddress,
        BindAddress metricsBindAddress,
        Iptables iptables,
        Nftables nftables,
        Ipvs ipvs,
        Conntrack conntrack,
        Map<String, Boolean> featureGates) {

    public static final String DEFAULT_BIND_ADDRESS = "0.0.0.0";
    public static final int DEFAULT_HEALTHZ_PORT = 10256;
    public static final int DEFAULT_METRICS_PORT = 10249;
    public static final int DEFAULT_MASQUERADE_BIT = 14;
    public static final Duration DEFAULT_SYNC_PERIOD = Duration.ofSeconds(30);
    public static final Duration DEFAULT_MIN_SYNC_PERIOD = Duration.ofSeconds(1);
    /** nodePortAddresses keywords kube-proxy accepts besides CIDRs. */
    public static final String PRIMARY = "primary";
    public static final String ALL = "all";
    public static final String LOCALHOST = "localhost";
    /** IPVS schedulers (ipvs.scheduler; empty means rr): the kernel's, as the IPVS renderer takes them. */
    public static final Set<String> IPVS_SCHEDULERS = IpvsOptions.SCHEDULERS;

    public ProxyConfig {
        Objects.requireNonNull(mode, "mode");
        hostnameOverride = hostnameOverride == null ? "" : hostnameOverride.strip().toLowerCase();
        bindAddress = bindAddress == null || bindAddress.isBlank() ? DEFAULT_BIND_ADDRESS : bindAddress.strip();
        if (!IpLiterals.isIp(bindAddress)) {
            throw new IllegalArgumentException("bindAddress '" + bindAddress + "' is not an IP address");
        }
        clusterCidrs = List.copyOf(clusterCidrs);
        checkClusterCidrs(clusterCidrs);
        nodePortAddresses = List.copyOf(nodePortAddresses);
        for (String a : nodePortAddresses) {
            if (!Set.of(PRIMARY, ALL, LOCALHOST).contains(a) && !IpLiterals.isCidr(a)) {
                throw new IllegalArgumentException("nodePortAddresses entry '" + a
                        + "' is neither a CIDR (e.g. 192.168.0.0/16) nor one of primary, all, localhost");
            }
        }
        Objects.requireNonNull(healthzBindAddress, "healthzBindAddress");
        Objects.requireNonNull(metricsBindAddress, "metricsBindAddress");
        Objects.requireNonNull(iptables, "iptables");
        Objects.requireNonNull(nftables, "nftables");
        Objects.requireNonNull(ipvs, "ipvs");
        Objects.requireNonNull(conntrack, "conntrack");
        featureGates = Map.copyOf(featureGates);
    }

    /** kube-proxy's configuration when its file sets nothing. */
    public static ProxyConfig defaults() {
        return new ProxyConfig(ProxyMode.IPTABLES, "", DEFAULT_BIND_ADDRESS, List.of(), List.of(),
                BindAddress.defaultHealthz(DEFAULT_BIND_ADDRESS), BindAddress.defaultMetrics(DEFAULT_BIND_ADDRESS),
                Iptables.defaults(), Nftables.defaults(), Ipvs.defaults(), Conntrack.defaults(), Map.of());
    }

    public ProxyConfig withMode(ProxyMode m) {
        return new ProxyConfig(m, hostnameOverride, bindAddress, clusterCidrs, nodePortAddresses, healthzBindAddress,
                metricsBindAddress, iptables, nftables, ipvs, conntrack, featureGates);
    }

    public ProxyConfig withClusterCidrs(List<String> cidrs) {
        return new ProxyConfig(mode, hostnameOverride, bindAddress, cidrs, nodePortAddresses, healthzBindAddress,
                metricsBindAddress, iptables, nftables, ipvs, conntrack, featureGates);
    }

    /** The masquerade mark bit of the active mode (ipvs uses the iptables section, as kube-proxy does). */
    public int masqueradeBit() {
        return mode == ProxyMode.NFTABLES ? nftables.masqueradeBit() : iptables.masqueradeBit();
    }

    /** masqueradeAll of the active mode (ipvs uses the iptables section, as kube-proxy does). */
    public boolean masqueradeAll() {
        return mode == ProxyMode.NFTABLES ? nftables.masqueradeAll() : iptables.masqueradeAll();
    }

    /** The minimum interval between syncs of the active mode. */
    public Duration minSyncPeriod() {
        return switch (mode) {
            case IPTABLES -> iptables.minSyncPeriod();
            case NFTABLES -> nftables.minSyncPeriod();
            case IPVS -> ipvs.minSyncPeriod();
        };
    }

    /** clusterCIDR as kube-proxy writes it: comma-separated, "" when unset. */
    public String clusterCidr() {
        return String.join(",", clusterCidrs);
    }

    /**
     * What a renderer of {@code family} takes from this configuration. The applier derives its
     * options from the same configuration through {@link #applyTo}, so both agree.
     */
    public RenderOptions renderOptions(IpFamily family) {
        return new RenderOptions(family, clusterCidrs, masqueradeBit(), masqueradeAll(), effectiveNodePortAddresses());
    }

    /**
     * Sets on {@code builder} everything an applier takes from this configuration: the render
     * options of {@code family} (clusterCidr, masqueradeBit, masqueradeAll, nodePortAddresses),
     * minSyncInterval (the mode's minSyncPeriod), and the health and metrics addresses and ports.
     */
    public ApplierConfig.Builder applyTo(ApplierConfig.Builder builder, IpFamily family) {
        return builder.family(family).clusterCidr(clusterCidr()).masqueradeBit(masqueradeBit()).masqueradeAll(masqueradeAll())
                .nodePortAddresses(effectiveNodePortAddresses()).minSyncInterval(minSyncPeriod())
                .healthHost(healthzBindAddress.host()).healthPort(healthzBindAddress.port())
                .metricsHost(metricsBindAddress.host()).metricsPort(metricsBindAddress.port());
    }

    /** The node's primary IP that bindAddress names, if it names one (not 0.0.0.0 or ::). */
    public Optional<String> primaryNodeIp() {
        return bindAddress.equals("0.0.0.0") || bindAddress.equals("::") ? Optional.empty() : Optional.of(bindAddress);
    }

    /**
     * nodePortAddresses as renderers take them: CIDRs and {@code primary}. Keywords expand as in
     * kube-proxy ({@code all} → 0.0.0.0/0 and ::/0, {@code localhost} → 127.0.0.0/8 and ::1/128);
     * unset is the mode's default: every local address for iptables and ipvs (an empty list),
     * {@code primary} for nftables.
     */
    public List<String> effectiveNodePortAddresses() {
        if (nodePortAddresses.isEmpty()) {
            return mode == ProxyMode.NFTABLES ? List.of(PRIMARY) : List.of();
        }
        List<String> out = new ArrayList<>();
        for (String a : nodePortAddresses) {
            switch (a) {
                case ALL -> out.addAll(List.of("0.0.0.0/0", "::/0"));
                case LOCALHOST -> out.addAll(List.of("127.0.0.0/8", "::1/128"));
                default -> out.add(a);
            }
        }
        return out.stream().distinct().toList();
    }

    private static void checkClusterCidrs(List<String> cidrs) {
        if (cidrs.size() > 2) {
            throw new IllegalArgumentException("clusterCIDR '" + String.join(",", cidrs) + "' has " + cidrs.size()
                    + " CIDRs; at most two (one IPv4, one IPv6)");
        }
        Map<IpFamily, String> byFamily = new LinkedHashMap<>();
        for (String c : cidrs) {
            IpFamily f = cidrFamily(c).orElseThrow(() -> new IllegalArgumentException(
                    "clusterCIDR entry '" + c + "' is not a CIDR such as 10.244.0.0/16 or fd00:10:244::/56"));
            String other = byFamily.put(f, c);
            if (other != null) {
                throw new IllegalArgumentException("clusterCIDR '" + String.join(",", cidrs) + "' has two " + f.wireName()
                        + " CIDRs (" + other + ", " + c + "); a dual-stack pair is one IPv4 and one IPv6");
            }
        }
    }

    /** The family of a CIDR, empty when the text is not one. */
    public static Optional<IpFamily> cidrFamily(String cidr) {
        if (!IpLiterals.isCidr(cidr)) {
            return Optional.empty();
        }
        return IpLiterals.family(cidr.substring(0, cidr.indexOf('/')));
    }

    /** An address and port to serve on, as kube-proxy's *BindAddress fields give it. */
    public record BindAddress(String host, int port) {
        public BindAddress {
            if (!IpLiterals.isIp(host)) {
                throw new IllegalArgumentException("'" + host + "' is not an IP address");
            }
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("port " + port + " is out of range 0-65535");
            }
        }

        /** {@code ip:port}, {@code [v6]:port}, or just the address (then {@code defaultPort}), as kube-proxy accepts. */
        public static BindAddress parse(String text, int defaultPort) {
            String s = text.strip();
            String host = s;
            String port = null;
            if (s.startsWith("[")) {
                int end = s.indexOf(']');
                if (end < 0) {
                    throw new IllegalArgumentException("'" + text + "' has '[' without ']'");
                }
                host = s.substring(1, end);
                String rest = s.substring(end + 1);
                if (!rest.isEmpty()) {
                    if (!rest.startsWith(":")) {
                        throw new IllegalArgumentException("'" + text + "' is not [address]:port");
                    }
                    port = rest.substring(1);
                }
            } else if (s.indexOf(':') >= 0 && s.indexOf(':') == s.lastIndexOf(':')) {
                host = s.substring(0, s.indexOf(':'));
                port = s.substring(s.indexOf(':') + 1);
            }
            int p = defaultPort;
            if (port != null) {
                if (!port.matches("[0-9]{1,5}")) {
                    throw new IllegalArgumentException("'" + text + "': port '" + port + "' is not a number 0-65535");
                }
                p = Integer.parseInt(port);
            }
            return new BindAddress(host, p);
        }

        static BindAddress defaultHealthz(String bindAddress) {
            return new BindAddress(bindAddress.contains(":") ? "::" : "0.0.0.0", DEFAULT_HEALTHZ_PORT);
        }

        static BindAddress defaultMetrics(String bindAddress) {
            return new BindAddress(bindAddress.contains(":") ? "::1" : "127.0.0.1", DEFAULT_METRICS_PORT);
        }

        @Override
        public String toString() {
            return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
        }
    }

    /**
     * The iptables section. Sluice applies masqueradeBit, masqueradeAll and minSyncPeriod (in iptables
     * mode; ipvs mode masquerades with masqueradeBit and masqueradeAll).
     *
     * @param masqueradeBit      default 14
     * @param masqueradeAll      default false
     * @param localhostNodePorts default true (kube-proxy's); Sluice never serves NodePorts on 127.0.0.0/8
     * @param snatNodeInternalIP default false; Sluice masquerades to the egress interface's address
     * @param syncPeriod         default 30s; Sluice syncs on changes, not on a timer
     * @param minSyncPeriod      default 1s
     */
    public record Iptables(int masqueradeBit, boolean masqueradeAll, boolean localhostNodePorts, boolean snatNodeInternalIP,
            Duration syncPeriod, Duration minSyncPeriod) {
        public Iptables {
            checkBit("iptables.masqueradeBit", masqueradeBit);
            checkPeriods("iptables", syncPeriod, minSyncPeriod);
        }

        public static Iptables defaults() {
            return new Iptables(DEFAULT_MASQUERADE_BIT, false, true, false, DEFAULT_SYNC_PERIOD, DEFAULT_MIN_SYNC_PERIOD);
        }
    }

    /**
     * The nftables section; Sluice applies all but syncPeriod in nftables mode.
     *
     * @param masqueradeBit default 14
     * @param masqueradeAll default false
     * @param syncPeriod    default 30s; Sluice syncs on changes, not on a timer
     * @param minSyncPeriod default 1s
     */
    public record Nftables(int masqueradeBit, boolean masqueradeAll, Duration syncPeriod, Duration minSyncPeriod) {
        public Nftables {
            checkBit("nftables.masqueradeBit", masqueradeBit);
            checkPeriods("nftables", syncPeriod, minSyncPeriod);
        }

        public static Nftables defaults() {
            return new Nftables(DEFAULT_MASQUERADE_BIT, false, DEFAULT_SYNC_PERIOD, DEFAULT_MIN_SYNC_PERIOD);
        }
    }

    /**
     * The ipvs section.
     *
     * @param scheduler     IPVS scheduler; default "" which kube-proxy treats as rr
     * @param syncPeriod    default 30s
     * @param minSyncPeriod default 0s (kube-proxy sets no default here)
     * @param strictARP     default false
     * @param excludeCIDRs  default none
     * @param tcpTimeout    default 0s: leave the system's value
     * @param tcpFinTimeout default 0s: leave the system's value
     * @param udpTimeout    default 0s: leave the system's value
     */
    public record Ipvs(String scheduler, Duration syncPeriod, Duration minSyncPeriod, boolean strictARP, List<String> excludeCIDRs,
            Duration tcpTimeout, Duration tcpFinTimeout, Duration udpTimeout) {
        public Ipvs {
            scheduler = scheduler == null ? "" : scheduler.strip();
            if (!scheduler.isEmpty() && !IPVS_SCHEDULERS.contains(scheduler)) {
                throw new IllegalArgumentException("ipvs.scheduler '" + scheduler + "' is not one of " + new java.util.TreeSet<>(IPVS_SCHEDULERS));
            }
            checkPeriods("ipvs", syncPeriod, minSyncPeriod);
            excludeCIDRs = List.copyOf(excludeCIDRs);
            for (String c : excludeCIDRs) {
                if (!IpLiterals.isCidr(c)) {
                    throw new IllegalArgumentException("ipvs.excludeCIDRs entry '" + c + "' is not a CIDR");
                }
            }
            nonNegative("ipvs.tcpTimeout", tcpTimeout);
            nonNegative("ipvs.tcpFinTimeout", tcpFinTimeout);
            nonNegative("ipvs.udpTimeout", udpTimeout);
        }

        /** The scheduler in effect: rr when unset. */
        public String effectiveScheduler() {
            return scheduler.isEmpty() ? "rr" : scheduler;
        }

        public static Ipvs defaults() {
            return new Ipvs("", DEFAULT_SYNC_PERIOD, Duration.ZERO, false, List.of(), Duration.ZERO, Duration.ZERO, Duration.ZERO);
        }
    }

    /**
     * The conntrack section: sysctls kube-proxy sets at start. Sluice sets none of them; the values
     * are validated as kube-proxy would and reported as not applying.
     *
     * @param maxPerCore            default 32768 (0: leave nf_conntrack_max as it is)
     * @param min                   default 131072
     * @param tcpEstablishedTimeout default 24h
     * @param tcpCloseWaitTimeout   default 1h
     * @param tcpBeLiberal          default false
     * @param udpTimeout            default 0s: leave the system's value
     * @param udpStreamTimeout      default 0s: leave the system's value
     */
    public record Conntrack(int maxPerCore, int min, Duration tcpEstablishedTimeout, Duration tcpCloseWaitTimeout,
            boolean tcpBeLiberal, Duration udpTimeout, Duration udpStreamTimeout) {
        public Conntrack {
            if (maxPerCore < 0) {
                throw new IllegalArgumentException("conntrack.maxPerCore " + maxPerCore + " must not be negative");
            }
            if (min < 0) {
                throw new IllegalArgumentException("conntrack.min " + min + " must not be negative");
            }
            nonNegative("conntrack.tcpEstablishedTimeout", tcpEstablishedTimeout);
            nonNegative("conntrack.tcpCloseWaitTimeout", tcpCloseWaitTimeout);
            nonNegative("conntrack.udpTimeout", udpTimeout);
            nonNegative("conntrack.udpStreamTimeout", udpStreamTimeout);
        }

        public static Conntrack defaults() {
            return new Conntrack(32 * 1024, 128 * 1024, Duration.ofHours(24), Duration.ofHours(1), false, Duration.ZERO, Duration.ZERO);
        }
    }

    private static void checkBit(String field, int bit) {
        if (bit < 0 || bit > 31) {
            throw new IllegalArgumentException(field + " " + bit + " is out of range 0-31");
        }
    }

    private static void checkPeriods(String section, Duration syncPeriod, Duration minSyncPeriod) {
        if (syncPeriod.isNegative() || syncPeriod.isZero()) {
            throw new IllegalArgumentException(section + ".syncPeriod " + GoDuration.format(syncPeriod) + " must be greater than 0");
        }
        nonNegative(section + ".minSyncPeriod", minSyncPeriod);
        if (minSyncPeriod.compareTo(syncPeriod) > 0) {
            throw new IllegalArgumentException(section + ".minSyncPeriod " + GoDuration.format(minSyncPeriod)
                    + " must be less than or equal to " + section + ".syncPeriod " + GoDuration.format(syncPeriod));
        }
    }

    private static void nonNegative(String field, Duration d) {
        if (d.isNegative()) {
            throw new IllegalArgumentException(field + " " + GoDuration.format(d) + " must not be negative");
        }
    }
}
