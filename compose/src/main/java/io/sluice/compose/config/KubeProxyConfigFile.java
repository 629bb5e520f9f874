package io.sluice.compose.config;

import io.sluice.compose.input.InputException;
import io.sluice.compose.input.YamlFile;
import io.sluice.compose.modes.ProxyMode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import tools.jackson.databind.JsonNode;

/**
 * Reads kube-proxy's own configuration file ({@code apiVersion: kubeproxy.config.k8s.io/v1alpha1},
 * {@code kind: KubeProxyConfiguration}, the type in kubernetes' staging/src/k8s.io/kube-proxy/config/
 * v1alpha1/types.go) into a {@link ProxyConfig}, so users migrate by pointing Sluice at the file
 * they already have.
 *
 * <p>No field is silently ignored. Each field is either applied, or reported as a warning saying
 * why it does not apply ({@code KubeProxyConfiguration field conntrack.maxPerCore does not apply to
 * Sluice: …; ignored}). Fields left at their zero value ({@code ""}, {@code 0}, {@code 0s},
 * {@code false}, {@code null}, empty) that would do nothing in kube-proxy either are listed together
 * in one line, so kubeadm's file (which writes every field) does not drown the useful warnings.
 * Unknown fields, values of the wrong type, a wrong apiVersion or kind, and values kube-proxy's
 * validation rejects are errors naming the field, its value and {@code file:line}.
 */
public final class KubeProxyConfigFile {
    public static final String API_VERSION = "kubeproxy.config.k8s.io/v1alpha1";
    public static final String KIND = "KubeProxyConfiguration";

    private static final String SYNC_ON_CHANGE = "the applier syncs when the event log changes (at most once per minSyncPeriod),"
            + " not on a timer; the checker reports a node whose rules drifted";
    private static final String NO_CONNTRACK_SYSCTLS = "Sluice sets no conntrack sysctls; set them on the node (sysctl %s) if you relied on kube-proxy for it";
    private static final String NO_API = "the node-applier reads the cluster's state from Kafka, not from the Kubernetes API"
            + " (the watcher takes its kubeconfig from KUBECONFIG)";
    private static final String WINDOWS = "Windows (mode kernelspace) only; Sluice programs Linux nodes";
    private static final String LOGGING = "Sluice logs through logback; configure it with -Dlogback.configurationFile=FILE";
    /** The ipvs fields Sluice applies in ipvs mode; the others are reported. */
    static final Set<String> IPVS_APPLIED = Set.of("scheduler", "minSyncPeriod", "strictARP", "excludeCIDRs", "tcpTimeout", "tcpFinTimeout",
            "udpTimeout");

    /** The configuration and the warnings for fields that do not apply, ready to print. */
    public record Loaded(ProxyConfig config, List<String> warnings) {
        public Loaded {
            warnings = List.copyOf(warnings);
        }
    }

    private enum Type { STRING, BOOL, INT, FLOAT, DURATION, STRINGS, BOOL_MAP, ANY }

    private record Warning(int line, String text) {
    }

    private final YamlFile.Document doc;
    private final List<String> problems = new ArrayList<>();
    private final List<Warning> warnings = new ArrayList<>();
    private final List<String> zeroIgnored = new ArrayList<>();
    private ProxyMode mode = ProxyMode.IPTABLES;

    private KubeProxyConfigFile(YamlFile.Document doc) {
        this.doc = doc;
    }

    /** Reads and validates {@code file}; throws with every problem, each naming file:line and field. */
    public static Loaded load(Path file) throws InputException {
        List<YamlFile.Document> docs = YamlFile.read(file);
        if (docs.size() != 1) {
            throw new InputException(file + ": expected one " + KIND + " document, found " + docs.size());
        }
        KubeProxyConfigFile reader = new KubeProxyConfigFile(docs.get(0));
        ProxyConfig config = reader.read();
        if (!reader.problems.isEmpty()) {
            throw new InputException(reader.problems);
        }
        List<String> out = new ArrayList<>();
        reader.warnings.stream().sorted(Comparator.comparingInt(Warning::line)).forEach(w -> out.add(w.text()));
        if (!reader.zeroIgnored.isEmpty()) {
            out.add(file + ": " + KIND + " fields left at zero or null (kube-proxy's defaults) that do not apply to Sluice;"
                    + " ignored: " + String.join(", ", reader.zeroIgnored));
        }
        return new Loaded(config, out);
    }

