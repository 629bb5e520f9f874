package io.sluice.applier.healthcheck;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.schema.model.IpFamily;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** kube-proxy's answer, byte for byte (hcHandler.ServeHTTP). */
class ServiceHealthResponseTest {
    private static final ServiceHealth TWO = ServiceHealth.of("ns1", "web", IpFamily.IPV4, 2);

    @Test
    void localEndpointsAndHealthyProxyAnswer200WithKubeProxysBody() {
        ServiceHealthResponse r = ServiceHealthResponse.of(TWO, IpFamily.IPV4, true);

        assertThat(r.status()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("""
                {
                \t"service": {
                \t\t"namespace": "ns1",
                \t\t"name": "web"
                \t},
                \t"localEndpoints": 2,
                \t"serviceProxyHealthy": true
                }""");
        assertThat(r.headers()).isEqualTo(Map.of("Content-Type", "application/json", "X-Content-Type-Options", "nosniff",
                "X-Load-Balancing-Endpoint-Weight", "2"));
    }

    @Test
    void noLocalEndpointAnswers503WithCountZero() {
        ServiceHealthResponse r = ServiceHealthResponse.of(ServiceHealth.of("ns1", "web", IpFamily.IPV4, 0), IpFamily.IPV4, true);

        assertThat(r.status()).isEqualTo(503);
        assertThat(r.body()).contains("\"localEndpoints\": 0,").contains("\"serviceProxyHealthy\": true");
        assertThat(r.headers()).containsEntry("X-Load-Balancing-Endpoint-Weight", "0");
    }

    @Test
    void unhealthyProxyAnswers503AndStillReportsTheCount() {
        ServiceHealthResponse r = ServiceHealthResponse.of(TWO, IpFamily.IPV4, false);

        assertThat(r.status()).isEqualTo(503);
        assertThat(r.body()).contains("\"localEndpoints\": 2,").contains("\"serviceProxyHealthy\": false");
    }

    @Test
    void aDualStackServiceAnswersTheProbesFamily() {
        ServiceHealth h = new ServiceHealth("ns1", "web", Map.of(IpFamily.IPV4, 3, IpFamily.IPV6, 0));

        assertThat(ServiceHealthResponse.of(h, IpFamily.IPV4, true).status()).isEqualTo(200);
        assertThat(ServiceHealthResponse.of(h, IpFamily.IPV6, true).status()).isEqualTo(503);
    }

    @Test
    void namesAreJsonQuoted() {
        ServiceHealthResponse r = ServiceHealthResponse.of(ServiceHealth.of("n\"s", "a\\b", IpFamily.IPV4, 1),
                IpFamily.IPV4, true);

        assertThat(r.body()).contains("\"namespace\": \"n\\\"s\",").contains("\"name\": \"a\\\\b\"");
    }
}
