package io.sluice.applier.healthcheck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.sluice.applier.log.ApplierLog;
import io.sluice.schema.model.IpFamily;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** Real HTTP servers on loopback, probed over real sockets, as a load balancer probes a node. */
class ServiceHealthServerIT {
    private static final String V4 = "127.0.0.1";
    private static final String V6 = "::1";
    private static final ApplierLog LOG = new ApplierLog(ServiceHealthServerIT.class, "node1", "c1");

    private Vertx vertx;
    private ServiceHealthServer server;
    private final AtomicBoolean proxyHealthy = new AtomicBoolean(true);
    private final ListAppender<ILoggingEvent> logs = new ListAppender<>();
    private final Logger serverLogger = (Logger) LoggerFactory.getLogger(ServiceHealthServer.class);

    @BeforeEach
    void setUp() {
        vertx = Vertx.vertx();
        logs.start();
        serverLogger.addAppender(logs);
    }

    @AfterEach
    void tearDown() throws Exception {
        serverLogger.detachAppender(logs);
        if (server != null) {
            await(server.close());
        }
        await(vertx.close());
    }

    private ServiceHealthServer start(List<String> addresses, Set<Integer> reserved) {
        server = new ServiceHealthServer(vertx, addresses, proxyHealthy::get, reserved, LOG);
        return server;
    }

    private ServiceHealthServer start() {
        return start(List.of(V4), Set.of());
    }

    private static ServiceHealth web(int localEndpoints) {
        return ServiceHealth.of("ns1", "web", IpFamily.IPV4, localEndpoints);
    }

    @Test
    void localEndpointsAnswer200WithKubeProxysJsonAndHeaders() throws Exception {
        int port = freePort();
        await(start().update(1, Map.of(port, web(2))));

        Probe.Response r = Probe.get(V4, port);

        assertThat(r.status()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("{\n\t\"service\": {\n\t\t\"namespace\": \"ns1\",\n\t\t\"name\": \"web\"\n\t},\n"
                + "\t\"localEndpoints\": 2,\n\t\"serviceProxyHealthy\": true\n}");
        assertThat(r.headers()).containsEntry("content-type", "application/json")
                .containsEntry("x-content-type-options", "nosniff")
                .containsEntry("x-load-balancing-endpoint-weight", "2");
    }

    @Test
    void noLocalEndpointAnswers503() throws Exception {
        int port = freePort();
        await(start().update(1, Map.of(port, web(0))));

        Probe.Response r = Probe.get(V4, port);

        assertThat(r.status()).isEqualTo(503);
        assertThat(r.body()).contains("\"localEndpoints\": 0,");
        assertThat(r.headers()).containsEntry("x-load-balancing-endpoint-weight", "0");
    }

    @Test
    void anUnhealthyProxyAnswers503UntilItRecovers() throws Exception {
        int port = freePort();
        await(start().update(1, Map.of(port, web(2))));

        proxyHealthy.set(false);
        Probe.Response down = Probe.get(V4, port);
        proxyHealthy.set(true);
        Probe.Response up = Probe.get(V4, port);

        assertThat(down.status()).isEqualTo(503);
        assertThat(down.body()).contains("\"localEndpoints\": 2,").contains("\"serviceProxyHealthy\": false");
        assertThat(up.status()).isEqualTo(200);
    }

    @Test
    void anUpdateClosesARemovedPortAndOpensANewOne() throws Exception {
        int old = freePort();
        int fresh = freePort();
        start();
        await(server.update(1, Map.of(old, web(1))));
        assertThat(Probe.get(V4, old).status()).isEqualTo(200);

        await(server.update(2, Map.of(fresh, ServiceHealth.of("ns2", "api", IpFamily.IPV4, 1))));

        assertRefused(V4, old);
        Probe.Response r = Probe.get(V4, fresh);
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.body()).contains("\"namespace\": \"ns2\",").contains("\"name\": \"api\"");
        assertThat(server.listeningPorts()).containsExactly(fresh);
    }