    private ProxyConfig read() {
        JsonNode root = doc.root();
        if (!root.isObject()) {
            problems.add(doc.where("") + ": expected a " + KIND + " mapping");
            return null;
        }
        Section top = new Section("", "", root);
        if (!typeMeta(top)) {
            return null;
        }
        String modeText = top.string("mode", "");
        if (!modeText.isEmpty()) {
            if (modeText.equals("kernelspace")) {
                problems.add(top.where("mode") + ": " + KIND + " field mode: 'kernelspace' is Windows' mode; Sluice supports "
                        + ProxyMode.choices());
            } else {
                try {
                    mode = ProxyMode.parse(modeText);
                } catch (IllegalArgumentException e) {
                    problems.add(top.where("mode") + ": " + KIND + " field mode: '" + modeText + "' is not one of " + ProxyMode.choices());
                }
            }
        }
        ProxyConfig config = build(top);
        top.finish();
        return problems.isEmpty() ? config : null;
    }

    private boolean typeMeta(Section top) {
        String apiVersion = top.string("apiVersion", "");
        String kind = top.string("kind", "");
        if (kind.equals("ConfigMap")) {
            problems.add(doc.where("") + ": this is a ConfigMap; give Sluice the " + KIND + " inside it, e.g. kubectl -n kube-system"
                    + " get configmap kube-proxy -o jsonpath='{.data.config\\.conf}' > kube-proxy.yaml");
            return false;
        }
        boolean ok = true;
        if (!API_VERSION.equals(apiVersion)) {
            problems.add(top.where("apiVersion") + ": apiVersion '" + apiVersion + "' is not " + API_VERSION);
            ok = false;
        }
        if (!KIND.equals(kind)) {
            problems.add(top.where("kind") + ": kind '" + kind + "' is not " + KIND);
            ok = false;
        }
        return ok;
    }

    private ProxyConfig build(Section top) {
        String bindAddress = top.string("bindAddress", ProxyConfig.DEFAULT_BIND_ADDRESS);
        String bind = bindAddress.isBlank() ? ProxyConfig.DEFAULT_BIND_ADDRESS : bindAddress;
        String hostname = top.string("hostnameOverride", "");
        List<String> clusterCidrs = Arrays.stream(top.string("clusterCIDR", "").split(","))
                .map(String::strip).filter(s -> !s.isEmpty()).toList();
        List<String> nodePortAddresses = top.strings("nodePortAddresses");
        for (int i = 0; i < nodePortAddresses.size(); i++) {
            String a = nodePortAddresses.get(i);
            if (a.equals(ProxyConfig.LOCALHOST) || a.startsWith("127.") || a.equals("::1/128")) {
                warn(top.line("nodePortAddresses/" + i), "nodePortAddresses[" + i + "] '" + a + "'",
                        "Sluice never serves NodePorts on loopback addresses (it does not set route_localnet), so this entry selects no address");
            }
        }
        ProxyConfig.BindAddress healthz = bindAddress(top, "healthzBindAddress", () -> ProxyConfig.BindAddress.defaultHealthz(bind),
                ProxyConfig.DEFAULT_HEALTHZ_PORT);
        ProxyConfig.BindAddress metrics = bindAddress(top, "metricsBindAddress", () -> ProxyConfig.BindAddress.defaultMetrics(bind),
                ProxyConfig.DEFAULT_METRICS_PORT);
        detectLocal(top);
        Map<String, Boolean> gates = top.boolMap("featureGates");
        gates.forEach((gate, on) -> warn(top.line("featureGates/" + YamlFile.escape(gate)), "featureGates." + gate,
                "Sluice has no feature gates; its behaviour is fixed per release"));
        if (gates.isEmpty() && top.present("featureGates")) {
            zeroIgnored.add("featureGates");
        }
        ignoredTopLevel(top);
        ProxyConfig.Iptables iptables = iptables(top.section("iptables"));
        ProxyConfig.Nftables nftables = nftables(top.section("nftables"));
        ProxyConfig.Ipvs ipvs = ipvs(top.section("ipvs"));
        ProxyConfig.Conntrack conntrack = conntrack(top.section("conntrack"));
        if (iptables == null || nftables == null || ipvs == null || conntrack == null || healthz == null || metrics == null) {
            return null;
        }
        return construct("", () -> new ProxyConfig(mode, hostname, bind, clusterCidrs, nodePortAddresses, healthz, metrics,
                iptables, nftables, ipvs, conntrack, gates));
    }

