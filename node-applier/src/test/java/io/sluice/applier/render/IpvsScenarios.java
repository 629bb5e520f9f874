package io.sluice.applier.render;

import io.sluice.schema.model.IpFamily;
import io.sluice.schema.model.Resource;
import io.sluice.store.image.ClusterImage;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The {@link Behaviours} clusters, rendered in IPVS mode, for tests outside this package. */
public final class IpvsScenarios {
    private IpvsScenarios() {
    }

    public static NodeContext node1() {
        return Behaviours.NODE1;
    }

    public static RenderOptions options(IpFamily family) {
        return family == IpFamily.IPV4 ? RenderOptions.defaults(Behaviours.CLUSTER_CIDR)
                : new RenderOptions(IpFamily.IPV6, List.of(Behaviours.CLUSTER_CIDR, Behaviours.CLUSTER_CIDR6), 14, false,
                        List.of());
    }

    /** Every behaviour at once. */
    public static ClusterImage everything() {
        return image(Behaviours.everything());
    }

    /**
     * Every behaviour, but the load balancer's source ranges hold the node: no {@code -m ipvs}
     * rule, so the iptables part loads on a kernel without ip_vs.
     */
    public static ClusterImage everythingButNodeAccessDrop() {
        List<Resource> out = new ArrayList<>();
        for (Map.Entry<String, List<Resource>> e : Behaviours.all().entrySet()) {
            if (!e.getKey().equals("load-balancer-source-ranges")) {
                out.addAll(e.getValue());
            }
        }
        out.addAll(IpvsRendererTest.lbAdmittingNode());
        return image(out);
    }

    /** One behaviour of {@link Behaviours} by name. */
    public static ClusterImage behaviour(String name) {
        return image(Behaviours.all().get(name));
    }

    public static RuleSet render(ClusterImage image, IpFamily family) {
        return new IpvsRenderer().render(image, Behaviours.NODE1, options(family));
    }

    private static ClusterImage image(List<Resource> objects) {
        return Fixtures.image(objects.toArray(new Resource[0]));
    }
}
