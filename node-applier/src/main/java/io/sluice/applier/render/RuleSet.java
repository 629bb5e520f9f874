package io.sluice.applier.render;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * The complete desired rules for one node, in the kernel tool's own input language.
 *
 * @param mode   "iptables", "nftables" or "ipvs"
 * @param text   input for the tool as it stands (iptables-restore format for iptables)
 * @param chains every chain the rule set owns, per table as "table/CHAIN"; backends use it to delete
 *               chains that a previous rule set had and this one has not
 * @param serviceCount Services programmed (not ignored), for logs and metrics
 * @param endpointCount endpoint chains rendered, for logs and metrics
 */
public record RuleSet(String mode, String text, Set<String> chains, int serviceCount, int endpointCount) {
    public RuleSet {
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(text, "text");
        chains = Set.copyOf(chains);
    }

    public List<String> lines() {
        return text.lines().toList();
    }

    /** {@code sha256:<hex>} of {@link #text}: the rule digest nodes report and dry-run history records. */
    public String digest() {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
            return "sha256:" + HexFormat.of().formatHex(d);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every Java platform", e);
        }
    }
}
