package io.sluice.compose.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.applier.ApplierConfig;
import io.sluice.applier.render.RenderOptions;
import io.sluice.compose.input.InputException;
import io.sluice.compose.modes.ProxyMode;
import io.sluice.schema.model.IpFamily;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** kube-proxy's KubeProxyConfiguration → ProxyConfig: typed values, kube-proxy's defaults, every field applied or reported. */
class ProxyConfigTest {
    private static final Path EXAMPLE = Path.of("examples/kube-proxy.yaml");
    private static final String HEAD = "apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\n";

    /** Every field of the example that Sluice does not apply; each must be reported. */
    private static final List<String> NOT_APPLYING_IN_EXAMPLE = List.of(
            "bindAddressHardFail", "clientConnection.acceptContentTypes", "clientConnection.burst", "clientConnection.contentType",
            "clientConnection.kubeconfig", "clientConnection.qps", "configSyncPeriod", "conntrack.maxPerCore", "conntrack.min",
            "conntrack.tcpBeLiberal", "conntrack.tcpCloseWaitTimeout", "conntrack.tcpEstablishedTimeout", "conntrack.udpStreamTimeout",
            "conntrack.udpTimeout", "detectLocal.bridgeInterface", "detectLocal.interfaceNamePrefix", "enableProfiling",
            "iptables.localhostNodePorts", "iptables.syncPeriod", "ipvs.excludeCIDRs", "ipvs.minSyncPeriod", "ipvs.scheduler",
            "ipvs.strictARP", "ipvs.syncPeriod", "ipvs.tcpFinTimeout", "ipvs.tcpTimeout", "ipvs.udpTimeout",
            "logging.flushFrequency", "logging.options.json.infoBufferSize", "logging.options.text.infoBufferSize", "logging.verbosity",
            "nftables.masqueradeAll", "nftables.masqueradeBit", "nftables.minSyncPeriod", "nftables.syncPeriod", "oomScoreAdj",
            "portRange", "showHiddenMetricsForVersion", "winkernel.enableDSR", "winkernel.forwardHealthCheckVip", "winkernel.networkName",
            "winkernel.rootHnsEndpointName", "winkernel.sourceVip");
    /** Fields of the example Sluice applies (in iptables mode); none may be reported. */
    private static final List<String> APPLIED_IN_EXAMPLE = List.of("mode", "clusterCIDR", "metricsBindAddress", "healthzBindAddress",
            "bindAddress", "hostnameOverride", "nodePortAddresses", "detectLocalMode", "iptables.masqueradeAll", "iptables.masqueradeBit",
            "iptables.minSyncPeriod");

    @TempDir
    Path dir;

    @Test
    void theKubeadmExampleGivesKubeProxysTypedValues() throws InputException {
        ProxyConfig c = KubeProxyConfigFile.load(EXAMPLE).config();
        assertThat(c.mode()).isEqualTo(ProxyMode.IPTABLES);
        assertThat(c.clusterCidrs()).containsExactly("10.244.0.0/16");
        assertThat(c.hostnameOverride()).isEmpty();
        assertThat(c.bindAddress()).isEqualTo("0.0.0.0");
        assertThat(c.primaryNodeIp()).isEmpty();
        assertThat(c.metricsBindAddress()).isEqualTo(new ProxyConfig.BindAddress("0.0.0.0", 10249));
        assertThat(c.healthzBindAddress()).isEqualTo(new ProxyConfig.BindAddress("0.0.0.0", 10256)); // "" → default
        assertThat(c.nodePortAddresses()).isEmpty();
        assertThat(c.effectiveNodePortAddresses()).isEmpty(); // iptables: every local address
        assertThat(c.iptables()).isEqualTo(new ProxyConfig.Iptables(14, false, true, false, Duration.ofSeconds(30), Duration.ofMillis(500)));
        assertThat(c.nftables()).isEqualTo(ProxyConfig.Nftables.defaults());
        assertThat(c.ipvs()).isEqualTo(ProxyConfig.Ipvs.defaults());
        assertThat(c.ipvs().effectiveScheduler()).isEqualTo("rr");
        assertThat(c.conntrack()).isEqualTo(new ProxyConfig.Conntrack(32768, 131072, Duration.ofHours(24), Duration.ofHours(1),
                false, Duration.ZERO, Duration.ZERO));
        assertThat(c.featureGates()).isEmpty();
        assertThat(c.masqueradeBit()).isEqualTo(14);
        assertThat(c.masqueradeAll()).isFalse();
        assertThat(c.minSyncPeriod()).isEqualTo(Duration.ofMillis(500));
    }