    @Test
    void aCountChangeIsAnsweredOnTheSameConnectionWithoutReopeningTheListener() throws Exception {
        int port = freePort();
        await(start().update(1, Map.of(port, web(1))));

        try (Probe lb = Probe.connect(V4, port)) {
            assertThat(lb.get("/").body()).contains("\"localEndpoints\": 1,");

            await(server.update(2, Map.of(port, web(3))));
            Probe.Response three = lb.get("/");
            await(server.update(3, Map.of(port, web(0))));
            Probe.Response none = lb.get("/");

            assertThat(three.status()).isEqualTo(200);
            assertThat(three.body()).contains("\"localEndpoints\": 3,");
            assertThat(none.status()).isEqualTo(503);
        }
        assertThat(server.serving(port)).contains(web(0));
    }

    @Test
    void aPortInUseIsReportedAndRetriedWhileTheOthersServe() throws Exception {
        int taken = freePort();
        int free = freePort();
        ServiceHealth blocked = ServiceHealth.of("ns1", "blocked", IpFamily.IPV4, 1);
        Map<Integer, ServiceHealth> plan = Map.of(taken, blocked, free, web(1));
        start();
        try (ServerSocket other = new ServerSocket()) {
            other.bind(new InetSocketAddress(V4, taken));

            await(server.update(1, plan));
            await(server.update(2, plan));

            assertThat(Probe.get(V4, free).status()).isEqualTo(200);
            assertThat(server.listeningPorts()).containsExactly(free);
            assertThat(server.unboundPorts()).containsOnlyKeys(taken);
            assertThat(server.unboundPorts().get(taken)).contains(V4).containsIgnoringCase("in use");
            List<String> warnings = logs.list.stream().filter(e -> e.getLevel() == Level.WARN)
                    .map(ILoggingEvent::getFormattedMessage).toList();
            assertThat(warnings).hasSize(1); // the retry at seq 2 failed the same way: not warned again
            assertThat(warnings.get(0)).contains("[node=node1 cluster=c1 seq=1]").contains("ns1/blocked")
                    .contains("port " + taken).containsIgnoringCase("in use");
        }

        await(server.update(3, plan));

        assertThat(Probe.get(V4, taken).body()).contains("\"name\": \"blocked\"");
        assertThat(server.listeningPorts()).containsExactlyInAnyOrder(taken, free);
        assertThat(server.unboundPorts()).isEmpty();
    }