    private ProxyConfig.BindAddress bindAddress(Section s, String name, Supplier<ProxyConfig.BindAddress> dflt, int defaultPort) {
        String text = s.string(name, "");
        if (text.isBlank()) {
            return dflt.get();
        }
        try {
            return ProxyConfig.BindAddress.parse(text, defaultPort);
        } catch (IllegalArgumentException e) {
            problems.add(s.where(name) + ": " + KIND + " field " + name + ": " + e.getMessage());
            return null;
        }
    }

    private void detectLocal(Section top) {
        String detect = top.string("detectLocalMode", "");
        if (!detect.isEmpty() && !detect.equals("ClusterCIDR")) {
            problems.add(top.where("detectLocalMode") + ": " + KIND + " field detectLocalMode: '" + detect + "' is not supported;"
                    + " Sluice tells pod traffic apart by clusterCIDR only (detectLocalMode ClusterCIDR), and using it instead"
                    + " would change which traffic is masqueraded");
        }
        Section d = top.section("detectLocal");
        for (String f : List.of("bridgeInterface", "interfaceNamePrefix")) {
            d.ignored(f, Type.STRING, "used only with detectLocalMode BridgeInterface or InterfaceNamePrefix, which Sluice does not support", true);
        }
        d.finish();
    }

    private void ignoredTopLevel(Section top) {
        Section cc = top.section("clientConnection");
        for (String f : List.of("kubeconfig", "acceptContentTypes", "contentType")) {
            cc.ignored(f, Type.STRING, NO_API, true);
        }
        cc.ignored("qps", Type.FLOAT, NO_API, true);
        cc.ignored("burst", Type.INT, NO_API, true);
        cc.finish();
        top.section("logging").ignoredTree(LOGGING);
        Section win = top.section("winkernel");
        for (String f : List.of("networkName", "sourceVip", "rootHnsEndpointName")) {
            win.ignored(f, Type.STRING, WINDOWS, true);
        }
        for (String f : List.of("enableDSR", "forwardHealthCheckVip")) {
            win.ignored(f, Type.BOOL, WINDOWS, true);
        }
        win.finish();
        top.ignored("windowsRunAsService", Type.BOOL, WINDOWS, true);
        top.ignored("bindAddressHardFail", Type.BOOL, "a Sluice applier always exits when it cannot bind its health or metrics port", true);
        top.ignored("enableProfiling", Type.BOOL, "Sluice serves no /debug/pprof; profile the JVM with JDK Flight Recorder", true);
        top.ignored("showHiddenMetricsForVersion", Type.STRING, "Sluice's metrics have no hidden-metrics versions", true);
        top.ignored("oomScoreAdj", Type.INT, "Sluice does not set its own OOM score (kube-proxy sets -999 when this is null);"
                + " set it in the DaemonSet or the systemd unit", false);
        top.ignored("configSyncPeriod", Type.DURATION, "the node-applier does not list the Kubernetes API; it follows the event log continuously", true);
        top.ignored("portRange", Type.STRING, "kube-proxy ignores it too (it configured the removed userspace proxy)", true);
    }

