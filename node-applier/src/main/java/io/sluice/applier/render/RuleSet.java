package io.sluice.applier.render;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;

/**
 * The complete desired rules for one node, in the kernel tool's own input language.
 *
 * <p>A rule set is either plain text (as the IPVS renderer gives it) or a structured model
 * ({@link IptablesChains}: chain → rule lines; {@link NftablesModel}: tables of chains, sets and
 * elements; both built from per-Service fragments), whose text
 * is only written out when someone asks for it ({@link #text()}: dry-run files, {@code sluice
 * render}). Backends that understand the model use it directly and never parse 25 MB of text back
 * (benchmark 1 of docs/PERFORMANCE.md). Immutable and thread-safe; a structured rule set's chain
 * set is computed once, its text on every call (not kept next to the model).
 */
public final class RuleSet {
    private final String mode;
    private final int serviceCount;
    private final int endpointCount;
    private final Object structure;
    private final Supplier<String> textSource;
    private final Supplier<Set<String>> chainSource;
    private volatile String text;
    private volatile Set<String> chains;

    /**
     * @param mode   "iptables", "nftables" or "ipvs"
     * @param text   input for the tool as it stands (iptables-restore format for iptables)
     * @param chains every chain the rule set owns, per table as "table/CHAIN"; backends use it to delete
     *               chains that a previous rule set had and this one has not
     * @param serviceCount Services programmed (not ignored), for logs and metrics
     * @param endpointCount endpoint chains rendered, for logs and metrics
     */
    public RuleSet(String mode, String text, Set<String> chains, int serviceCount, int endpointCount) {
        this.mode = Objects.requireNonNull(mode, "mode");
        this.text = Objects.requireNonNull(text, "text");
        this.chains = Set.copyOf(chains);
        this.serviceCount = serviceCount;
        this.endpointCount = endpointCount;
        this.structure = null;
        this.textSource = null;
        this.chainSource = null;
    }

    /** A rule set backed by a model; its text and chain set are derived from it when first asked for. */
    public static RuleSet structured(String mode, Object structure, Supplier<String> text, Supplier<Set<String>> chains,
            int serviceCount, int endpointCount) {
        return new RuleSet(mode, structure, text, chains, serviceCount, endpointCount);
    }

    private RuleSet(String mode, Object structure, Supplier<String> text, Supplier<Set<String>> chains, int serviceCount,
            int endpointCount) {
        this.mode = Objects.requireNonNull(mode, "mode");
        this.structure = Objects.requireNonNull(structure, "structure");
        this.textSource = Objects.requireNonNull(text, "text");
        this.chainSource = Objects.requireNonNull(chains, "chains");
        this.serviceCount = serviceCount;
        this.endpointCount = endpointCount;
    }

    public String mode() {
        return mode;
    }

    /** The tool's input; for a structured rule set written out on every call (tens of MB at 10,000 Services: call it once). */
    public String text() {
        String t = text;
        if (t == null) {
            // Written anew on each call and not kept: the rule set lives on as the kernel's (RuleSyncer),
            // and keeping 25 MB of text next to the model would double its heap for one dry-run write.
            t = Objects.requireNonNull(textSource.get(), "rendered text");
        }
        return t;
    }

    /** Every chain the rule set owns, "table/CHAIN". */
    public Set<String> chains() {
        Set<String> c = chains;
        if (c == null) {
            synchronized (this) {
                c = chains;
                if (c == null) {
                    c = Set.copyOf(chainSource.get());
                    chains = c;
                }
            }
        }
        return c;
    }

    public int serviceCount() {
        return serviceCount;
    }

    public int endpointCount() {
        return endpointCount;
    }

    /** The renderer's model behind this rule set, when it has one of {@code type}. */
    public <T> Optional<T> structure(Class<T> type) {
        return type.isInstance(structure) ? Optional.of(type.cast(structure)) : Optional.empty();
    }

    public List<String> lines() {
        return text().lines().toList();
    }

    /** {@code sha256:<hex>} of {@link #text}: the digest {@code sluice render} users can recompute (and dry-run history records for text rule sets). */
    public String digest() {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(text().getBytes(StandardCharsets.UTF_8));
            return "sha256:" + HexFormat.of().formatHex(d);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every Java platform", e);
        }
    }

    /**
     * A digest nodes report after each sync, cheap to keep up to date: for a structured rule set the
     * model's own ({@link IptablesChains#fingerprint()}, {@link NftablesModel#fingerprint()}, updated
     * per changed chain or Service port), otherwise
     * {@link #digest()}.
     */
    public String fingerprint() {
        if (structure instanceof IptablesChains c) {
            return c.fingerprint();
        }
        if (structure instanceof NftablesModel m) {
            return m.fingerprint();
        }
        return digest();
    }

    /** Rules ({@code -A} lines) per table for iptables rule sets; empty for other modes. */
    public Map<String, Integer> rulesPerTable() {
        if (structure instanceof IptablesChains c) {
            return c.rulesPerTable();
        }
        if (!IptablesRenderer.MODE.equals(mode)) {
            return Map.of();
        }
        Map<String, Integer> out = new java.util.TreeMap<>();
        String table = null;
        for (String line : lines()) {
            if (line.startsWith("*")) {
                table = line.substring(1).strip();
                out.putIfAbsent(table, 0);
            } else if (table != null && line.startsWith("-A ")) {
                out.merge(table, 1, Integer::sum);
            }
        }
        return out;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RuleSet r && mode.equals(r.mode) && serviceCount == r.serviceCount
                && endpointCount == r.endpointCount && text().equals(r.text()) && chains().equals(r.chains());
    }

    @Override
    public int hashCode() {
        return Objects.hash(mode, text(), serviceCount, endpointCount);
    }

    @Override
    public String toString() {
        return "RuleSet[mode=" + mode + ", services=" + serviceCount + ", endpoints=" + endpointCount
                + (structure != null ? ", structured" : ", " + text.length() + " chars") + "]";
    }
}
