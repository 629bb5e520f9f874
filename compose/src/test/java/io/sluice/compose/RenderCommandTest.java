package io.sluice.compose;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code sluice render}: Kubernetes YAML in every form kubectl prints → the kernel tools' input, or a precise error. */
class RenderCommandTest {
    private static final String LAB = "examples/lab.yaml";
    private static final String KUBECTL_LIST = "src/test/resources/state/kubectl-list.yaml";

    @TempDir
    Path dir;

    @Test
    void multiDocumentYamlRendersTheNodesCompleteIptablesInput() {
        Cli.Result r = Cli.run("render", "--state", LAB, "--node", "node-1");
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.out()).startsWith("*filter\n").contains("*nat\n")
                .contains("-A SLUICE-SERVICES -d 10.96.0.10/32 -p tcp -m comment --comment \"default/web:http cluster IP\"")
                .contains("-j DNAT --to-destination 10.244.1.10:8080", "-j DNAT --to-destination 10.244.2.10:8080")
                // the backend's jumps from the built-in chains are part of it: the text alone is complete
                .contains("-I PREROUTING -m comment --comment \"sluice service portals\" -j SLUICE-SERVICES")
                .contains("-I POSTROUTING -m comment --comment \"sluice postrouting rules\" -j SLUICE-POSTROUTING")
                .endsWith("COMMIT\n");
        assertThat(r.err()).contains("node node-1, iptables (IPv4): 1 services, 2 endpoints; apply with: iptables-restore");
    }

    @Test
    void everyJumpTargetIsDeclaredInTheSameTable() {
        String out = Cli.run("render", "--state", LAB, "--node", "node-1").out();
        String table = null;
        List<String> declared = new java.util.ArrayList<>();
        for (String line : out.lines().toList()) {
            if (line.startsWith("*")) {
                table = line;
                declared.clear();
            } else if (line.startsWith(":")) {
                declared.add(line.substring(1).split(" ")[0]);
            } else if (line.contains(" -j SLUICE-")) {
                String target = line.substring(line.indexOf(" -j ") + 4).split(" ")[0];
                assertThat(declared).as(table + ": " + line).contains(target);
            }
        }
    }

    @Test
    void aKindListAsKubectlPrintsItWithServerFieldsIsRead() {
        Cli.Result r = Cli.run("render", "--state", KUBECTL_LIST, "--node", "node-1");
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.out()).contains("-d 10.96.0.10/32", "--to-destination 10.244.1.10:8080", "--dport 30080")
                .doesNotContain("fd00:");
        assertThat(r.err())
                .contains("skipped v1 Pod shop/web-7d4b9c-abcde: Sluice reads only Services, EndpointSlices")
                .contains("skipped v1 Endpoints shop/web: Sluice, like kube-proxy, reads EndpointSlices, not Endpoints");
        assertThat(r.err()).containsPattern("kubectl-list\\.yaml:1\\d\\d: skipped v1 Pod");
    }

    @Test
    void theSameObjectsRenderTheSameAsDocumentsListsOrTypedLists() throws IOException {
        String lab = Files.readString(Path.of(LAB));
        List<String> docs = Arrays.stream(lab.split("(?m)^---$")).map(String::strip).filter(d -> !d.isEmpty()).toList();
        String asList = "apiVersion: v1\nkind: List\nitems:\n" + docs.stream().map(RenderCommandTest::item).collect(Collectors.joining());
        StringBuilder typed = new StringBuilder();
        for (String[] k : new String[][] {{"v1", "NodeList", "kind: Node"}, {"v1", "ServiceList", "kind: Service"},
                {"discovery.k8s.io/v1", "EndpointSliceList", "kind: EndpointSlice"}}) {
            // the API's typed lists: the items carry no apiVersion/kind of their own
            String items = docs.stream().filter(d -> d.contains(k[2] + "\n"))
                    .map(d -> d.replaceAll("(?m)^(apiVersion|kind): .*\\n", "")).map(RenderCommandTest::item).collect(Collectors.joining());
            typed.append("---\napiVersion: ").append(k[0]).append("\nkind: ").append(k[1]).append("\nitems:\n").append(items);
        }
        String expected = Cli.run("render", "--state", LAB, "--node", "node-2").out();
        assertThat(Cli.run("render", "--state", write("list.yaml", asList).toString(), "--node", "node-2").out()).isEqualTo(expected);
        assertThat(Cli.run("render", "--state", write("typed.yaml", typed.toString()).toString(), "--node", "node-2").out()).isEqualTo(expected);
    }

    @Test
    void ipv6RendersTheIpv6ClusterIpAndEndpointsForIp6tablesRestore() {
        Cli.Result r = Cli.run("render", "--state", KUBECTL_LIST, "--node", "node-1", "--family", "ipv6");
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.out()).contains("-d fd00:96::10/128", "[fd00:10:244:1::10]:8080").doesNotContain("10.96.0.10");
        assertThat(r.err()).contains("iptables (IPv6)", "apply with: ip6tables-restore");
    }

    @Test
    void nftablesModePrintsOneTableForNftF() {
        Cli.Result r = Cli.run("render", "--state", LAB, "--node", "node-1", "--mode", "nftables");
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.out()).startsWith("add table ip sluice").contains("10.96.0.10", "10.244.1.10");
        assertThat(r.err()).contains("apply with: nft -f -");
    }

    @Test
    void ipvsModePrintsTheIpvsadmPartAndNamesTheOthers() throws IOException {
        Cli.Result r = Cli.run("render", "--state", LAB, "--node", "node-1", "--mode", "ipvs");
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.out()).contains("-A -t 10.96.0.10:80 -s rr").doesNotContain("#ipset", "create SLUICE-");
        assertThat(r.err()).contains("node (| sh), ipset (| ipset restore), iptables (| iptables-restore --noflush),"
                + " ipvsadm (| ipvsadm-restore); or all at once: script (| sh)");
        assertThat(Cli.run("render", "--state", LAB, "--node", "node-1", "--mode", "ipvs", "--part", "ipset").out())
                .contains("create SLUICE-CLUSTER-IP hash:ip,port", "add SLUICE-CLUSTER-IP 10.96.0.10,tcp:80");
        assertThat(Cli.run("render", "--state", LAB, "--node", "node-1", "--mode", "ipvs", "--part", "iptables").out())
                .startsWith("*").contains("SLUICE-").endsWith("COMMIT\n");
        assertThat(Cli.run("render", "--state", LAB, "--node", "node-1", "--mode", "ipvs", "--part", "node").out())
                .startsWith("set -e\nsysctl -w net.ipv4.vs.conntrack=1").contains("ip address replace 10.96.0.10/32 dev sluice-ipvs0");
        assertThat(Cli.run("render", "--state", LAB, "--node", "node-1", "--mode", "ipvs", "--part", "script", "--config",
                write("kp.yaml", "apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\nmode: ipvs\n"
                        + "ipvs:\n  strictARP: true\n  tcpTimeout: 15m\n").toString()).out())
                .startsWith("#!/bin/sh\n").contains("ipset restore -exist", "ipvsadm -R", "10.96.0.10")
                .endsWith("sysctl -w net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.all.arp_announce=2\nipvsadm --set 900 0 0\n");
        Cli.Result bad = Cli.run("render", "--state", LAB, "--node", "node-1", "--mode", "ipvs", "--part", "ipvs");
        assertThat(bad.code()).isEqualTo(1);
        assertThat(bad.err()).contains("--part ipvs: mode ipvs has the parts [node, ipset, iptables, ipvsadm, script]");
    }

    @Test
    void anInvalidServiceExitsOneNamingFileLineObjectFieldAndValue() throws IOException {
        Path state = write("bad.yaml", Files.readString(Path.of(LAB)).replace("port: 80, targetPort: 8080", "port: 0, targetPort: 8080"));
        Cli.Result r = Cli.run("render", "--state", state.toString(), "--node", "node-1");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).contains("bad.yaml:41: Service/default/web is invalid: spec.ports[0].port: '0' is out of range 1-65535");
    }

    @Test
    void everyInvalidObjectIsReportedNotJustTheFirst() throws IOException {
        Path state = write("bad.yaml", Files.readString(Path.of(LAB))
                .replace("clusterIP: 10.96.0.10\n  clusterIPs: [10.96.0.10]", "clusterIP: 10.96.0.300\n  clusterIPs: [10.96.0.300]")
                .replace("addresses: [10.244.2.10]", "addresses: [10.244.2.1000]"));
        Cli.Result r = Cli.run("render", "--state", state.toString(), "--node", "node-1");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err())
                .contains("Service/default/web is invalid: spec.clusterIPs[0]: '10.96.0.300' is not an IP address")
                .contains("EndpointSlice/default/web-1 is invalid: endpoints[1].addresses[0]: '10.244.2.1000' is not an IPv4 address");
    }

    @Test
    void anUnknownEnumValueNamesObjectFieldAndValue() throws IOException {
        Path state = write("bad.yaml", Files.readString(Path.of(LAB)).replace("protocol: TCP, port: 80", "protocol: ICMP, port: 80"));
        Cli.Result r = Cli.run("render", "--state", state.toString(), "--node", "node-1");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).contains("Service/default/web spec.ports[0].protocol: unknown value 'ICMP'");
    }

    @Test
    void aValueOfTheWrongTypeNamesTheFieldAndItsLine() throws IOException {
        Path state = write("bad.yaml", Files.readString(Path.of(LAB)).replace("port: 80, targetPort: 8080", "port: eighty, targetPort: 8080"));
        Cli.Result r = Cli.run("render", "--state", state.toString(), "--node", "node-1");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).contains("bad.yaml:41: Service default/web: field spec.ports[0].port: value 'eighty' cannot be read");
    }

    @Test
    void aYamlSyntaxErrorNamesTheFileAndLine() throws IOException {
        Path state = write("broken.yaml", "apiVersion: v1\nkind: Node\nmetadata:\n  name: [node-1\n");
        Cli.Result r = Cli.run("render", "--state", state.toString(), "--node", "node-1");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).containsPattern("broken\\.yaml:\\d+:\\d+: YAML syntax error: ");
    }

    @Test
    void aDuplicateKeyIsASyntaxError() throws IOException {
        Path state = write("dup.yaml", "apiVersion: v1\nkind: Node\nmetadata:\n  name: a\n  name: b\n");
        Cli.Result r = Cli.run("render", "--state", state.toString(), "--node", "a");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).contains("dup.yaml:5:").contains("Duplicate");
    }

    @Test
    void anObjectDefinedTwiceIsAnError() throws IOException {
        String lab = Files.readString(Path.of(LAB));
        Path state = write("twice.yaml", lab + "\n---\n" + lab.substring(lab.indexOf("apiVersion: v1\nkind: Service")));
        Cli.Result r = Cli.run("render", "--state", state.toString(), "--node", "node-1");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).contains("Service/default/web is defined twice (first at " + state + ":29)");
    }

    @Test
    void anUnknownNodeIsAnErrorNamingTheNodesOfTheFile() {
        Cli.Result r = Cli.run("render", "--state", LAB, "--node", "node-9");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).contains("examples/lab.yaml: no Node named 'node-9' (the file has [node-1, node-2])");
    }

    @Test
    void aMissingStateFileIsNamed() {
        Cli.Result r = Cli.run("render", "--state", "no/such.yaml", "--node", "node-1");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).contains("no/such.yaml: no such readable file");
    }

    @Test
    void aSliceWithoutServiceNameLabelIsSkippedWithANote() throws IOException {
        Path state = write("unlabelled.yaml", Files.readString(Path.of(LAB)).replace("    kubernetes.io/service-name: web\n", "    app: web\n"));
        Cli.Result r = Cli.run("render", "--state", state.toString(), "--node", "node-1");
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.err()).contains("skipped EndpointSlice/default/web-1: it has no kubernetes.io/service-name label");
        assertThat(r.out()).contains("has no endpoints").doesNotContain("DNAT");
    }

    @Test
    void configWarningsArePrintedAndItsSettingsRendered() {
        Cli.Result r = Cli.run("render", "--state", LAB, "--node", "node-1", "--config", "examples/kube-proxy.yaml");
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.err())
                .contains("warning: examples/kube-proxy.yaml:20: KubeProxyConfiguration field conntrack.maxPerCore does not apply to Sluice:")
                .contains("warning: examples/kube-proxy.yaml:66: KubeProxyConfiguration field oomScoreAdj does not apply to Sluice:");
        // clusterCIDR 10.244.0.0/16 from the file: traffic from outside it is masqueraded
        assertThat(r.out()).contains("! -s 10.244.0.0/16 -d 10.96.0.10/32");
        assertThat(Cli.run("render", "--state", LAB, "--node", "node-1").out()).doesNotContain("! -s 10.244.0.0/16");
    }

    @Test
    void configModeAndHostnameOverrideAreUsedAndFlagsWin() throws IOException {
        Path cfg = write("kp.yaml", "apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\nmode: nftables\n"
                + "hostnameOverride: NODE-2\nnftables:\n  masqueradeAll: true\n");
        Cli.Result r = Cli.run("render", "--state", LAB, "--config", cfg.toString());
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.err()).contains("node node-2, nftables (IPv4)");
        assertThat(r.out()).startsWith("add table ip sluice");
        Cli.Result flag = Cli.run("render", "--state", LAB, "--config", cfg.toString(), "--mode", "iptables", "--node", "node-1");
        assertThat(flag.err()).contains("note: --mode iptables overrides the config's mode nftables", "node node-1, iptables (IPv4)");
    }

    @Test
    void anInvalidConfigStopsRenderingWithItsErrors() throws IOException {
        Path cfg = write("kp.yaml", "apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\niptables:\n  masqueradeBits: 3\n");
        Cli.Result r = Cli.run("render", "--state", LAB, "--node", "node-1", "--config", cfg.toString());
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).contains("kp.yaml:4: unknown field iptables.masqueradeBits in KubeProxyConfiguration");
    }

    @Test
    void withoutNodeOrHostnameOverrideTheCommandSaysWhatIsMissing() {
        Cli.Result r = Cli.run("render", "--state", LAB);
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).contains("--node NAME is required (or a --config whose hostnameOverride names the node)");
    }

    @Test
    void anUnknownModeIsACommandLineError() {
        Cli.Result r = Cli.run("render", "--state", LAB, "--node", "node-1", "--mode", "userspace");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("userspace");
    }

    private Path write(String name, String text) throws IOException {
        return Files.writeString(dir.resolve(name), text);
    }

    /** A document as an item of a YAML list, indented under "- ". */
    private static String item(String doc) {
        String[] lines = doc.lines().filter(l -> !l.startsWith("#")).toArray(String[]::new);
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < lines.length; i++) {
            out.append(i == 0 ? "- " : "  ").append(lines[i]).append('\n');
        }
        return out.toString();
    }
}