    private ProxyConfig.Iptables iptables(Section s) {
        ProxyConfig.Iptables d = ProxyConfig.Iptables.defaults();
        Set<ProxyMode> masq = EnumSet.of(ProxyMode.IPTABLES, ProxyMode.IPVS);
        int bit = s.modeInt("masqueradeBit", d.masqueradeBit(), masq);
        boolean all = s.modeBool("masqueradeAll", d.masqueradeAll(), masq);
        boolean localhost = s.bool("localhostNodePorts", d.localhostNodePorts());
        if (s.present("localhostNodePorts") && localhost) {
            s.warnIf(mode == ProxyMode.IPTABLES, "localhostNodePorts", "Sluice never serves NodePorts on 127.0.0.0/8 (it does not set"
                    + " route_localnet), as kube-proxy does with localhostNodePorts: false; kube-proxy's default is true");
        }
        boolean snat = s.bool("snatNodeInternalIP", d.snatNodeInternalIP());
        if (snat) {
            s.warnIf(mode == ProxyMode.IPTABLES, "snatNodeInternalIP", "Sluice masquerades Service traffic to the egress interface's address");
        }
        Duration sync = s.duration("syncPeriod", d.syncPeriod());
        s.ignoredValue("syncPeriod", SYNC_ON_CHANGE);
        Duration minSync = s.modeDuration("minSyncPeriod", d.minSyncPeriod(), EnumSet.of(ProxyMode.IPTABLES));
        s.finish();
        return construct("iptables", () -> new ProxyConfig.Iptables(bit, all, localhost, snat, sync, minSync));
    }

    private ProxyConfig.Nftables nftables(Section s) {
        ProxyConfig.Nftables d = ProxyConfig.Nftables.defaults();
        Set<ProxyMode> nft = EnumSet.of(ProxyMode.NFTABLES);
        int bit = s.modeInt("masqueradeBit", d.masqueradeBit(), nft);
        boolean all = s.modeBool("masqueradeAll", d.masqueradeAll(), nft);
        Duration sync = s.duration("syncPeriod", d.syncPeriod());
        s.ignoredValue("syncPeriod", SYNC_ON_CHANGE);
        Duration minSync = s.modeDuration("minSyncPeriod", d.minSyncPeriod(), nft);
        s.finish();
        return construct("nftables", () -> new ProxyConfig.Nftables(bit, all, sync, minSync));
    }

    private ProxyConfig.Ipvs ipvs(Section s) {
        ProxyConfig.Ipvs d = ProxyConfig.Ipvs.defaults();
        Set<ProxyMode> ipvsMode = EnumSet.of(ProxyMode.IPVS);
        String scheduler = s.string("scheduler", d.scheduler());
        Duration sync = s.duration("syncPeriod", d.syncPeriod());
        Duration minSync = s.duration("minSyncPeriod", d.minSyncPeriod());
        boolean strictArp = s.bool("strictARP", d.strictARP());
        List<String> exclude = s.strings("excludeCIDRs");
        Duration tcp = s.duration("tcpTimeout", d.tcpTimeout());
        Duration tcpFin = s.duration("tcpFinTimeout", d.tcpFinTimeout());
        Duration udp = s.duration("udpTimeout", d.udpTimeout());
        // Every field but syncPeriod is applied in ipvs mode (scheduler by the renderer; strictARP, timeouts and
        // excludeCIDRs by IpvsBackend); in the other modes kube-proxy ignores the section, and so do we, saying so.
        for (String field : List.of("scheduler", "syncPeriod", "minSyncPeriod", "strictARP", "excludeCIDRs", "tcpTimeout",
                "tcpFinTimeout", "udpTimeout")) {
            if (!IPVS_APPLIED.contains(field)) {
                s.ignoredValue(field, SYNC_ON_CHANGE);
            }
            s.modeUsed(field, ipvsMode);
        }
        s.finish();
        return construct("ipvs", () -> new ProxyConfig.Ipvs(scheduler, sync, minSync, strictArp, exclude, tcp, tcpFin, udp));
    }

