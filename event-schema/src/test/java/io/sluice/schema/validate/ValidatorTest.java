package io.sluice.schema.validate;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.schema.Fixtures;
import io.sluice.schema.model.AddressType;
import io.sluice.schema.model.Endpoint;
import io.sluice.schema.model.EndpointSlice;
import io.sluice.schema.model.Node;
import io.sluice.schema.model.NodeAddress;
import io.sluice.schema.model.Service;
import io.sluice.schema.model.ServicePort;
import io.sluice.schema.model.ServiceType;
import io.sluice.schema.model.SessionAffinity;
import java.util.List;
import org.junit.jupiter.api.Test;

class ValidatorTest {
    @Test
    void fullyPopulatedObjectsAreValid() {
        assertThat(Validator.validate(Fixtures.fullService())).isEmpty();
        assertThat(Validator.validate(Fixtures.fullSlice())).isEmpty();
        assertThat(Validator.validate(Fixtures.fullNode())).isEmpty();
    }

    @Test
    void serviceViolationsNameFieldAndValue() {
        Service s = Service.builder("ns", "svc").clusterIPs(List.of("1.2.3", "::g"))
                .ports(new ServicePort("a", io.sluice.schema.model.Protocol.TCP, 0, "Bad_Name", 70000, null),
                        new ServicePort("b", io.sluice.schema.model.Protocol.TCP, 80, "99999", 0, null))
                .sessionAffinity(SessionAffinity.CLIENT_IP).sessionAffinityTimeoutSeconds(0)
                .externalIPs(List.of("example.com")).loadBalancerSourceRanges(List.of("192.0.2.0/33")).build();
        assertThat(Validator.validate(s)).extracting(Violation::toString).containsExactly(
                "spec.clusterIPs[0]: '1.2.3' is not an IP address",
                "spec.clusterIPs[1]: '::g' is not an IP address",
                "spec.ports[0].port: '0' is out of range 1-65535",
                "spec.ports[0].nodePort: '70000' is out of range 1-65535",
                "spec.ports[0].targetPort: 'Bad_Name' is neither a port number nor a valid port name",
                "spec.ports[1].targetPort: '99999' is out of range 1-65535",
                "spec.sessionAffinityConfig.clientIP.timeoutSeconds: '0' must be between 1 and 86400",
                "spec.externalIPs[0]: 'example.com' is not an IP address",
                "spec.loadBalancerSourceRanges[0]: '192.0.2.0/33' is not a CIDR");
    }

    @Test
    void headlessAndExternalNameServicesNeedNoClusterIP() {
        assertThat(Validator.validate(Service.builder("ns", "h").headless(true).build())).isEmpty();
        assertThat(Validator.validate(Service.builder("ns", "x").type(ServiceType.EXTERNAL_NAME).externalName("db.example.org").build())).isEmpty();
        assertThat(Validator.validate(Service.builder("ns", "x").type(ServiceType.EXTERNAL_NAME).build()))
                .extracting(Violation::field).containsExactly("spec.externalName");
    }

    @Test
    void duplicatePortsAndUnnamedMultiPortsAreRejected() {
        Service s = Service.builder("ns", "svc").clusterIP("10.96.0.1").ports(ServicePort.tcp("", 80, 80), ServicePort.tcp("", 80, 81)).build();
        assertThat(Validator.validate(s)).extracting(Violation::toString).contains(
                "spec.ports[1]: 'TCP/80' duplicates an earlier port", "spec.ports[0].name: '' must be set when a Service has more than one port");
    }

    @Test
    void sliceAddressesMustMatchTheAddressType() {
        EndpointSlice e = new EndpointSlice("ns", "s-1", "s", AddressType.IPV6, List.of(),
                List.of(Endpoint.ready("10.244.1.1", "n1"), Endpoint.ready("fd00::1", "n1")));
        assertThat(Validator.validate(e)).extracting(Violation::toString)
                .containsExactly("endpoints[0].addresses[0]: '10.244.1.1' is not an IPv6 address");
        EndpointSlice orphan = new EndpointSlice("ns", "s-1", "", AddressType.IPV4, List.of(), List.of());
        assertThat(Validator.validate(orphan)).extracting(Violation::field).containsExactly("metadata.labels[kubernetes.io/service-name]");
    }

    @Test
    void nodeIpAddressesMustBeIps() {
        Node n = new Node("n1", List.of(NodeAddress.internalIP("10.0.0.256"), new NodeAddress("Hostname", "n1")), null, List.of("10.244.1.0/24"));
        assertThat(Validator.validate(n)).extracting(Violation::toString)
                .containsExactly("status.addresses[0].address: '10.0.0.256' is not an IP address (type InternalIP)");
    }

    @Test
    void ipLiteralsAreStrictAndNeverResolveNames() {
        assertThat(IpLiterals.isIp("10.0.0.1")).isTrue();
        assertThat(IpLiterals.isIp("fd00::1")).isTrue();
        assertThat(IpLiterals.isIp("010.0.0.1")).isFalse();
        assertThat(IpLiterals.isIp("0.0.0.0")).isTrue();
        assertThat(IpLiterals.isIp("255.255.255.255")).isTrue();
        assertThat(IpLiterals.isIp("256.0.0.1")).isFalse();
        assertThat(IpLiterals.isIp("1.2.3")).isFalse();
        assertThat(IpLiterals.isIp("1.2.3.4.5")).isFalse();
        assertThat(IpLiterals.isIp("1..3.4")).isFalse();
        assertThat(IpLiterals.isIp("1.2.3.4.")).isFalse();
        assertThat(IpLiterals.isIp("1.2.3.1000")).isFalse();
        assertThat(IpLiterals.isIp("1.2.3.-4")).isFalse();
        assertThat(IpLiterals.isIp("localhost")).isFalse();
        assertThat(IpLiterals.isIp("1::2::3")).isFalse();
        assertThat(IpLiterals.isCidr("fd00::/64")).isTrue();
        assertThat(IpLiterals.isCidr("10.0.0.0")).isFalse();
    }
}
