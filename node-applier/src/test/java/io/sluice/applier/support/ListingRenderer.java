package io.sluice.applier.support;

import io.sluice.applier.render.NodeContext;
import io.sluice.applier.render.RenderOptions;
import io.sluice.applier.render.RuleRenderer;
import io.sluice.applier.render.RuleSet;
import io.sluice.schema.model.Service;
import io.sluice.store.image.ClusterImage;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * A trivial pure renderer for runtime tests: the first line names the image's seq and node, then
 * one line per Service key. Enough to see which state reached "the kernel".
 */
public final class ListingRenderer implements RuleRenderer {
    public static final String MODE = "listing";

    @Override
    public RuleSet render(ClusterImage image, NodeContext node, RenderOptions options) {
        List<String> lines = new ArrayList<>();
        lines.add("# seq=" + image.seq() + " node=" + node.nodeName());
        for (Service s : image.services()) {
            lines.add(s.key() + " " + String.join(",", s.clusterIPs()));
        }
        return new RuleSet(MODE, String.join("\n", lines) + "\n", Set.of(), image.services().size(), 0);
    }

    /** The seq a rule set rendered by this class was rendered at. */
    public static long seqOf(RuleSet rules) {
        String first = rules.lines().get(0);
        return Long.parseLong(first.substring("# seq=".length(), first.indexOf(' ', 2)));
    }

    /** The Service keys a rule set rendered by this class lists. */
    public static List<String> servicesOf(RuleSet rules) {
        return rules.lines().stream().skip(1).map(l -> l.substring(0, l.indexOf(' '))).toList();
    }
}
