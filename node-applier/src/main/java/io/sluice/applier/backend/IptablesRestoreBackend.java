package io.sluice.applier.backend;

import io.sluice.applier.render.IptablesChains;
import io.sluice.applier.render.IptablesRenderer;
import io.sluice.applier.render.RuleSet;
import io.sluice.schema.model.IpFamily;
import io.sluice.schema.model.ObjectKey;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Writes iptables rule sets with {@code iptables-restore --noflush -w}, so only the chains the rule
 * set declares change and each table changes in one transaction (a refused input leaves the old
 * rules in place). Around that, like kube-proxy: jumps from the built-in chains kept present
 * exactly once ({@code iptables -C || iptables -I}), and chains that the previous rule set had and
 * this one has not are deleted in the same restore. Before its first apply the backend does not
 * know what an earlier run left behind, so it reads {@code iptables-save}; after a failed apply it
 * reads it again.
 *
 * <p>Works for any iptables flavour and either family: the binary names are derived from the
 * restore binary ({@code iptables-legacy-restore} → {@code iptables-legacy}, {@code
 * iptables-legacy-save}; {@code ip6tables-restore} → {@code ip6tables}, {@code ip6tables-save}).
 * Every command runs behind the prefix (e.g. {@code ip netns exec lab-node1}) and within the
 * timeout. Not thread-safe: one sync worker calls it.
 */
public final class IptablesRestoreBackend implements RuleBackend {
    /**
     * The rendered text as standalone {@code iptables-restore} input: what an apply installs,
     * including the jumps from the built-in chains, for a node with no Sluice rules
     * ({@code sluice render} prints this).
     */
    public static String standaloneInput(String renderedText, List<IptablesJump> jumps) {
        return RestoreInput.withJumps(renderedText, jumps);
    }

    public static final String DEFAULT_BINARY = "iptables-restore";
    public static final Duration DEFAULT_TIMEOUT = Duration.ofMinutes(2);
    private static final String PREFIX = "SLUICE-";
    private static final int EXIT_RULE_ABSENT = 1;

    private final Exec exec;
    private final List<String> prefix;
    private final String restoreBinary;
    private final String iptablesBinary;
    private final String saveBinary;
    private final Duration timeout;
    private final List<IptablesJump> jumps;
    /** "table/CHAIN" the kernel holds from the last successful apply; null when unknown. */
    private Set<String> installed;
    /**
     * Incremental path ({@link #apply(RuleSet, SyncKind, Set)}): Sluice's chains as the kernel holds
     * them after the last successful apply; null when unknown (start, failure, drift, the other path).
     */
    private IptablesRules model;
    /** Drift checks: the canonical expected rules of the last rule set checked, and that rule set. */
    private IptablesRules expected;
    private RuleSet expectedOf;
    /** The rule set {@link #model} was parsed from. */
    private RuleSet modelOf;

    /** Host or namespace backend with the default binary, timeout and jumps. */
    public IptablesRestoreBackend(List<String> commandPrefix) {
        this(Exec.system(), commandPrefix, DEFAULT_BINARY, DEFAULT_TIMEOUT);
    }

    /**
     * The backend for one IP family: {@code iptables-restore} or {@code ip6tables-restore} (with
     * {@code legacy}, the {@code -legacy-} flavours), as kube-proxy runs one proxier per family.
     */
    public static IptablesRestoreBackend forFamily(IpFamily family, boolean legacy, List<String> commandPrefix) {
        return new IptablesRestoreBackend(commandPrefix, restoreBinary(family, legacy));
    }

    /** {@code iptables-restore}, {@code ip6tables-restore}, {@code iptables-legacy-restore}, … */
    public static String restoreBinary(IpFamily family, boolean legacy) {
        return (family == IpFamily.IPV6 ? "ip6tables" : "iptables") + (legacy ? "-legacy" : "") + "-restore";
    }

    public IptablesRestoreBackend(List<String> commandPrefix, String restoreBinary) {
        this(Exec.system(), commandPrefix, restoreBinary, DEFAULT_TIMEOUT);
    }

