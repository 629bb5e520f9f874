package io.sluice.applier.render;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class IptablesChainNamesTest {

    /** Hashes taken from kube-proxy's own expected rule dumps (pkg/proxy/iptables/proxier_test.go). */
    @ParameterizedTest(name = "{0} {1} {2} -> {3}")
    @CsvSource({
            "ns1/svc1:p80, tcp, '',            SLUICE-SVC-XPGD46QRK7WJZT7O",
            "ns2/svc2:p8080, tcp, '',          SLUICE-SVC-2VJB64SDSIJUP5T6",
            "ns3/svc3:p80, tcp, '',            SLUICE-SVC-X27LE4BHSL4DOUIK",
            "ns1/svc1:p80, tcp, 10.180.0.1:80, SLUICE-SEP-SXIVWICOYRO3J4NJ",
            "ns1/svc1:p80, tcp, 10.180.2.1:80, SLUICE-SEP-ZX7GRIZKSNUQ3LAJ",
            "ns5/svc5:p80, tcp, 10.180.0.3:80, SLUICE-SEP-I77PXRDZVX7PMWMN",
    })
    void chainNamesUseKubeProxysHashes(String portName, String protocol, String endpoint, String expected) {
        String[] nsName = portName.split("[/:]");
        ServicePortName name = new ServicePortName(nsName[0], nsName[1], nsName[2]);
        String actual = endpoint.isEmpty()
                ? IptablesChainNames.serviceChain(name, protocol)
                : IptablesChainNames.endpointChain(name, protocol, endpoint);
        assertThat(actual).isEqualTo(expected).hasSizeLessThanOrEqualTo(28);
    }

    @ParameterizedTest
    @CsvSource({"ns,web,'',ns/web", "ns,web,http,ns/web:http"})
    void servicePortNameIsWrittenLikeKubeProxy(String ns, String name, String port, String expected) {
        assertThat(new ServicePortName(ns, name, port)).hasToString(expected);
    }
}