    @Test
    void everyFieldOfTheExampleThatDoesNotApplyIsReportedAndNoAppliedOneIs() throws InputException {
        List<String> warnings = KubeProxyConfigFile.load(EXAMPLE).warnings();
        String all = String.join("\n", warnings);
        for (String field : NOT_APPLYING_IN_EXAMPLE) {
            assertThat(all).as(field).containsPattern("(field " + java.util.regex.Pattern.quote(field) + " does not apply|[:,] "
                    + java.util.regex.Pattern.quote(field) + "(,|$))");
        }
        for (String field : APPLIED_IN_EXAMPLE) {
            assertThat(all).as(field).doesNotContain("field " + field + " ").doesNotContainPattern("[:,] " + java.util.regex.Pattern.quote(field) + "(,|$)");
        }
    }

    @Test
    void aNonZeroFieldThatDoesNotApplyIsReportedOnItsOwnLineWithWhy() throws Exception {
        Path f = write(HEAD + "conntrack:\n  maxPerCore: 65536\n  udpTimeout: 30s\nenableProfiling: true\nfeatureGates:\n  SomeGate: true\n");
        List<String> w = KubeProxyConfigFile.load(f).warnings();
        assertThat(w).containsExactly(
                f + ":4: KubeProxyConfiguration field conntrack.maxPerCore does not apply to Sluice: Sluice sets no conntrack sysctls;"
                        + " set them on the node (sysctl net.netfilter.nf_conntrack_max; kube-proxy's default is 32768 per CPU, at least"
                        + " conntrack.min) if you relied on kube-proxy for it; ignored",
                f + ":5: KubeProxyConfiguration field conntrack.udpTimeout does not apply to Sluice: Sluice sets no conntrack sysctls;"
                        + " set them on the node (sysctl net.netfilter.nf_conntrack_udp_timeout) if you relied on kube-proxy for it; ignored",
                f + ":6: KubeProxyConfiguration field enableProfiling does not apply to Sluice: Sluice serves no /debug/pprof; profile"
                        + " the JVM with JDK Flight Recorder; ignored",
                f + ":8: KubeProxyConfiguration field featureGates.SomeGate does not apply to Sluice: Sluice has no feature gates;"
                        + " its behaviour is fixed per release; ignored");
    }

    @Test
    void anEmptyFileIsKubeProxysDefaults() throws Exception {
        KubeProxyConfigFile.Loaded l = KubeProxyConfigFile.load(write(HEAD));
        assertThat(l.config()).isEqualTo(ProxyConfig.defaults());
        assertThat(l.warnings()).isEmpty();
        assertThat(ProxyConfig.defaults().minSyncPeriod()).isEqualTo(Duration.ofSeconds(1));
        assertThat(ProxyConfig.defaults().metricsBindAddress()).hasToString("127.0.0.1:10249");
    }

    @Test
    void nftablesModeReadsTheNftablesSectionAndDefaultsNodePortsToThePrimaryIp() throws Exception {
        KubeProxyConfigFile.Loaded l = KubeProxyConfigFile.load(write(HEAD + "mode: nftables\nnftables:\n  masqueradeBit: 10\n"
                + "  masqueradeAll: true\n  minSyncPeriod: 2s\niptables:\n  masqueradeBit: 20\n"));
        ProxyConfig c = l.config();
        assertThat(c.mode()).isEqualTo(ProxyMode.NFTABLES);
        assertThat(c.masqueradeBit()).isEqualTo(10);
        assertThat(c.masqueradeAll()).isTrue();
        assertThat(c.minSyncPeriod()).isEqualTo(Duration.ofSeconds(2));
        assertThat(c.effectiveNodePortAddresses()).containsExactly("primary");
        assertThat(l.warnings()).singleElement().asString().contains(
                "field iptables.masqueradeBit does not apply to Sluice: it is read only in mode iptables and ipvs"
                        + " (kube-proxy reads it there only too) and the mode is nftables; ignored");
    }