    private ProxyConfig.Conntrack conntrack(Section s) {
        ProxyConfig.Conntrack d = ProxyConfig.Conntrack.defaults();
        int maxPerCore = s.integer("maxPerCore", d.maxPerCore());
        int min = s.integer("min", d.min());
        Duration established = s.duration("tcpEstablishedTimeout", d.tcpEstablishedTimeout());
        Duration closeWait = s.duration("tcpCloseWaitTimeout", d.tcpCloseWaitTimeout());
        boolean liberal = s.bool("tcpBeLiberal", d.tcpBeLiberal());
        Duration udp = s.duration("udpTimeout", d.udpTimeout());
        Duration udpStream = s.duration("udpStreamTimeout", d.udpStreamTimeout());
        // null means kube-proxy's default, which kube-proxy does write to the kernel; only an explicit 0 leaves it alone.
        s.conntrack("maxPerCore", "net.netfilter.nf_conntrack_max; kube-proxy's default is 32768 per CPU, at least conntrack.min");
        s.conntrack("min", "net.netfilter.nf_conntrack_max; kube-proxy's default floor is 131072");
        s.conntrack("tcpEstablishedTimeout", "net.netfilter.nf_conntrack_tcp_timeout_established; kube-proxy's default is 86400");
        s.conntrack("tcpCloseWaitTimeout", "net.netfilter.nf_conntrack_tcp_timeout_close_wait; kube-proxy's default is 3600");
        s.ignored("tcpBeLiberal", Type.BOOL, String.format(NO_CONNTRACK_SYSCTLS, "net.netfilter.nf_conntrack_tcp_be_liberal"), true);
        s.ignored("udpTimeout", Type.DURATION, String.format(NO_CONNTRACK_SYSCTLS, "net.netfilter.nf_conntrack_udp_timeout"), true);
        s.ignored("udpStreamTimeout", Type.DURATION, String.format(NO_CONNTRACK_SYSCTLS, "net.netfilter.nf_conntrack_udp_timeout_stream"), true);
        s.finish();
        return construct("conntrack", () -> new ProxyConfig.Conntrack(maxPerCore, min, established, closeWait, liberal, udp, udpStream));
    }

    /** Builds a record; a validation error is reported at the line of the field its message starts with. */
    private <T> T construct(String section, Supplier<T> build) {
        try {
            return build.get();
        } catch (IllegalArgumentException e) {
            String msg = e.getMessage();
            String field = msg.split(" ")[0];
            String pointer = "/" + field.replace('.', '/');
            if (!doc.lines().containsKey(pointer)) {
                pointer = section.isEmpty() ? "" : "/" + section;
            }
            problems.add(doc.where(pointer) + ": " + KIND + " field " + msg);
            return null;
        }
    }

    private void warn(int line, String field, String why) {
        warnings.add(new Warning(line, doc.file() + ":" + line + ": " + KIND + " field " + field + " does not apply to Sluice: " + why + "; ignored"));
    }

    /** The fields of one mapping of the file; every field must be taken, or it is an unknown-field error. */
    private final class Section {
        private final String path;
        private final String pointer;
        private final JsonNode node;
        private final Set<String> taken = new HashSet<>();

        Section(String path, String pointer, JsonNode node) {
            this.path = path;
            this.pointer = pointer;
            this.node = node;
        }

        String field(String name) {
            return path.isEmpty() ? name : path + "." + name;
        }

        String where(String name) {
            return doc.where(pointer + "/" + YamlFile.escape(name));
        }

        int line(String relative) {
            return doc.line(pointer + "/" + relative);
        }

        boolean present(String name) {
            return node.isObject() && node.has(name);
        }

        /** The value, or null when absent or null; marks the field known. */
        JsonNode take(String name) {
            taken.add(name);
            JsonNode v = node.isObject() ? node.get(name) : null;
            return v == null || v.isNull() ? null : v;
        }

        Section section(String name) {
            JsonNode v = take(name);
            if (v != null && !v.isObject()) {
                typeError(name, "a mapping", v);
                v = null;
            }
            return new Section(field(name), pointer + "/" + YamlFile.escape(name), v == null ? tools.jackson.databind.node.MissingNode.getInstance() : v);
        }

        String string(String name, String dflt) {
            JsonNode v = take(name);
            if (v == null) {
                return dflt;
            }
            if (!v.isString()) {
                typeError(name, "a string", v);
                return dflt;
            }
            return v.stringValue();
        }

        boolean bool(String name, boolean dflt) {
            JsonNode v = take(name);
            if (v == null) {
                return dflt;
            }
            if (!v.isBoolean()) {
                typeError(name, "true or false", v);
                return dflt;
            }
            return v.booleanValue();
        }

