package io.sluice.applier.backend;

import io.sluice.applier.render.IpsetContent;
import io.sluice.applier.render.IptablesRenderer;
import io.sluice.applier.render.IpvsAddresses;
import io.sluice.applier.render.IpvsIptables;
import io.sluice.applier.render.IpvsNames;
import io.sluice.applier.render.IpvsParts;
import io.sluice.applier.render.IpvsRenderer;
import io.sluice.applier.render.IpvsTable;
import io.sluice.applier.render.RuleSet;
import io.sluice.schema.model.IpFamily;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.function.Predicate;

/**
 * Puts an IPVS-mode rule set ({@link IpvsParts}) into the kernel, as kube-proxy's IPVS proxier
 * does, in named phases:
 * <ol>
 *   <li>node settings, once: kube-proxy's sysctls ({@code net.ipv4.vs.conntrack},
 *       {@code expire_nodest_conn}, {@code expire_quiescent_template}, {@code ip_forward}; with
 *       strictARP {@code arp_ignore}/{@code arp_announce}) and {@code ipvsadm --set} timeouts;</li>
 *   <li>the dummy interface {@value IpvsNames#DUMMY_INTERFACE} ({@code ip link add … type dummy});</li>
 *   <li>ipsets: {@code ipset restore -exist} of the missing sets and of the members to add and
 *       delete, against {@code ipset save};</li>
 *   <li>iptables: the Sluice chains through {@link IptablesRestoreBackend} (one transaction per
 *       table, stale chains deleted) and IPVS mode's jumps from the built-in chains;</li>
 *   <li>new addresses bound to the dummy interface ({@code ip -batch -});</li>
 *   <li>IPVS: {@code ipvsadm -R} of {@link IpvsadmDiff}'s commands against {@code ipvsadm -S -n},
 *       then {@code ipvsadm -S -n} again: the kernel must now hold exactly the rendered table;</li>
 *   <li>addresses no longer wanted unbound.</li>
 * </ol>
 * IPVS and ipset have no transactions: a refused command leaves the commands before it applied.
 * Any failure throws {@link ApplyException} naming the tool, its exit code and what it printed,
 * and forgets what the kernel holds, so the next apply reads it again and sends the remaining
 * difference. One backend serves one IP family; a dual-stack node runs one per family, sharing
 * the interface and IPVS table, each touching only its family's virtual servers and addresses.
 * Not thread-safe: one sync worker calls it.
 */
public final class IpvsBackend implements RuleBackend {
    public static final Duration DEFAULT_TIMEOUT = Duration.ofMinutes(2);
    private static final String DEVICE = IpvsNames.DUMMY_INTERFACE;

    /**
     * kube-proxy's IPVS settings that act on the node rather than on the rules.
     *
     * @param strictArp     {@code ipvs.strictARP}: arp_ignore=1, arp_announce=2
     * @param tcpTimeout    {@code ipvs.tcpTimeout}; zero keeps the kernel's
     * @param tcpFinTimeout {@code ipvs.tcpFinTimeout}; zero keeps the kernel's
     * @param udpTimeout    {@code ipvs.udpTimeout}; zero keeps the kernel's
     * @param excludeCidrs  {@code ipvs.excludeCIDRs}: virtual servers in these are never deleted
     */
    public record Settings(boolean strictArp, Duration tcpTimeout, Duration tcpFinTimeout, Duration udpTimeout,
            List<String> excludeCidrs) {
        public Settings {
            tcpTimeout = Objects.requireNonNullElse(tcpTimeout, Duration.ZERO);
            tcpFinTimeout = Objects.requireNonNullElse(tcpFinTimeout, Duration.ZERO);
            udpTimeout = Objects.requireNonNullElse(udpTimeout, Duration.ZERO);
            excludeCidrs = List.copyOf(excludeCidrs);
            for (Duration d : List.of(tcpTimeout, tcpFinTimeout, udpTimeout)) {
                if (d.isNegative()) {
                    throw new IllegalArgumentException("ipvs timeout " + d + " is negative");
                }
            }
            for (String c : excludeCidrs) {
                if (!c.contains("/") || IpvsAddresses.family(c.substring(0, c.indexOf('/'))).isEmpty()) {
                    throw new IllegalArgumentException("ipvs excludeCIDRs entry '" + c + "' is not a CIDR");
                }
            }
        }

        public static Settings defaults() {
            return new Settings(false, Duration.ZERO, Duration.ZERO, Duration.ZERO, List.of());
        }

        boolean setsTimeouts() {
            return !tcpTimeout.isZero() || !tcpFinTimeout.isZero() || !udpTimeout.isZero();
        }
    }

