package io.sluice.applier.render;

import static io.sluice.applier.render.Fixtures.epTcp;
import static io.sluice.applier.render.Fixtures.epUdp;
import static io.sluice.applier.render.Fixtures.image;
import static io.sluice.applier.render.Fixtures.notReady;
import static io.sluice.applier.render.Fixtures.readyOn;
import static io.sluice.applier.render.Fixtures.service;
import static io.sluice.applier.render.Fixtures.slice;
import static io.sluice.applier.render.Fixtures.tcp;
import static io.sluice.applier.render.Fixtures.udp;
import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.schema.model.Protocol;
import io.sluice.schema.model.Service;
import io.sluice.schema.model.ServicePort;
import io.sluice.schema.model.ServiceType;
import io.sluice.store.image.ClusterImage;
import java.util.List;
import org.junit.jupiter.api.Test;

class StaleConntrackTest {
    private static final NodeContext NODE = NodeContext.of("node1");
    private static final RenderOptions OPTIONS = RenderOptions.defaults("10.244.0.0/16");
    private static final Service DNS = Service.builder("kube-system", "dns").type(ServiceType.NODE_PORT)
            .clusterIP("172.30.0.10").externalIPs(List.of("198.51.100.10"))
            .ports(new ServicePort("dns", Protocol.UDP, 53, "53", 30053, null), tcp("dns-tcp", 53, "53")).build();

    private static List<String> commands(ClusterImage before, ClusterImage after) {
        return StaleConntrack.between(before, after, NODE, OPTIONS).stream()
                .map(d -> String.join(" ", d.conntrackArgs())).toList();
    }

    @Test
    void aRemovedUdpEndpointClearsEntriesToEveryServiceAddressAndTheNodePortFromIt() {
        ClusterImage before = image(DNS, slice("kube-system", "dns-1", "dns", List.of(epUdp("dns", 53), epTcp("dns-tcp", 53)),
                readyOn("10.244.1.5", "node1"), readyOn("10.244.2.5", "node2")));
        ClusterImage after = image(DNS, slice("kube-system", "dns-1", "dns", List.of(epUdp("dns", 53), epTcp("dns-tcp", 53)),
                readyOn("10.244.1.5", "node1")));

        assertThat(commands(before, after)).containsExactly(
                "-D -f ipv4 -p udp --dport 30053 --reply-src 10.244.2.5",
                "-D -f ipv4 -p udp --orig-dst 172.30.0.10 --dport 53 --reply-src 10.244.2.5",
                "-D -f ipv4 -p udp --orig-dst 198.51.100.10 --dport 53 --reply-src 10.244.2.5");
    }

    @Test
    void anEndpointThatStopsServingIsStaleButOneThatWasNeverServingIsNot() {
        ClusterImage before = image(service("ns", "u", "172.30.0.20", udp("u", 5000, "5000")),
                slice("ns", "u-1", "u", List.of(epUdp("u", 5000)), readyOn("10.244.1.6", "node1"), notReady("10.244.1.7")));
        ClusterImage after = image(service("ns", "u", "172.30.0.20", udp("u", 5000, "5000")),
                slice("ns", "u-1", "u", List.of(epUdp("u", 5000)), notReady("10.244.1.6"), readyOn("10.244.1.8", "node1")));

        assertThat(commands(before, after)).containsExactly(
                "-D -f ipv4 -p udp --orig-dst 172.30.0.20 --dport 5000 --reply-src 10.244.1.6");
    }

    @Test
    void aUdpServiceThatGetsEndpointsClearsWhatItsRejectRuleLeftBehind() {
        ClusterImage before = image(DNS);
        ClusterImage after = image(DNS, slice("kube-system", "dns-1", "dns", List.of(epUdp("dns", 53)),
                readyOn("10.244.1.5", "node1")));

        assertThat(commands(before, after)).containsExactly(
                "-D -f ipv4 -p udp --dport 30053",
                "-D -f ipv4 -p udp --orig-dst 172.30.0.10 --dport 53",
                "-D -f ipv4 -p udp --orig-dst 198.51.100.10 --dport 53");
    }

    @Test
    void aDeletedUdpServiceClearsItsClusterIp() {
        ClusterImage before = image(service("ns", "u", "172.30.0.20", udp("u", 5000, "5000")));
        assertThat(commands(before, ClusterImage.empty())).containsExactly(
                "-D -f ipv4 -p udp --orig-dst 172.30.0.20 --dport 5000");
    }

    @Test
    void aUdpPortTurnedTcpClearsItsEntriesAlthoughTheServiceHasNoUdpPortLeft() {
        ClusterImage before = image(service("ns", "u", "172.30.0.20", udp("u", 5000, "5000")),
                slice("ns", "u-1", "u", List.of(epUdp("u", 5000)), readyOn("10.244.1.6", "node1")));
        ClusterImage after = image(service("ns", "u", "172.30.0.20", tcp("u", 5000, "5000")),
                slice("ns", "u-1", "u", List.of(epTcp("u", 5000)), readyOn("10.244.1.6", "node1")));

        assertThat(commands(before, after)).containsExactlyInAnyOrder(
                "-D -f ipv4 -p udp --orig-dst 172.30.0.20 --dport 5000",
                "-D -f ipv4 -p udp --orig-dst 172.30.0.20 --dport 5000 --reply-src 10.244.1.6");
    }

    @Test
    void tcpAndUnchangedUdpNeedNothing() {
        ClusterImage img = image(DNS, slice("kube-system", "dns-1", "dns", List.of(epUdp("dns", 53), epTcp("dns-tcp", 53)),
                readyOn("10.244.1.5", "node1")));
        ClusterImage tcpChanged = image(DNS, slice("kube-system", "dns-1", "dns", List.of(epUdp("dns", 53)),
                readyOn("10.244.1.5", "node1")));
        assertThat(commands(img, img)).isEmpty();
        assertThat(commands(img, tcpChanged)).isEmpty();
    }
}