    @Test
    void aPortClosedAndPlannedAgainAtOnceIsServedAgain() throws Exception {
        int port = freePort();
        start();
        for (int i = 0; i < 20; i++) {
            await(server.update(2L * i, Map.of(port, web(1))));
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> server.listeningPorts().contains(port));
            assertThat(Probe.get(V4, port).status()).isEqualTo(200);

            await(server.update(2L * i + 1, Map.of()));
            assertRefused(V4, port);
        }
    }

    @Test
    void anUnboundPortIsRetriedWithoutWaitingForAnUpdate() throws Exception {
        int port = freePort();
        start();
        try (ServerSocket other = new ServerSocket()) {
            other.bind(new InetSocketAddress(V4, port));
            await(server.update(1, Map.of(port, web(1))));
            assertThat(server.unboundPorts()).containsOnlyKeys(port);
        }

        // No further update: the cluster may stay idle for hours; the server retries on its own.
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> server.listeningPorts().contains(port));
        assertThat(Probe.get(V4, port).status()).isEqualTo(200);
        assertThat(server.unboundPorts()).isEmpty();
    }

    @Test
    void aPortBoundOnOnlySomeAddressesIsClosedOnAllOfThemAndRetried() throws Exception {
        assumeTrue(ipv6Loopback(), "this host has no IPv6 loopback (::1)");
        int port = freePort();
        start(List.of(V4, V6), Set.of());
        try (ServerSocket other = new ServerSocket()) {
            other.bind(new InetSocketAddress(V6, port));

            await(server.update(1, Map.of(port, web(1))));

            assertRefused(V4, port);
            assertThat(server.unboundPorts().get(port)).contains(V6);
        }
        // The next update binds both (retried as a later sync would, in case 127.0.0.1 is still closing).
        Awaitility.await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            await(server.update(2, Map.of(port, web(1))));
            assertThat(server.listeningPorts()).containsExactly(port);
        });

        assertThat(Probe.get(V4, port).status()).isEqualTo(200);
        assertThat(Probe.get(V6, port).status()).isEqualTo(200);
    }

    @Test
    void aPortOfTheAppliersOwnServersIsRefusedNotShared() throws Exception {
        int reserved = freePort();
        start(List.of(V4), Set.of(reserved));

        await(server.update(1, Map.of(reserved, web(1))));

        assertThat(server.listeningPorts()).isEmpty();
        assertThat(server.unboundPorts().get(reserved)).contains("applier's own HTTP ports");
        assertRefused(V4, reserved);
    }

    @Test
    void aDualStackServiceAnswersEachProbeFromItsOwnFamily() throws Exception {
        assumeTrue(ipv6Loopback(), "this host has no IPv6 loopback (::1)");
        int port = freePort();
        start(List.of(V4, V6), Set.of());

        await(server.update(1, Map.of(port, new ServiceHealth("ns1", "web", Map.of(IpFamily.IPV4, 2, IpFamily.IPV6, 0)))));

        assertThat(Probe.get(V4, port).status()).isEqualTo(200);
        Probe.Response v6 = Probe.get(V6, port);
        assertThat(v6.status()).isEqualTo(503);
        assertThat(v6.body()).contains("\"localEndpoints\": 0,");
    }

    @Test
    void theDefaultWildcardAnswersProbesOfBothFamilies() throws Exception {
        assumeTrue(ipv6Loopback(), "this host has no IPv6 loopback (::1)");
        int port = freePort();
        start(ServiceHealthServer.ALL_ADDRESSES, Set.of());

        await(server.update(1, Map.of(port, new ServiceHealth("ns1", "web", Map.of(IpFamily.IPV4, 1, IpFamily.IPV6, 2)))));

        assertThat(Probe.get(V4, port).headers()).containsEntry("x-load-balancing-endpoint-weight", "1");
        assertThat(Probe.get(V6, port).headers()).containsEntry("x-load-balancing-endpoint-weight", "2");
    }

    @Test
    void closeClosesEveryPortAndLaterUpdatesFail() throws Exception {
        int a = freePort();
        int b = freePort();
        start();
        await(server.update(1, Map.of(a, web(1), b, web(0))));

        await(server.close());

        assertRefused(V4, a);
        assertRefused(V4, b);
        assertThat(server.update(2, Map.of(a, web(1))).toCompletionStage().toCompletableFuture())
                .failsWithin(10, TimeUnit.SECONDS);
        assertThat(server.listeningPorts()).isEmpty();
    }

    @Test
    void badBindAddressesAreRefusedWithTheValue() {
        assertThatThrownBy(() -> start(List.of("localhost"), Set.of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'localhost'");
        assertThatThrownBy(() -> start(List.of(), Set.of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("empty");
        server = null;
    }

    // ---- helpers -----------------------------------------------------------------------------

    /**
     * Nothing listens on {@code host:port}, within a bound: the JDK frees a selector-registered
     * listening socket at the selector's next pass, a moment after Vert.x reports it closed, and
     * a probe in between is accepted and then reset.
     */
    private static void assertRefused(String host, int port) {
        Awaitility.await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                assertThatThrownBy(() -> Probe.get(host, port)).isInstanceOf(ConnectException.class));
    }

    private static <T> T await(Future<T> f) throws Exception {
        return f.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    /** A port free on every address now (the OS picks it; the test binds it right after). */
    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static boolean ipv6Loopback() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName(V6))) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
