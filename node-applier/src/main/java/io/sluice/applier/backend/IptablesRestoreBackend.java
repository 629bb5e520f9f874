package io.sluice.applier.backend;

import io.sluice.applier.render.IptablesRenderer;
import io.sluice.applier.render.RuleSet;
import io.sluice.schema.model.IpFamily;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
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
        Set<String> wanted = new TreeSet<>(rules.chains());
        jumps.forEach(j -> wanted.add(j.qualifiedTarget()));
        Set<String> stale = new TreeSet<>(installed != null ? installed : installedChains());
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

    @Override
    public void cleanup() throws ApplyException {
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
        String where;
        if (prefix.isEmpty()) {
            where = "on the host";
        } else if (prefix.size() == 4 && prefix.subList(0, 3).equals(List.of("ip", "netns", "exec"))) {
            where = "in netns " + prefix.get(3);
        } else {
            where = "via " + String.join(" ", prefix);
        }
        return "iptables (" + restoreBinary + ") " + where;
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
            throw new ApplyException(describe() + ": " + e.getMessage(), e);
        }
    }
}
