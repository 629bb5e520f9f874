package io.sluice.applier.render.nft;

import java.util.List;
import java.util.Objects;

/**
 * One chain of a table: its name, its declaration and its rules in order.
 *
 * @param name  the chain name, e.g. {@code services} or {@code service-ULMVA6XW-ns1/svc1/tcp/p80}
 * @param spec  what follows the name in {@code add chain}: {@code { type nat hook prerouting priority -100 ; }}
 *              for a base chain, {@code { comment "…" ; }}, or empty for a plain regular chain
 * @param rules each rule as written after the chain name in {@code add rule}, in order
 */
public record NftChain(String name, String spec, List<String> rules) {
    public NftChain {
        NftNames.checkName("chain", name);
        spec = Objects.requireNonNullElse(spec, "").strip();
        rules = List.copyOf(rules);
        for (String r : rules) {
            if (r.isBlank() || r.contains("\n")) {
                throw new IllegalArgumentException("rule '" + r + "' of chain " + name + " is empty or spans lines");
            }
        }
    }

    /** True when the chain hooks into netfilter ({@code type … hook …}): nothing may jump to it. */
    public boolean isBaseChain() {
        return spec.contains(" hook ");
    }
}