    private final Exec exec;
    private final List<String> prefix;
    private final IpFamily family;
    private final Duration timeout;
    private final Settings settings;
    private final IptablesRestoreBackend iptables;
    private boolean nodePrepared;
    /** What the kernel's IPVS table held for this family after the last verified apply; null when unknown. */
    private IpvsTable installedIpvs;
    /** The Sluice sets as the kernel holds them after the last successful ipset restore; null when unknown. */
    private IpsetContent installedSets;

    /** Host or namespace backend for one family, nft-flavoured iptables, default settings. */
    public IpvsBackend(List<String> commandPrefix, IpFamily family) {
        this(Exec.system(), commandPrefix, family, false, DEFAULT_TIMEOUT, Settings.defaults());
    }

    /**
     * @param legacyIptables use the {@code -legacy} iptables binaries instead of the nft ones
     */
    public IpvsBackend(Exec exec, List<String> commandPrefix, IpFamily family, boolean legacyIptables, Duration timeout,
            Settings settings) {
        this.exec = Objects.requireNonNull(exec, "exec");
        this.prefix = List.copyOf(commandPrefix);
        this.family = Objects.requireNonNull(family, "family");
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout " + timeout + " must be positive");
        }
        this.timeout = timeout;
        this.settings = Objects.requireNonNull(settings, "settings");
        this.iptables = new IptablesRestoreBackend(exec, commandPrefix,
                IptablesRestoreBackend.restoreBinary(family, legacyIptables), timeout, jumps());
    }

    /** IPVS mode's jumps from the built-in chains, as the iptables backend keeps them. */
    public static List<IptablesJump> jumps() {
        return IpvsIptables.jumps().stream().map(j -> new IptablesJump(j.table(), j.rule())).toList();
    }

    @Override
    public void apply(RuleSet rules) throws ApplyException {
        IpvsParts parts = parts(rules);
        try {
            prepareNode();
            ensureInterface();
            syncSets(parts.ipsetContent());
            iptables.apply(new RuleSet(IptablesRenderer.MODE, parts.iptablesSluiceChains(), rules.chains(),
                    rules.serviceCount(), rules.endpointCount()));
            List<String> bound = boundAddresses();
            bind(BoundAddresses.additions(bound, parts.boundAddresses(), DEVICE), "bind");
            syncIpvs(parts.ipvsTable());
            bind(BoundAddresses.removals(bound, parts.boundAddresses(), DEVICE), "unbind");
        } catch (ApplyException e) {
            forget();
            throw e;
        }
    }

    /**
     * Removes everything IPVS mode installs, like {@code kube-proxy --cleanup}: every virtual
     * server of the family (IPVS has no owner marks; excluded CIDRs are kept), the iptables jumps
     * and chains, the family's sets, and the dummy interface. Goes on after a failing step and
     * reports every failure at the end.
     */
    @Override
    public void cleanup() throws ApplyException {
        forget();
        List<String> failures = new ArrayList<>();
        try {
            IpvsTable current = readIpvs();
            runIpvsadmScript(IpvsadmDiff.deleteAll(current, family, excluded()), "delete every virtual server");
        } catch (ApplyException e) {
            failures.add(e.getMessage());
        }
        try {
            iptables.cleanup();
        } catch (ApplyException e) {
            failures.add(e.getMessage());
        }
        try {
            destroySets();
        } catch (ApplyException e) {
            failures.add(e.getMessage());
        }
        try {
            deleteInterface();
        } catch (ApplyException e) {
            failures.add(e.getMessage());
        }
        if (!failures.isEmpty()) {
            throw new ApplyException(describe() + ": cleanup incomplete: " + String.join("; ", failures));
        }
    }

    @Override
    public String describe() {
        return "ipvs (" + family.name().toLowerCase(Locale.ROOT) + ") " + Exec.where(prefix);
    }

    private IpvsParts parts(RuleSet rules) throws ApplyException {
        if (!IpvsRenderer.MODE.equals(rules.mode())) {
            throw new ApplyException(describe() + " cannot apply a rule set of mode " + rules.mode());
        }
        IpvsParts parts;
        try {
            parts = IpvsRenderer.parts(rules);
            parts.ipvsTable();
            parts.ipsetContent();
        } catch (IllegalArgumentException e) {
            throw new ApplyException(describe() + ": malformed IPVS rule text: " + e.getMessage(), e);
        }
        if (parts.family() != family) {
            throw new ApplyException(describe() + " cannot apply a rule set of family " + parts.family());
        }
        return parts;
    }

    private void forget() {
        nodePrepared = false;
        installedIpvs = null;
        installedSets = null;
    }

    /** Phase 1: kube-proxy's sysctls and IPVS timeouts (NewProxier), once per backend or after a failure. */
    void prepareNode() throws ApplyException {
        if (nodePrepared) {
            return;
        }
        List<String> sysctl = new ArrayList<>(List.of("sysctl", "-w", "net.ipv4.vs.conntrack=1",
                "net.ipv4.vs.expire_nodest_conn=1", "net.ipv4.vs.expire_quiescent_template=1", "net.ipv4.ip_forward=1"));
        if (settings.strictArp()) {
            sysctl.addAll(List.of("net.ipv4.conf.all.arp_ignore=1", "net.ipv4.conf.all.arp_announce=2"));
        }
        check(run(sysctl, null), "set kube-proxy's IPVS sysctls");
        if (settings.setsTimeouts()) {
            check(run(List.of("ipvsadm", "--set", seconds(settings.tcpTimeout()), seconds(settings.tcpFinTimeout()),
                    seconds(settings.udpTimeout())), null), "set IPVS timeouts");
        }
        nodePrepared = true;
    }

    /** Phase 2: the dummy interface every VIP is bound to (kube-proxy's EnsureDummyDevice; left down, as there). */
    void ensureInterface() throws ApplyException {
        if (run(List.of("ip", "link", "show", "dev", DEVICE), null).ok()) {
            return;
        }
        check(run(List.of("ip", "link", "add", DEVICE, "type", "dummy"), null), "create the dummy interface");
    }

    /** Phase 3: sets and members, only the difference from what the kernel holds. */
    void syncSets(IpsetContent desired) throws ApplyException {
        IpsetContent current = installedSets != null ? installedSets : readSets();
        String input;
        try {
            input = IpsetDiff.restoreInput(current, desired);
        } catch (IpsetDiff.IncompatibleSetException e) {
            throw new ApplyException(describe() + ": " + e.getMessage(), e);
        }
        installedSets = null;
        if (!input.isEmpty()) {
            check(run(List.of("ipset", "restore", "-exist"), input), "update " + desired.sets().size() + " sets");
        }
        installedSets = desired;
    }

    /** The family's Sluice sets as {@code ipset save} prints them. */
    IpsetContent readSets() throws ApplyException {
        Exec.Result r = run(List.of("ipset", "save"), null);
        check(r, "list the sets");
        try {
            return IpsetContent.parse(r.stdout()).only(IpvsNames.setNames(family));
        } catch (IllegalArgumentException e) {
            throw new ApplyException(describe() + ": cannot read ipset save output: " + e.getMessage(), e);
        }
    }

    /** The family's addresses on the dummy interface. */
    List<String> boundAddresses() throws ApplyException {
        Exec.Result r = run(List.of("ip", "-o", "addr", "show", "dev", DEVICE), null);
        check(r, "list the addresses of " + DEVICE);
        return BoundAddresses.parse(r.stdout(), family);
    }

    /** Phases 5 and 7: add or delete addresses in one {@code ip -batch}. */
    void bind(List<String> batch, String what) throws ApplyException {
        if (batch.isEmpty()) {
            return;
        }
        check(run(List.of("ip", "-batch", "-"), String.join("\n", batch) + "\n"), what + " " + batch.size() + " addresses");
    }

    /** Phase 6: the IPVS difference, applied and verified. */
    void syncIpvs(IpvsTable desired) throws ApplyException {
        IpvsTable current = installedIpvs != null ? installedIpvs : readIpvs();
        installedIpvs = null;
        List<String> script = IpvsadmDiff.commands(current, desired, family, excluded());
        if (script.isEmpty()) {
            installedIpvs = current;
            return;
        }
        Exec.Result r = runIpvsadm(script);
        IpvsTable after = readIpvs();
        List<String> left = IpvsadmDiff.commands(after, desired, family, excluded());
        if (!r.ok() || !left.isEmpty()) {
            throw new ApplyException(describe() + ": ipvsadm -R of " + script.size() + " commands "
                    + (r.ok() ? "exited 0" : "exited " + r.exitCode()) + " but " + left.size()
                    + " differences remain (first: " + (left.isEmpty() ? "none" : left.get(0)) + ")"
                    + (r.stderr().isBlank() ? "" : "; ipvsadm said: " + r.stderr().strip()));
        }
        installedIpvs = after;
    }

    /** The kernel's IPVS table ({@code ipvsadm -S -n}: numeric, as rules). */
    IpvsTable readIpvs() throws ApplyException {
        Exec.Result r = run(List.of("ipvsadm", "-S", "-n"), null);
        check(r, "read the IPVS table");
        try {
            return IpvsTable.parse(r.stdout());
        } catch (IllegalArgumentException e) {
            throw new ApplyException(describe() + ": cannot read ipvsadm -S -n output: " + e.getMessage(), e);
        }
    }

    private Exec.Result runIpvsadm(List<String> script) throws ApplyException {
        return run(List.of("ipvsadm", "-R"), String.join("\n", script) + "\n");
    }

    private void runIpvsadmScript(List<String> script, String what) throws ApplyException {
        if (!script.isEmpty()) {
            check(runIpvsadm(script), what);
        }
    }

    private void destroySets() throws ApplyException {
        Exec.Result r = run(List.of("ipset", "list", "-n"), null);
        check(r, "list the sets");
        List<String> existing = r.stdout().lines().map(String::strip).toList();
        StringBuilder input = new StringBuilder();
        for (String name : IpvsNames.setNames(family)) {
            if (existing.contains(name)) {
                input.append("destroy ").append(name).append('\n');
            }
        }
        if (input.length() > 0) {
            check(run(List.of("ipset", "restore"), input.toString()), "destroy the sets");
        }
    }

    private void deleteInterface() throws ApplyException {
        if (run(List.of("ip", "link", "show", "dev", DEVICE), null).ok()) {
            check(run(List.of("ip", "link", "del", DEVICE), null), "delete the dummy interface");
        }
    }

    private Predicate<String> excluded() {
        return address -> settings.excludeCidrs().stream()
                .anyMatch(c -> IpvsAddresses.isFamily(address, family) && IpvsAddresses.contains(c, address));
    }

    private static String seconds(Duration d) {
        return Long.toString(d.toSeconds());
    }

    private void check(Exec.Result r, String what) throws ApplyException {
        if (!r.ok()) {
            throw new ApplyException(describe() + ": cannot " + what + ": " + r.describe());
        }
    }

    private Exec.Result run(List<String> command, String stdin) throws ApplyException {
        List<String> full = new ArrayList<>(prefix);
        full.addAll(command);
        try {
            return exec.run(full, stdin, timeout);
        } catch (Exec.ExecException e) {
            throw new ApplyException(describe() + ": " + e.getMessage(), e);
        }
    }
}
