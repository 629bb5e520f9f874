package io.sluice.applier.healthcheck;

import io.sluice.schema.model.IpFamily;
import java.util.Map;

/**
 * The answer of a healthCheckNodePort, byte for byte kube-proxy's ({@code hcHandler.ServeHTTP} in
 * pkg/proxy/healthcheck/service_health.go): 200 when the node has a ready local endpoint and the
 * proxy is healthy, else 503; a JSON body naming the Service with the count and the proxy's health;
 * the count again in {@code X-Load-Balancing-Endpoint-Weight} (read by weighted load balancers).
 * Pure, so the exact text is tested without a server.
 */
public record ServiceHealthResponse(int status, Map<String, String> headers, String body) {
    public static final String CONTENT_TYPE = "application/json";

    public ServiceHealthResponse {
        headers = Map.copyOf(headers);
    }

    /** The answer to a probe that arrived over {@code family}. */
    public static ServiceHealthResponse of(ServiceHealth health, IpFamily family, boolean proxyHealthy) {
        int count = health.localEndpointsFor(family);
        int status = count != 0 && proxyHealthy ? 200 : 503;
        Map<String, String> headers = Map.of(
                "Content-Type", CONTENT_TYPE,
                "X-Content-Type-Options", "nosniff",
                "X-Load-Balancing-Endpoint-Weight", Integer.toString(count));
        String body = "{\n"
                + "\t\"service\": {\n"
                + "\t\t\"namespace\": " + quote(health.namespace()) + ",\n"
                + "\t\t\"name\": " + quote(health.name()) + "\n"
                + "\t},\n"
                + "\t\"localEndpoints\": " + count + ",\n"
                + "\t\"serviceProxyHealthy\": " + proxyHealthy + "\n"
                + "}";
        return new ServiceHealthResponse(status, headers, body);
    }

    /** A JSON string (Kubernetes names never need escaping; this keeps the body JSON if one did). */
    private static String quote(String s) {
        StringBuilder sb = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                default -> {
                    if (c < 0x20) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        return sb.append('"').toString();
    }
}
