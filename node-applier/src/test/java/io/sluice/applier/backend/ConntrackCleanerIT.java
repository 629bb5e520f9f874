package io.sluice.applier.backend;

import static io.sluice.applier.render.Fixtures.epUdp;
import static io.sluice.applier.render.Fixtures.image;
import static io.sluice.applier.render.Fixtures.readyOn;
import static io.sluice.applier.render.Fixtures.service;
import static io.sluice.applier.render.Fixtures.slice;
import static io.sluice.applier.render.Fixtures.udp;
import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.applier.render.ConntrackDeletion;
import io.sluice.applier.render.IptablesRenderer;
import io.sluice.applier.render.NodeContext;
import io.sluice.applier.render.RenderOptions;
import io.sluice.applier.render.StaleConntrack;
import io.sluice.store.image.ClusterImage;
import io.sluice.testkit.netns.FetchResult;
import io.sluice.testkit.netns.Lab;
import io.sluice.testkit.netns.Netns;
import io.sluice.testkit.netns.Pod;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A stale UDP conntrack entry, made by a real exchange through the rules, is removed when its
 * endpoint goes away, and only that one: kube-proxy's conntrack cleanup, for real.
 */
class ConntrackCleanerIT {
    private static final String VIP = "172.30.0.60";
    private static final String OTHER_VIP = "172.30.0.61";
    private static Lab lab;

    @BeforeAll
    static void buildLab() {
        Optional<String> unavailable = Netns.unavailableReason();
        Assumptions.assumeTrue(unavailable.isEmpty(), () -> "no conntrack test: " + unavailable.orElse(""));
        Assumptions.assumeTrue(Netns.run(List.of("which", "conntrack"), null, Duration.ofSeconds(5)).ok(),
                "conntrack (conntrack-tools) is not installed");
        lab = Lab.build("sluice-ct");
    }

    @AfterAll
    static void closeLab() {
        if (lab != null) {
            lab.close();
        }
    }

    @Test
    void staleUdpEntryIsRemovedWhenItsEndpointGoesAway() throws Exception {
        Pod client = lab.addPod(1, "client");
        Pod a = lab.addPod(1, "server-a");
        Pod b = lab.addPod(2, "server-b");
        lab.startServer(a, 8080);
        lab.startServer(b, 8080);
        List<String> node1 = List.of("ip", "netns", "exec", lab.nodeNamespace(1));
        NodeContext ctx = NodeContext.of("node1");
        RenderOptions options = RenderOptions.defaults(lab.clusterCidr());
        IptablesRestoreBackend backend = new IptablesRestoreBackend(node1);
        ClusterImage before = image(
                service("ns", "dns", VIP, udp("dns", 53, "8080")),
                slice("ns", "dns-1", "dns", List.of(epUdp("dns", 8080)), readyOn(b.ip(), "node2")),
                service("ns", "other", OTHER_VIP, udp("dns", 53, "8080")),
                slice("ns", "other-1", "other", List.of(epUdp("dns", 8080)), readyOn(a.ip(), "node1")));
        backend.apply(new IptablesRenderer().render(before, ctx, options));
        assertThat(lab.udpExchange(client, VIP, 53, Duration.ofSeconds(5)))
                .isEqualTo(new FetchResult(FetchResult.Outcome.OK, "pod=server-b client=" + client.ip() + "\n"));
        assertThat(lab.udpExchange(client, OTHER_VIP, 53, Duration.ofSeconds(5)).ok()).isTrue();
        assertThat(udpEntries(VIP)).as("entry made by the exchange").contains("src=" + b.ip());

        ClusterImage after = image(
                service("ns", "dns", VIP, udp("dns", 53, "8080")),
                slice("ns", "dns-1", "dns", List.of(epUdp("dns", 8080)), readyOn(a.ip(), "node1")),
                service("ns", "other", OTHER_VIP, udp("dns", 53, "8080")),
                slice("ns", "other-1", "other", List.of(epUdp("dns", 8080)), readyOn(a.ip(), "node1")));
        backend.apply(new IptablesRenderer().render(after, ctx, options));
        assertThat(udpEntries(VIP)).as("new rules alone leave the stale entry").contains("src=" + b.ip());

        List<ConntrackDeletion> stale = StaleConntrack.between(before, after, ctx, options);
        assertThat(stale).extracting(d -> String.join(" ", d.conntrackArgs()))
                .containsExactly("-D -f ipv4 -p udp --orig-dst " + VIP + " --dport 53 --reply-src " + b.ip());
        ConntrackCleaner.system(node1).delete(stale);

        assertThat(udpEntries(VIP)).as("stale entry removed").doesNotContain("src=" + b.ip());
        assertThat(udpEntries(OTHER_VIP)).as("other Service's entry kept").contains("src=" + a.ip());
        ConntrackCleaner.system(node1).delete(stale); // nothing left to delete is not an error
    }

    private static String udpEntries(String vip) {
        return Netns.exec(lab.nodeNamespace(1), "conntrack", "-L", "-p", "udp", "--orig-dst", vip).stdout();
    }
}