        int integer(String name, int dflt) {
            JsonNode v = take(name);
            if (v == null) {
                return dflt;
            }
            if (!v.isIntegralNumber() || !v.canConvertToInt()) {
                typeError(name, "a 32-bit integer", v);
                return dflt;
            }
            return v.intValue();
        }

        Duration duration(String name, Duration dflt) {
            JsonNode v = take(name);
            if (v == null) {
                return dflt;
            }
            if (v.isIntegralNumber() && v.canConvertToInt() && v.intValue() == 0) {
                return dflt;
            }
            if (!v.isString()) {
                typeError(name, "a duration such as 30s", v);
                return dflt;
            }
            try {
                Duration d = GoDuration.parse(v.stringValue());
                return d.isZero() ? dflt : d;
            } catch (IllegalArgumentException e) {
                problems.add(where(name) + ": " + KIND + " field " + field(name) + ": " + e.getMessage());
                return dflt;
            }
        }

        List<String> strings(String name) {
            JsonNode v = take(name);
            if (v == null) {
                return List.of();
            }
            if (!v.isArray()) {
                typeError(name, "a list of strings", v);
                return List.of();
            }
            List<String> out = new ArrayList<>();
            for (int i = 0; i < v.size(); i++) {
                JsonNode item = v.get(i);
                if (!item.isString()) {
                    problems.add(doc.where(pointer + "/" + YamlFile.escape(name) + "/" + i) + ": " + KIND + " field " + field(name)
                            + "[" + i + "]: expected a string, got " + shown(item));
                } else {
                    out.add(item.stringValue().strip());
                }
            }
            return out;
        }

        Map<String, Boolean> boolMap(String name) {
            JsonNode v = take(name);
            Map<String, Boolean> out = new LinkedHashMap<>();
            if (v == null) {
                return out;
            }
            if (!v.isObject()) {
                typeError(name, "a mapping of names to true or false", v);
                return out;
            }
            for (Map.Entry<String, JsonNode> e : v.properties()) {
                if (!e.getValue().isBoolean()) {
                    problems.add(doc.where(pointer + "/" + YamlFile.escape(name) + "/" + YamlFile.escape(e.getKey())) + ": " + KIND
                            + " field " + field(name) + "." + e.getKey() + ": expected true or false, got " + shown(e.getValue()));
                } else {
                    out.put(e.getKey(), e.getValue().booleanValue());
                }
            }
            return out;
        }

        /** A field Sluice reads only in some modes: used there, reported (unless zero) in the others. */
        int modeInt(String name, int dflt, Set<ProxyMode> modes) {
            int v = integer(name, dflt);
            modeUsed(name, modes);
            return v;
        }

        boolean modeBool(String name, boolean dflt, Set<ProxyMode> modes) {
            boolean v = bool(name, dflt);
            modeUsed(name, modes);
            return v;
        }

        Duration modeDuration(String name, Duration dflt, Set<ProxyMode> modes) {
            Duration v = duration(name, dflt);
            modeUsed(name, modes);
            return v;
        }

        void modeUsed(String name, Set<ProxyMode> modes) {
            if (!modes.contains(mode)) {
                String in = String.join(" and ", modes.stream().map(ProxyMode::wireName).toList());
                ignoredValue(name, "it is read only in mode " + in + " (kube-proxy reads it there only too) and the mode is " + mode);
            }
        }

        /** Reports a present field (already read and typed) that Sluice does not apply; zero values go to the summary. */
        void ignoredValue(String name, String why) {
            if (!present(name)) {
                return;
            }
            JsonNode v = node.get(name);
            if (isZero(v)) {
                zeroIgnored.add(field(name));
            } else {
                warn(line(YamlFile.escape(name)), field(name), why);
            }
        }

        void warnIf(boolean applies, String name, String why) {
            if (applies) {
                warn(line(YamlFile.escape(name)), field(name), why);
            } else {
                modeUsed(name, EnumSet.of(ProxyMode.IPTABLES));
            }
        }

