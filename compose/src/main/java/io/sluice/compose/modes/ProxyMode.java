package io.sluice.compose.modes;

import java.util.Arrays;
import java.util.stream.Collectors;

/** How a node's Service rules are programmed: kube-proxy's {@code mode}, with its spellings. */
public enum ProxyMode {
    IPTABLES("iptables"),
    NFTABLES("nftables"),
    IPVS("ipvs");

    private final String wireName;

    ProxyMode(String wireName) {
        this.wireName = wireName;
    }

    public String wireName() {
        return wireName;
    }

    /** Parses kube-proxy's spelling (case-insensitive); the error names the value and the choices. */
    public static ProxyMode parse(String value) {
        for (ProxyMode m : values()) {
            if (m.wireName.equalsIgnoreCase(value.strip())) {
                return m;
            }
        }
        throw new IllegalArgumentException("mode '" + value + "' is not one of " + choices());
    }

    public static String choices() {
        return Arrays.stream(values()).map(ProxyMode::wireName).collect(Collectors.joining(", "));
    }

    @Override
    public String toString() {
        return wireName;
    }
}