    @Test
    void ipvsModeMasqueradesWithTheIptablesSectionAndUsesItsScheduler() throws Exception {
        KubeProxyConfigFile.Loaded l = KubeProxyConfigFile.load(write(HEAD + "mode: ipvs\niptables:\n  masqueradeBit: 12\n"
                + "ipvs:\n  scheduler: lc\n  strictARP: true\n  minSyncPeriod: 1s\n"));
        assertThat(l.config().masqueradeBit()).isEqualTo(12);
        assertThat(l.config().ipvs().scheduler()).isEqualTo("lc");
        assertThat(l.config().minSyncPeriod()).isEqualTo(Duration.ofSeconds(1));
        assertThat(l.config().ipvs().strictARP()).isTrue();
        assertThat(l.warnings()).isEmpty(); // strictARP is applied by the IPVS backend
        KubeProxyConfigFile.Loaded other = KubeProxyConfigFile.load(write(HEAD + "mode: iptables\nipvs:\n  strictARP: true\n"));
        assertThat(other.warnings()).singleElement().asString().contains("field ipvs.strictARP does not apply to Sluice: it is read"
                + " only in mode ipvs (kube-proxy reads it there only too) and the mode is iptables; ignored");
    }

    @Test
    void keywordsOfNodePortAddressesExpandAsInKubeProxyAndLoopbackIsReported() throws Exception {
        KubeProxyConfigFile.Loaded l = KubeProxyConfigFile.load(write(HEAD + "nodePortAddresses: [primary, 192.168.0.0/16, all, localhost]\n"));
        assertThat(l.config().effectiveNodePortAddresses())
                .containsExactly("primary", "192.168.0.0/16", "0.0.0.0/0", "::/0", "127.0.0.0/8", "::1/128");
        assertThat(l.warnings()).singleElement().asString().contains("field nodePortAddresses[3] 'localhost' does not apply to Sluice:"
                + " Sluice never serves NodePorts on loopback addresses");
    }

    @Test
    void dualStackClusterCidrAndBindAddressesAreTyped() throws Exception {
        ProxyConfig c = KubeProxyConfigFile.load(write(HEAD + "clusterCIDR: 10.244.0.0/16, fd00:10:244::/56\nbindAddress: \"::\"\n"
                + "metricsBindAddress: \"[::]:9100\"\nhealthzBindAddress: 10.0.0.5\nhostnameOverride: \" Node-7 \"\n")).config();
        assertThat(c.clusterCidrs()).containsExactly("10.244.0.0/16", "fd00:10:244::/56");
        assertThat(c.metricsBindAddress()).isEqualTo(new ProxyConfig.BindAddress("::", 9100));
        assertThat(c.healthzBindAddress()).isEqualTo(new ProxyConfig.BindAddress("10.0.0.5", 10256));
        assertThat(c.hostnameOverride()).isEqualTo("node-7");
        assertThat(c.renderOptions(IpFamily.IPV6).localDetectorCidr()).contains("fd00:10:244::/56");
        assertThat(c.renderOptions(IpFamily.IPV4).localDetectorCidr()).contains("10.244.0.0/16");
    }

