package io.sluice.compose;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.compose.input.InputException;
import io.sluice.compose.modes.ProxyMode;
import io.sluice.schema.model.IpFamily;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code sluice applier --config}: kube-proxy's file, then the command line on top, onto ApplierConfig and a mode. */
class ApplierCommandTest {
    private static final String HEAD = "apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\n";

    @TempDir
    Path dir;

    private final StringWriter err = new StringWriter();

    @Test
    void theExampleKubeProxyConfigMapsOntoTheApplier() throws Exception {
        ApplierCommand.Setup s = setup("--config", "examples/kube-proxy.yaml", "--node", "node-1");
        assertThat(s.config().clusterCidr()).isEqualTo("10.244.0.0/16");
        assertThat(s.config().metricsHost()).isEqualTo("0.0.0.0");
        assertThat(s.config().metricsPort()).isEqualTo(10249);
        assertThat(s.config().healthPort()).isEqualTo(10256);
        assertThat(s.config().minSyncInterval()).isEqualTo(Duration.ofMillis(500));
        assertThat(s.config().masqueradeBit()).isEqualTo(14);
        assertThat(s.config().renderOptions()).isEqualTo(s.proxy().renderOptions(IpFamily.IPV4));
        assertThat(s.support().mode()).isEqualTo(ProxyMode.IPTABLES);
        assertThat(err.toString()).contains("warning: examples/kube-proxy.yaml:20: KubeProxyConfiguration field conntrack.maxPerCore");
    }

    @Test
    void theCommandLineOverridesTheFile() throws Exception {
        Path cfg = write(HEAD + "mode: iptables\nclusterCIDR: 10.244.0.0/16\nhostnameOverride: node-7\nbindAddress: 10.255.0.7\n"
                + "metricsBindAddress: 0.0.0.0:9100\n");
        ApplierCommand.Setup s = setup("--config", cfg.toString(), "--mode", "nftables", "--family", "ipv6",
                "--cluster-cidr", "10.245.0.0/16,fd00:245::/56", "--metrics-port", "0");
        assertThat(s.support().mode()).isEqualTo(ProxyMode.NFTABLES);
        assertThat(s.support().family()).isEqualTo(IpFamily.IPV6);
        assertThat(s.config().nodeName()).isEqualTo("node-7");
        assertThat(s.node().nodeIPs()).containsExactly("10.255.0.7");
        assertThat(s.config().clusterCidr()).isEqualTo("10.245.0.0/16,fd00:245::/56");
        assertThat(s.config().renderOptions().localDetectorCidr()).contains("fd00:245::/56");
        assertThat(s.config().renderOptions().nodePortAddresses()).containsExactly("primary"); // nftables' default
        assertThat(s.config().metricsPort()).isZero();
    }

    @Test
    void withoutAFileTheApplierKeepsItsOwnDefaults() throws Exception {
        ApplierCommand.Setup s = setup("--node", "node-1", "--cluster-cidr", "10.244.0.0/16");
        assertThat(s.config().minSyncInterval()).isEqualTo(Duration.ofMillis(100));
        assertThat(s.config().metricsPort()).isEqualTo(10249);
        assertThat(s.config().metricsHost()).isEqualTo("0.0.0.0");
        assertThat(s.config().renderOptions().localDetectorCidr()).contains("10.244.0.0/16");
        assertThat(err.toString()).isEmpty();
    }

    @Test
    void everyModeHasABackendForTheApplier() throws Exception {
        for (ProxyMode m : ProxyMode.values()) {
            ApplierCommand.Setup s = setup("--node", "node-1", "--mode", m.wireName());
            assertThat(s.support().mode()).isEqualTo(m);
            assertThat(s.support().backend()).as(m.wireName()).isPresent();
        }
    }

    @Test
    void aMissingNodeNameIsNamed() {
        assertThatThrownBy(() -> setup()).isInstanceOf(InputException.class)
                .hasMessageContaining("--node NAME is required (or a --config whose hostnameOverride names the node)");
    }

    private ApplierCommand.Setup setup(String... args) throws InputException {
        ApplierCommand cmd = new ApplierCommand();
        List<String> all = new ArrayList<>(List.of("--cluster", "dev", "--bootstrap-servers", "localhost:9092", "--state-dir", dir.toString()));
        all.addAll(List.of(args));
        new CommandLine(cmd).setCaseInsensitiveEnumValuesAllowed(true).parseArgs(all.toArray(String[]::new));
        return cmd.setup(new PrintWriter(err, true));
    }

    private Path write(String text) throws IOException {
        return Files.writeString(Files.createTempFile(dir, "kp", ".yaml"), text);
    }
}
