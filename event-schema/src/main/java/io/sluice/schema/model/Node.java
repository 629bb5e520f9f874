package io.sluice.schema.model;

import java.util.List;
import java.util.Objects;

/** A Kubernetes Node reduced to what a Service proxy needs: addresses, zone and pod CIDRs. */
public record Node(String name, List<NodeAddress> addresses, String zone, List<String> podCIDRs) implements Resource {
    public Node {
        Objects.requireNonNull(name, "name");
        addresses = Lists.copy(addresses);
        podCIDRs = Lists.copy(podCIDRs);
    }

    @Override
    public ObjectKey key() {
        return ObjectKey.node(name);
    }
}
