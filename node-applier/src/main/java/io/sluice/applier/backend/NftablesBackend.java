package io.sluice.applier.backend;

import io.sluice.applier.render.NftablesModel;
import io.sluice.applier.render.NftablesRenderer;
import io.sluice.applier.render.RuleSet;
import io.sluice.applier.render.nft.NftChange;
import io.sluice.applier.render.nft.NftDiff;
import io.sluice.applier.render.nft.NftScript;
import io.sluice.applier.render.nft.NftShape;
import io.sluice.applier.render.nft.NftTable;
import io.sluice.applier.render.nft.NftTableModel;
import io.sluice.schema.model.ObjectKey;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Writes nftables rule sets with {@code nft -f -}, one transaction per apply, so the kernel takes
 * all of it or none (nft transactions are atomic: a refused one leaves the previous rules).
 *
 * <p>The backend remembers the tables of its last successful apply. The first apply, and the first
 * after any failure, replaces each table whole ({@code add table}, {@code delete table}, the full
 * definition) because it cannot know what the kernel holds. Every later apply sends only the
 * difference {@link NftDiff} computes: map elements added or removed, chains of changed Services
 * created, flushed and refilled, or deleted. At 10,000 Services that is the difference between
 * well under a second and tens of seconds (ARCHITECTURE.md, "Measured facts"). A rule set with the
 * renderer's model ({@link NftablesModel}) is used as it is, never written out and parsed back;
 * the tables kept are models too, so after an incremental render the difference is found by
 * comparing the changed Services' parts only (docs/PERFORMANCE.md, benchmark 1).
 *
 * <p>A table the previous rule set had and this one lacks is deleted in the same transaction.
 * {@link #cleanup()} deletes {@code ip sluice} and {@code ip6 sluice} whether or not they exist.
 * Drift checks compare the shape of the kernel's tables ({@link NftShape}: chains with their rule
 * counts, sets and maps with their element counts) with the applied rule set's; drift makes the
 * next apply load the tables whole.
 * Every command runs behind the prefix (e.g. {@code ip netns exec lab-node1}) and within the
 * timeout. Not thread-safe: one sync worker calls it.
 */
public final class NftablesBackend implements RuleBackend {
    public static final String DEFAULT_BINARY = "nft";
    /** A full load of 10,000 Services takes about 45 s here; a generous bound above that. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofMinutes(5);
    private static final List<String> FAMILIES = List.of("ip", "ip6");

    private final Exec exec;
    private final List<String> prefix;
    private final String binary;
    private final Duration timeout;
    /** Tables by "family name" as the kernel holds them after the last successful apply; null when unknown. */
    private Map<String, NftTableModel<?>> installed;
    private NftChange lastChange;

    /** Host or namespace backend with the default binary and timeout. */
    public NftablesBackend(List<String> commandPrefix) {
        this(Exec.system(), commandPrefix, DEFAULT_BINARY, DEFAULT_TIMEOUT);
    }