        /** A conntrack field: null (kube-proxy's default, which it writes) is reported; only an explicit zero is a no-op. */
        void conntrack(String name, String sysctlAndDefault) {
            if (!present(name)) {
                return;
            }
            JsonNode v = node.get(name);
            if (!v.isNull() && isZero(v)) {
                zeroIgnored.add(field(name));
            } else {
                warn(line(YamlFile.escape(name)), field(name), String.format(NO_CONNTRACK_SYSCTLS, sysctlAndDefault));
            }
        }

        /** Takes, type-checks and reports a field Sluice never applies. */
        void ignored(String name, Type type, String why, boolean zeroIsNoop) {
            JsonNode v = take(name);
            if (!present(name)) {
                return;
            }
            if (v != null && !hasType(v, type)) {
                typeError(name, describe(type), v);
                return;
            }
            if (zeroIsNoop && (v == null || isZero(v))) {
                zeroIgnored.add(field(name));
            } else {
                warn(line(YamlFile.escape(name)), field(name), why);
            }
        }

        /** A whole sub-tree Sluice does not apply (logging): every leaf reported, none type-checked. */
        void ignoredTree(String why) {
            if (node.isObject() && node.isEmpty()) {
                zeroIgnored.add(path);
            }
            leaves(node, pointer, path, why);
        }

        private void leaves(JsonNode n, String ptr, String fieldPath, String why) {
            if (n.isObject() && !n.isEmpty()) {
                for (Map.Entry<String, JsonNode> e : n.properties()) {
                    leaves(e.getValue(), ptr + "/" + YamlFile.escape(e.getKey()), fieldPath + "." + e.getKey(), why);
                }
            } else if (!n.isMissingNode() && !ptr.equals(pointer)) {
                if (isZero(n)) {
                    zeroIgnored.add(fieldPath);
                } else {
                    warn(doc.line(ptr), fieldPath, why);
                }
            }
        }

        /** Every field of the mapping that nothing took is unknown: an error naming it. */
        void finish() {
            if (!node.isObject()) {
                return;
            }
            for (String name : node.propertyNames()) {
                if (!taken.contains(name)) {
                    problems.add(where(name) + ": unknown field " + field(name) + " in " + KIND + " (" + API_VERSION + ")");
                }
            }
        }

        private void typeError(String name, String expected, JsonNode v) {
            problems.add(where(name) + ": " + KIND + " field " + field(name) + ": expected " + expected + ", got " + shown(v));
        }
    }

    private static boolean hasType(JsonNode v, Type type) {
        return switch (type) {
            case STRING -> v.isString();
            case BOOL -> v.isBoolean();
            case INT -> v.isIntegralNumber();
            case FLOAT -> v.isNumber();
            case DURATION -> v.isString() || (v.isIntegralNumber() && v.intValue() == 0);
            case STRINGS -> v.isArray();
            case BOOL_MAP -> v.isObject();
            case ANY -> true;
        };
    }

    private static String describe(Type type) {
        return switch (type) {
            case STRING -> "a string";
            case BOOL -> "true or false";
            case INT -> "an integer";
            case FLOAT -> "a number";
            case DURATION -> "a duration such as 30s";
            case STRINGS -> "a list of strings";
            case BOOL_MAP -> "a mapping";
            case ANY -> "a value";
        };
    }

    /** "", 0, 0s, "0", false, null, [] and {} (recursively): a value that asks for nothing. */
    static boolean isZero(JsonNode v) {
        if (v == null || v.isNull() || v.isMissingNode()) {
            return true;
        }
        if (v.isBoolean()) {
            return !v.booleanValue();
        }
        if (v.isNumber()) {
            return v.doubleValue() == 0;
        }
        if (v.isString()) {
            String s = v.stringValue().strip();
            if (s.isEmpty() || s.equals("0")) {
                return true;
            }
            try {
                return GoDuration.parse(s).isZero();
            } catch (IllegalArgumentException e) {
                return false;
            }
        }
        if (v.isArray()) {
            return v.isEmpty();
        }
        if (v.isObject()) {
            for (JsonNode child : v.values()) {
                if (!isZero(child)) {
                    return false;
                }
            }
            return true;
        }
        return false;
    }

    private static String shown(JsonNode v) {
        return v.isString() ? "'" + v.stringValue() + "'" : v.getNodeType().toString().toLowerCase() + " " + v;
    }
}