    @Test
    void theApplierDerivesTheSameRenderOptionsAsRenderAndItsSettingsFromTheFile() throws Exception {
        ProxyConfig c = KubeProxyConfigFile.load(write(HEAD + "clusterCIDR: 10.244.0.0/16,fd00:10:244::/56\nmetricsBindAddress: 0.0.0.0:9100\n"
                + "healthzBindAddress: 127.0.0.1:9101\nnodePortAddresses: [10.0.0.0/8]\niptables:\n  masqueradeAll: true\n  masqueradeBit: 5\n"
                + "  minSyncPeriod: 250ms\n")).config();
        for (IpFamily family : IpFamily.values()) {
            ApplierConfig a = c.applyTo(ApplierConfig.builder("node-1", "dev", "localhost:9092", dir), family).build();
            assertThat(a.renderOptions()).isEqualTo(c.renderOptions(family));
            assertThat(a.renderOptions()).isEqualTo(new RenderOptions(family, List.of("10.244.0.0/16", "fd00:10:244::/56"), 5, true,
                    List.of("10.0.0.0/8")));
            assertThat(a.metricsHost()).isEqualTo("0.0.0.0");
            assertThat(a.metricsPort()).isEqualTo(9100);
            assertThat(a.healthHost()).isEqualTo("127.0.0.1");
            assertThat(a.healthPort()).isEqualTo(9101);
            assertThat(a.minSyncInterval()).isEqualTo(Duration.ofMillis(250));
            assertThat(a.masqueradeBit()).isEqualTo(5);
            assertThat(a.clusterCidr()).isEqualTo("10.244.0.0/16,fd00:10:244::/56");
        }
    }

    @Test
    void aWrongApiVersionOrKindIsAnError() throws Exception {
        assertProblem("apiVersion: kubeproxy.config.k8s.io/v1beta1\nkind: KubeProxyConfiguration\n",
                ":1: apiVersion 'kubeproxy.config.k8s.io/v1beta1' is not kubeproxy.config.k8s.io/v1alpha1");
        assertProblem("apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeletConfiguration\n",
                ":2: kind 'KubeletConfiguration' is not KubeProxyConfiguration");
        assertProblem("kind: KubeProxyConfiguration\n", ": apiVersion '' is not kubeproxy.config.k8s.io/v1alpha1");
        assertProblem("apiVersion: v1\nkind: ConfigMap\ndata:\n  config.conf: |\n    x: y\n",
                ": this is a ConfigMap; give Sluice the KubeProxyConfiguration inside it");
    }

    @Test
    void anUnknownFieldIsAnErrorNamingItsPathAndLine() throws Exception {
        assertProblem(HEAD + "masqueradeAll: true\n", ":3: unknown field masqueradeAll in KubeProxyConfiguration");
        assertProblem(HEAD + "conntrack:\n  maxPerCores: 1\n", ":4: unknown field conntrack.maxPerCores in KubeProxyConfiguration");
        assertProblem(HEAD + "clientConnection:\n  kubeConfig: /x\n", ":4: unknown field clientConnection.kubeConfig");
    }

    @Test
    void aValueOfTheWrongTypeOrOutOfRangeIsAnErrorNamingFieldValueAndLine() throws Exception {
        assertProblem(HEAD + "iptables:\n  masqueradeBit: fourteen\n",
                ":4: KubeProxyConfiguration field iptables.masqueradeBit: expected a 32-bit integer, got 'fourteen'");
        assertProblem(HEAD + "iptables:\n  masqueradeBit: 40\n", ":4: KubeProxyConfiguration field iptables.masqueradeBit 40 is out of range 0-31");
        assertProblem(HEAD + "iptables:\n  minSyncPeriod: 5 seconds\n",
                ":4: KubeProxyConfiguration field iptables.minSyncPeriod: '5 seconds' is not a duration such as 500ms, 30s, 1m30s or 2h");
        assertProblem(HEAD + "iptables:\n  minSyncPeriod: 1m\n  syncPeriod: 30s\n",
                "KubeProxyConfiguration field iptables.minSyncPeriod 1m0s must be less than or equal to iptables.syncPeriod 30s");
        assertProblem(HEAD + "enableProfiling: \"yes\"\n", ":3: KubeProxyConfiguration field enableProfiling: expected true or false, got 'yes'");
        assertProblem(HEAD + "clusterCIDR: 10.244.0.0/16,10.245.0.0/16\n", ":3: KubeProxyConfiguration field clusterCIDR '10.244.0.0/16,10.245.0.0/16'"
                + " has two IPv4 CIDRs");
        assertProblem(HEAD + "metricsBindAddress: localhost:10249\n", ":3: KubeProxyConfiguration field metricsBindAddress: 'localhost' is not an IP address");
        assertProblem(HEAD + "ipvs:\n  scheduler: fastest\n", ":4: KubeProxyConfiguration field ipvs.scheduler 'fastest' is not one of");
        assertProblem(HEAD + "nodePortAddresses: [everywhere]\n", ":3: KubeProxyConfiguration field nodePortAddresses entry 'everywhere'");
    }