    public NftablesBackend(Exec exec, List<String> commandPrefix, String binary, Duration timeout) {
        this.exec = Objects.requireNonNull(exec, "exec");
        this.prefix = List.copyOf(commandPrefix);
        this.binary = Objects.requireNonNull(binary, "binary");
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout " + timeout + " must be positive");
        }
        this.timeout = timeout;
    }

    @Override
    public void apply(RuleSet rules) throws ApplyException {
        if (!NftablesRenderer.MODE.equals(rules.mode())) {
            throw new ApplyException(describe() + " cannot apply a rule set of mode " + rules.mode());
        }
        List<NftTableModel<?>> wanted = wanted(rules);
        for (NftTableModel<?> t : wanted) {
            NftTable base = t.base();
            if (!base.name().equals(NftablesRenderer.TABLE) || !FAMILIES.contains(base.family())) {
                throw new ApplyException(describe() + ": rule text names table " + t.qualifiedName() + "; this backend"
                        + " only owns " + FAMILIES.stream().map(f -> f + " " + NftablesRenderer.TABLE).toList()
                        + ", nothing applied");
            }
        }
        NftChange change = NftDiff.between(installed, wanted);
        if (!change.isEmpty()) {
            installed = null; // unknown until nft says it committed
            run(change.script(), change.summary());
        }
        Map<String, NftTableModel<?>> now = new LinkedHashMap<>();
        wanted.forEach(t -> now.put(t.qualifiedName(), t));
        installed = now;
        lastChange = change;
    }

    /**
     * One sync: the difference between the tables of the last successful apply and {@code rules},
     * in one transaction, or, when the kernel's tables are not known (first apply, after a failure
     * or a timeout, after {@link #cleanup()}), the tables loaded whole, which makes the sync FULL
     * whatever was asked. A FULL sync with known tables diffs against them as a PARTIAL one does.
     * {@code changedServices} is not needed: comparing the models finds every change, tracked or not,
     * at the cost of the changed Services only when the rule set shares the rest with the last one.
     */
    @Override
    public ApplyReport apply(RuleSet rules, SyncKind kind, Set<ObjectKey> changedServices) throws ApplyException {
        boolean known = installed != null && !installed.isEmpty();
        apply(rules);
        NftChange c = lastChange;
        SyncKind done = known && !c.full() ? kind : SyncKind.FULL;
        return new ApplyReport(done, c.chainsWritten(), c.chainsRemoved(), c.rulesWritten(), c.script().length());
    }

    /**
     * The shape ({@link NftShape}) of Sluice's tables as the kernel holds them: {@code nft list
     * table} per family (a missing table has no lines), every chain with its rule count, every set
     * and map with its element count, sorted.
     */
    @Override
    public Optional<String> readBack() throws ApplyException {
        List<String> lines = new ArrayList<>();
        for (String family : FAMILIES) {
            String table = family + " " + NftablesRenderer.TABLE;
            List<String> cmd = new ArrayList<>(prefix);
            cmd.addAll(List.of(binary, "list", "table", family, NftablesRenderer.TABLE));
            Exec.Result r;
            try {
                r = exec.run(cmd, "", timeout);
            } catch (Exec.ExecException e) {
                throw new ApplyException(describe() + ": cannot read back " + table + ": " + e.getMessage(), e);
            }
            if (!r.ok()) {
                if (r.stderr().contains("No such file or directory")) {
                    continue; // no such table
                }
                throw new ApplyException(describe() + ": cannot read back " + table + ": " + r.describe());
            }
            try {
                lines.addAll(NftShape.parseListing(table, r.stdout()));
            } catch (IllegalArgumentException e) {
                throw new ApplyException(describe() + ": cannot read back " + table + ": " + e.getMessage(), e);
            }
        }
        return Optional.of(sortedLines(lines));
    }

    /** {@code rules} in {@link #readBack()}'s form, from its model (or its text parsed). */
    @Override
    public String canonical(RuleSet rules) {
        List<String> lines = new ArrayList<>();
        try {
            wanted(rules).forEach(t -> lines.addAll(NftShape.of(t)));
        } catch (ApplyException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
        return sortedLines(lines);
    }

    /**
     * Compares the shape of the kernel's tables with {@code applied}'s (either depth: one listing
     * per family). Drift makes the backend forget the tables it applied, so the next apply loads
     * them whole and repairs the difference.
     */
    @Override
    public Optional<DriftReport> checkDrift(RuleSet applied, DriftCheck depth) throws ApplyException {
        Optional<DriftReport> report = RuleBackend.super.checkDrift(applied, depth);
        if (report.isPresent() && report.get().drifted()) {
            installed = null;
        }
        return report;
    }

    private static String sortedLines(List<String> lines) {
        List<String> sorted = new ArrayList<>(lines);
        sorted.sort(null);
        StringBuilder out = new StringBuilder();
        sorted.forEach(l -> out.append(l).append('\n'));
        return out.toString();
    }

    /** The renderer's model when the rule set has one (nothing parsed), else its text parsed. */
    private List<NftTableModel<?>> wanted(RuleSet rules) throws ApplyException {
        Optional<NftablesModel> model = rules.structure(NftablesModel.class);
        if (model.isPresent()) {
            return model.get().tables();
        }
        NftScript script;
        try {
            script = NftScript.parse(rules.text());
        } catch (IllegalArgumentException e) {
            throw new ApplyException(describe() + ": malformed rule text, nothing applied: " + e.getMessage(), e);
        }
        List<NftTableModel<?>> out = new ArrayList<>();
        script.tables().forEach(t -> out.add(NftTableModel.of(t)));
        return out;
    }

    @Override
    public void cleanup() throws ApplyException {
        installed = null;
        StringBuilder script = new StringBuilder();
        for (String family : FAMILIES) {
            String t = family + " " + NftablesRenderer.TABLE;
            script.append("add table ").append(t).append('\n').append("delete table ").append(t).append('\n');
        }
        run(script.toString(), "delete the tables");
        installed = Map.of();
    }

    /** The transaction the last successful {@link #apply} sent (empty script when nothing changed). */
    public Optional<NftChange> lastChange() {
        return Optional.ofNullable(lastChange);
    }

    /** Whether the next apply replaces its tables whole (first apply, after a failure, after cleanup). */
    public boolean nextApplyIsFull() {
        return installed == null || installed.isEmpty();
    }

    @Override
    public String describe() {
        return "nftables (" + binary + ") " + Exec.where(prefix);
    }

    private void run(String script, String what) throws ApplyException {
        List<String> cmd = new ArrayList<>(prefix);
        cmd.addAll(List.of(binary, "-f", "-"));
        Exec.Result r;
        try {
            r = exec.run(cmd, script, timeout);
        } catch (Exec.ExecException e) {
            installed = null;
            throw new ApplyException(describe() + " (" + what + "): " + e.getMessage()
                    + "; the kernel holds either the old or the new rules; the next apply loads the tables whole", e);
        }
        if (!r.ok()) {
            installed = null;
            throw new ApplyException(describe() + " refused the transaction (" + what + "); nft transactions are atomic,"
                    + " so the kernel keeps the previous rules; the next apply loads the tables whole: " + r.describe());
        }
    }
}