    public IptablesRestoreBackend(Exec exec, List<String> commandPrefix, String restoreBinary, Duration timeout) {
        this(exec, commandPrefix, restoreBinary, timeout, IptablesJump.defaults());
    }

    public IptablesRestoreBackend(Exec exec, List<String> commandPrefix, String restoreBinary, Duration timeout,
            List<IptablesJump> jumps) {
        this.exec = Objects.requireNonNull(exec, "exec");
        this.prefix = List.copyOf(commandPrefix);
        Objects.requireNonNull(restoreBinary, "restoreBinary");
        if (!restoreBinary.endsWith("-restore")) {
            throw new IllegalArgumentException("restore binary '" + restoreBinary
                    + "' does not end in -restore (expected e.g. iptables-restore or iptables-legacy-restore)");
        }
        this.restoreBinary = restoreBinary;
        String base = restoreBinary.substring(0, restoreBinary.length() - "-restore".length());
        this.iptablesBinary = base;
        this.saveBinary = base + "-save";
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout " + timeout + " must be positive");
        }
        this.timeout = timeout;
        this.jumps = List.copyOf(jumps);
    }

    @Override
    public void apply(RuleSet rules) throws ApplyException {
        if (!IptablesRenderer.MODE.equals(rules.mode())) {
            throw new ApplyException(describe() + " cannot apply a rule set of mode " + rules.mode());
        }
        IptablesRules kept = model;
        model = null; // this path does not keep the model
        Set<String> wanted = new TreeSet<>(rules.chains());
        jumps.forEach(j -> wanted.add(j.qualifiedTarget()));
        Set<String> stale = new TreeSet<>(installed != null ? installed
                : kept != null ? kept.qualifiedChains() : installedChains());
        stale.removeAll(wanted);
        Set<String> missing = new TreeSet<>(wanted);
        missing.removeAll(rules.chains());
        String input;
        try {
            input = RestoreInput.build(rules.text(), missing, stale);
        } catch (IllegalArgumentException e) {
            throw new ApplyException(describe() + ": malformed rule text: " + e.getMessage(), e);
        }
        installed = null; // unknown until both steps succeed
        restore(input, "apply " + rules.chains().size() + " chains, delete " + stale.size() + " stale ones");
        ensureJumps();
        installed = wanted;
    }

    // ---- incremental syncs and drift checks -------------------------------------------------

    /**
     * Sends only what differs ({@link IptablesDelta}): against the model of the kernel kept from the
     * last successful apply, or, when there is none (start, failure, drift), against what
     * {@code iptables-save} shows, read first; that makes the sync FULL whatever was asked. A FULL
     * sync also makes sure the jumps from built-in chains are there (listing those chains, then
     * {@code -I} of the missing ones); a PARTIAL one takes them for granted (drift checks watch them).
     * {@code changedServices} is not needed: comparing chains finds every change, tracked or not.
     */
    @Override
    public ApplyReport apply(RuleSet rules, SyncKind kind, Set<ObjectKey> changedServices) throws ApplyException {
        if (!IptablesRenderer.MODE.equals(rules.mode())) {
            throw new ApplyException(describe() + " cannot apply a rule set of mode " + rules.mode());
        }
        IptablesRules wanted;
        try {
            wanted = wanted(rules);
        } catch (IllegalArgumentException e) {
            throw new ApplyException(describe() + ": malformed rule text: " + e.getMessage(), e);
        }
        IptablesRules kernel = model;
        SyncKind done = kernel == null ? SyncKind.FULL : kind;
        if (kernel == null) {
            kernel = IptablesRules.parseSave(save("learn what the kernel holds"));
        }
        IptablesDelta.Plan plan = IptablesDelta.plan(kernel, wanted);
        model = null; // unknown until every step succeeded
        installed = null;
        if (!plan.isEmpty()) {
            restore(plan.input(), done.wireName() + " sync: write " + plan.written().size() + " chains ("
                    + plan.edited().size() + " edited in place), delete " + plan.deleted().size());
        }
        if (done == SyncKind.FULL) {
            ensureJumps(kernel.canonical() ? kernel : null);
        }
        model = wanted;
        modelOf = rules;
        installed = null; // the model says which chains are installed (listing 60,000 of them per sync costs)
        return new ApplyReport(done, plan.written(), plan.deleted(), plan.rulesWritten(), plan.input().length());
    }

    /** Sluice's chains and the jumps into them, as {@code iptables-save} shows them, canonical. */
    @Override
    public Optional<String> readBack() throws ApplyException {
        return Optional.of(IptablesRules.parseSave(save("read back the rules")).text());
    }

    /** {@code rules} (with the chains its jumps need and the jumps) in {@link #readBack()}'s form. */
    @Override
    public String canonical(RuleSet rules) {
        return expected(rules).canonicalised().withJumps(expectedJumps()).text();
    }

    /**
     * CANARY: lists, in one process, the built-in chains holding Sluice's jumps and the chains they
     * jump to ({@code iptables -S}), and compares those with {@code applied}. FULL: reads
     * {@code iptables-save} and compares every Sluice chain and jump. Drift makes the backend forget
     * its model, so the next apply reads the kernel back and repairs the difference.
     */
    @Override
    public Optional<DriftReport> checkDrift(RuleSet applied, DriftCheck depth) throws ApplyException {
        IptablesRules want = expected(applied);
        List<String> diffs = new ArrayList<>();
        if (depth == DriftCheck.FULL) {
            IptablesRules live = IptablesRules.parseSave(save("check for drift"));
            Set<String> wanted = want.qualifiedChains();
            compareChains(want, live, wanted, diffs);
            for (String q : live.qualifiedChains()) {
                if (!wanted.contains(q)) {
                    diffs.add(q + ": in the kernel, not applied by Sluice");
                }
            }
            compareJumps(live, diffs);
        } else {
            Map<String, Listing> listed = list(canaryChains());
            Set<String> roots = new TreeSet<>();
            jumps.forEach(j -> roots.add(j.qualifiedTarget()));
            IptablesRules live = Listing.asRules(listed, roots);
            compareChains(want, live, roots, diffs);
            Map<String, List<String>> builtins = new LinkedHashMap<>();
            listed.forEach((q, l) -> {
                if (!roots.contains(q)) {
                    builtins.computeIfAbsent(q.substring(0, q.indexOf('/')), t -> new ArrayList<>()).addAll(l.rules());
                }
            });
            for (IptablesJump j : jumps) {
                if (!builtins.getOrDefault(j.table(), List.of()).contains(IptablesCanonical.rule(j.rule().render()))) {
                    diffs.add("jump missing: " + j.table() + " " + j.rule().render());
                }
            }
        }
        if (!diffs.isEmpty()) {
            model = null;
            installed = null;
        }
        return Optional.of(DriftReport.of(depth, diffs));
    }

    private void compareChains(IptablesRules want, IptablesRules live, Set<String> which, List<String> diffs) {
        for (String q : which) {
            String table = q.substring(0, q.indexOf('/'));
            String chain = q.substring(q.indexOf('/') + 1);
            List<String> w = want.canonicalRules(table, chain);
            List<String> l = live.rules(table, chain);
            if (w == null) {
                w = List.of();
            }
            if (l == null) {
                diffs.add(q + ": missing in the kernel (" + w.size() + " rules applied)");
            } else if (!l.equals(w)) {
                diffs.add(q + ": " + firstDifference(w, l));
            }
        }
    }

    private void compareJumps(IptablesRules live, List<String> diffs) {
        for (IptablesJump j : jumps) {
            if (!live.jumps(j.table()).contains(IptablesCanonical.rule(j.rule().render()))) {
                diffs.add("jump missing: " + j.table() + " " + j.rule().render());
            }
        }
    }

    private static String firstDifference(List<String> applied, List<String> kernel) {
        int n = Math.min(applied.size(), kernel.size());
        for (int i = 0; i < n; i++) {
            if (!applied.get(i).equals(kernel.get(i))) {
                return "rule " + (i + 1) + " differs: kernel '" + kernel.get(i) + "', applied '" + applied.get(i) + "'"
                        + (applied.size() != kernel.size() ? " (" + kernel.size() + " rules, " + applied.size() + " applied)" : "");
            }
        }
        return kernel.size() + " rules in the kernel, " + applied.size() + " applied"
                + (kernel.size() > n ? "; first extra: '" + kernel.get(n) + "'" : "; first missing: '" + applied.get(n) + "'");
    }

    /** The rules {@code applied} makes the kernel hold (canonical per chain on demand), cached for the last rule set asked about. */
    private IptablesRules expected(RuleSet applied) {
        if (expectedOf != applied) {
            expected = applied == modelOf && model != null ? model : wanted(applied);
            expectedOf = applied;
        }
        return expected;
    }

    /** The renderer's model when the rule set has one (nothing parsed), else its text parsed; plus the jump targets. */
    private IptablesRules wanted(RuleSet rules) {
        IptablesRules r = rules.structure(IptablesChains.class).map(c -> IptablesRules.of(c, model))
                .orElseGet(() -> IptablesRules.parseRendered(rules.text()));
        return r.withEmptyChains(jumpTargets());
    }

    private Map<String, List<String>> expectedJumps() {
        Map<String, List<String>> out = new TreeMap<>();
        jumps.forEach(j -> out.computeIfAbsent(j.table(), t -> new ArrayList<>()).add(IptablesCanonical.rule(j.rule().render())));
        return out;
    }

    private Set<String> jumpTargets() {
        Set<String> targets = new TreeSet<>();
        jumps.forEach(j -> targets.add(j.qualifiedTarget()));
        return targets;
    }

    /** Built-in chains holding jumps, then the chains they jump to, as "table/CHAIN", in that order. */
    private List<String> canaryChains() {
        Set<String> out = new LinkedHashSet<>();
        jumps.forEach(j -> out.add(j.table() + "/" + j.rule().chain()));
        jumps.forEach(j -> out.add(j.qualifiedTarget()));
        return List.copyOf(out);
    }

    /**
     * Inserts missing jumps. {@code kernel}: rules just read from {@code iptables-save}, whose jumps
     * tell which are there; null: list the built-in chains to find out.
     */
    private void ensureJumps(IptablesRules kernel) throws ApplyException {
        Map<String, List<String>> present = new LinkedHashMap<>();
        if (kernel != null) {
            for (IptablesJump j : jumps) {
                present.computeIfAbsent(j.table(), t -> new ArrayList<>(kernel.jumps(t)));
            }
        } else {
            Set<String> builtins = new LinkedHashSet<>();
            jumps.forEach(j -> builtins.add(j.table() + "/" + j.rule().chain()));
            list(List.copyOf(builtins)).forEach((q, l) ->
                    present.computeIfAbsent(q.substring(0, q.indexOf('/')), t -> new ArrayList<>()).addAll(l.rules()));
        }
        for (IptablesJump j : jumps) {
            if (present.getOrDefault(j.table(), List.of()).contains(IptablesCanonical.rule(j.rule().render()))) {
                continue;
            }
            Exec.Result insert = run(iptables(j, "-I"), null);
            if (!insert.ok()) {
                throw new ApplyException(describe() + ": cannot insert jump " + j.rule() + ": " + insert.describe());
            }
        }
    }

    /** One chain's {@code iptables -S} listing: whether it exists, and its rules, canonical. */
    record Listing(boolean exists, List<String> rules) {
        static IptablesRules asRules(Map<String, Listing> listed, Set<String> which) {
            StringBuilder save = new StringBuilder();
            Map<String, List<String>> byTable = new TreeMap<>();
            which.forEach(q -> byTable.computeIfAbsent(q.substring(0, q.indexOf('/')), t -> new ArrayList<>()).add(q));
            byTable.forEach((t, qs) -> {
                save.append('*').append(t).append('\n');
                for (String q : qs) {
                    Listing l = listed.get(q);
                    if (l != null && l.exists()) {
                        save.append(':').append(q.substring(q.indexOf('/') + 1)).append(" - [0:0]\n");
                    }
                }
                for (String q : qs) {
                    Listing l = listed.get(q);
                    if (l != null && l.exists()) {
                        l.rules().forEach(r -> save.append(r).append('\n'));
                    }
                }
                save.append("COMMIT\n");
            });
            return IptablesRules.parseSave(save.toString());
        }
    }

    /**
     * Lists chains ("table/CHAIN"), all in one shell, one process: {@code iptables -w -t T -S C} per
     * chain, which on iptables-nft reads only that chain; the legacy flavour reads a whole table
     * for any listing, so there one {@code iptables-legacy-save -t T} per table is cheaper.
     */
    Map<String, Listing> list(List<String> qualified) throws ApplyException {
        boolean perTable = restoreBinary.contains("-legacy");
        Set<String> tables = new LinkedHashSet<>();
        StringBuilder script = new StringBuilder();
        for (String q : qualified) {
            String table = q.substring(0, q.indexOf('/'));
            String chain = q.substring(q.indexOf('/') + 1);
            if (!table.matches("[a-z]+") || !chain.matches("[A-Za-z0-9_.-]+")) {
                throw new IllegalArgumentException("chain '" + q + "' is not a plain table/CHAIN name");
            }
            if (!perTable) {
                script.append("echo '#sluice-chain ").append(q).append("'; ")
                        .append(iptablesBinary).append(" -w -t ").append(table).append(" -S ").append(chain)
                        .append(" 2>/dev/null; echo \"#sluice-rc $?\"; ");
            } else if (tables.add(table)) {
                script.append("echo '#sluice-table ").append(table).append("'; ")
                        .append(saveBinary).append(" -t ").append(table).append(" 2>/dev/null; ");
            }
        }
        Exec.Result r = run(List.of("sh", "-c", script.toString()), null);
        if (!r.ok()) {
            throw new ApplyException(describe() + ": cannot list chains " + qualified + ": " + r.describe());
        }
        Map<String, Listing> out = perTable ? fromSaves(r.stdout(), qualified) : fromListings(r.stdout());
        for (String q : qualified) {
            if (!out.containsKey(q)) {
                throw new ApplyException(describe() + ": listing chains gave no answer for " + q + ": " + r.stdout());
            }
        }
        return out;
    }

    private static Map<String, Listing> fromListings(String stdout) {
        Map<String, Listing> out = new LinkedHashMap<>();
        String current = null;
        List<String> rules = new ArrayList<>();
        for (String line : stdout.lines().toList()) {
            if (line.startsWith("#sluice-chain ")) {
                current = line.substring("#sluice-chain ".length()).strip();
                rules = new ArrayList<>();
            } else if (line.startsWith("#sluice-rc ") && current != null) {
                out.put(current, new Listing(line.substring("#sluice-rc ".length()).strip().equals("0"), List.copyOf(rules)));
                current = null;
            } else if (current != null && line.startsWith("-A ")) {
                rules.add(IptablesCanonical.rule(line));
            }
        }
        return out;
    }

    /** The asked-for chains out of per-table saves: declared chains exist, their -A lines are their rules. */
    private static Map<String, Listing> fromSaves(String stdout, List<String> qualified) {
        Set<String> wanted = new LinkedHashSet<>(qualified);
        Map<String, List<String>> rules = new LinkedHashMap<>();
        String table = null;
        for (String line : stdout.lines().toList()) {
            if (line.startsWith("*")) {
                table = line.substring(1).strip();
            } else if (table != null && line.startsWith(":")) {
                String q = table + "/" + line.substring(1).split("\\s+")[0];
                if (wanted.contains(q)) {
                    rules.put(q, new ArrayList<>());
                }
            } else if (table != null && line.startsWith("-A ")) {
                List<String> list = rules.get(table + "/" + line.substring(3).split("\\s+", 2)[0]);
                if (list != null) {
                    list.add(IptablesCanonical.rule(line));
                }
            }
        }
        Map<String, Listing> out = new LinkedHashMap<>();
        for (String q : qualified) {
            List<String> r = rules.get(q);
            out.put(q, new Listing(r != null, r == null ? List.of() : List.copyOf(r)));
        }
        return out;
    }

    private String save(String why) throws ApplyException {
        Exec.Result r = run(List.of(saveBinary), null);
        if (!r.ok()) {
            throw new ApplyException(describe() + ": cannot " + why + ": " + r.describe());
        }
        return r.stdout();
    }

    @Override
    public void cleanup() throws ApplyException {
        model = null;
        installed = null;
        for (IptablesJump j : jumps) {
            removeJump(j);
        }
        Set<String> chains = installedChains();
        if (!chains.isEmpty()) {
            restore(RestoreInput.build("", Set.of(), chains), "delete " + chains.size() + " chains");
        }
        installed = Set.of();
    }

    @Override
    public String describe() {
        return "iptables (" + restoreBinary + ") " + Exec.where(prefix);
    }

    /** SLUICE- chains the kernel holds now, as "table/CHAIN", read from iptables-save. */
    Set<String> installedChains() throws ApplyException {
        Exec.Result r = run(List.of(saveBinary), null);
        if (!r.ok()) {
            throw new ApplyException(describe() + ": cannot list installed chains: " + r.describe());
        }
        return sluiceChains(r.stdout());
    }

    static Set<String> sluiceChains(String iptablesSave) {
        Set<String> chains = new TreeSet<>();
        String table = null;
        for (String line : iptablesSave.lines().toList()) {
            if (line.startsWith("*")) {
                table = line.substring(1).strip();
            } else if (line.startsWith(":" + PREFIX) && table != null) {
                chains.add(table + "/" + line.substring(1).split("\\s+")[0]);
            }
        }
        return chains;
    }

    private void restore(String input, String what) throws ApplyException {
        Exec.Result r = run(List.of(restoreBinary, "--noflush", "-w"), input);
        if (!r.ok()) {
            throw new ApplyException(describe() + " refused the rules (" + what + "); the kernel keeps the previous"
                    + " rules of each table: " + r.describe());
        }
    }

    /** kube-proxy's EnsureRule(Prepend): {@code -C}, and {@code -I} when the rule is absent. */
    private void ensureJumps() throws ApplyException {
        for (IptablesJump j : jumps) {
            Exec.Result check = run(iptables(j, "-C"), null);
            if (check.ok()) {
                continue;
            }
            if (check.exitCode() != EXIT_RULE_ABSENT) {
                throw new ApplyException(describe() + ": cannot check jump " + j.rule() + ": " + check.describe());
            }
            Exec.Result insert = run(iptables(j, "-I"), null);
            if (!insert.ok()) {
                throw new ApplyException(describe() + ": cannot insert jump " + j.rule() + ": " + insert.describe());
            }
        }
    }

    /** Deletes every copy of the jump; an absent rule or target chain is not an error. */
    private void removeJump(IptablesJump j) throws ApplyException {
        for (int copies = 0; copies < 100; copies++) {
            if (!run(iptables(j, "-C"), null).ok()) {
                return;
            }
            Exec.Result delete = run(iptables(j, "-D"), null);
            if (!delete.ok()) {
                throw new ApplyException(describe() + ": cannot delete jump " + j.rule() + ": " + delete.describe());
            }
        }
        throw new ApplyException(describe() + ": jump " + j.rule() + " still present after deleting 100 copies");
    }

    private List<String> iptables(IptablesJump j, String op) {
        List<String> cmd = new ArrayList<>(List.of(iptablesBinary, "-w", "-t", j.table(), op, j.rule().chain()));
        cmd.addAll(j.rule().arguments());
        return cmd;
    }

    private Exec.Result run(List<String> command, String stdin) throws ApplyException {
        List<String> full = new ArrayList<>(prefix);
        full.addAll(command);
        try {
            return exec.run(full, stdin, timeout);
        } catch (Exec.ExecException e) {
            installed = null;
            model = null;
            throw new ApplyException(describe() + ": " + e.getMessage(), e);
        }
    }
}