    @Test
    void modesAndLocalTrafficDetectionSluiceCannotHonourAreErrors() throws Exception {
        assertProblem(HEAD + "mode: kernelspace\n", ":3: KubeProxyConfiguration field mode: 'kernelspace' is Windows' mode");
        assertProblem(HEAD + "mode: userspace\n", ":3: KubeProxyConfiguration field mode: 'userspace' is not one of iptables, nftables, ipvs");
        assertProblem(HEAD + "detectLocalMode: NodeCIDR\n", ":3: KubeProxyConfiguration field detectLocalMode: 'NodeCIDR' is not supported");
    }

    @Test
    void everyProblemIsReportedAtOnce() throws Exception {
        Path f = write(HEAD + "bogus: 1\niptables:\n  masqueradeBit: x\nconntrack:\n  min: -1\n");
        assertThatThrownBy(() -> KubeProxyConfigFile.load(f)).isInstanceOfSatisfying(InputException.class, e ->
                assertThat(e.problems()).hasSize(3));
    }

    @Test
    void goDurationsParseAndPrintAsKubernetesWritesThem() {
        Map<String, Duration> cases = Map.of("0", Duration.ZERO, "0s", Duration.ZERO, "500ms", Duration.ofMillis(500),
                "1m30s", Duration.ofSeconds(90), "2h45m", Duration.ofMinutes(165), "1.5h", Duration.ofMinutes(90),
                "100us", Duration.ofNanos(100_000), "-1s", Duration.ofSeconds(-1));
        cases.forEach((text, d) -> assertThat(GoDuration.parse(text)).as(text).isEqualTo(d));
        assertThat(GoDuration.format(Duration.ofHours(1))).isEqualTo("1h0m0s");
        assertThat(GoDuration.format(Duration.ofMillis(1500))).isEqualTo("1.5s");
        assertThat(GoDuration.format(Duration.ofMillis(100))).isEqualTo("100ms");
        for (String bad : List.of("", "5", "s", "1d", "1.s.", "10 s")) {
            assertThatThrownBy(() -> GoDuration.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void bindAddressesParseLikeKubeProxys() {
        assertThat(ProxyConfig.BindAddress.parse("[::1]:9000", 1)).isEqualTo(new ProxyConfig.BindAddress("::1", 9000));
        assertThat(ProxyConfig.BindAddress.parse("::", 10256)).isEqualTo(new ProxyConfig.BindAddress("::", 10256));
        assertThat(ProxyConfig.BindAddress.parse("10.1.2.3", 10249)).hasToString("10.1.2.3:10249");
        assertThatThrownBy(() -> ProxyConfig.BindAddress.parse("10.1.2.3:http", 1)).hasMessageContaining("port 'http'");
    }

    private void assertProblem(String yaml, String expected) throws IOException {
        Path f = write(yaml);
        assertThatThrownBy(() -> KubeProxyConfigFile.load(f)).isInstanceOfSatisfying(InputException.class, e ->
                assertThat(e.problems()).anySatisfy(p -> assertThat(p).startsWith(f.toString()).contains(expected)));
    }

    private Path write(String yaml) throws IOException {
        return Files.writeString(Files.createTempFile(dir, "kube-proxy", ".yaml"), yaml);
    }
}
