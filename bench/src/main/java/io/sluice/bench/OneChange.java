package io.sluice.bench;

import io.sluice.applier.backend.ApplyException;
import io.sluice.applier.backend.Exec;
import io.sluice.applier.backend.IptablesRestoreBackend;
import io.sluice.applier.render.IptablesRenderer;
import io.sluice.applier.render.NodeContext;
import io.sluice.applier.render.RenderOptions;
import io.sluice.applier.backend.NftablesBackend;
import io.sluice.applier.backend.RuleBackend;
import io.sluice.applier.render.NftablesRenderer;
import io.sluice.applier.render.RuleRenderer;
import io.sluice.applier.render.nft.NftDiff;
import io.sluice.applier.render.nft.NftScript;
import io.sluice.schema.codec.EventCodec;
import io.sluice.schema.model.ChangeEvent;
import io.sluice.schema.model.EndpointSlice;
import io.sluice.schema.model.ObjectKey;
import io.sluice.store.SnapshotStore;
import io.sluice.store.image.ClusterImage;
import io.sluice.store.image.ImageDelta;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Benchmark 1: one Service's endpoints change on top of N loaded Services. Three writers, each in
 * its own freshly loaded namespace pair, interleaved trial by trial so noise hits them alike:
 * <ul>
 *   <li><b>sluice</b>: event bytes as Kafka delivers them → decode → replay → RocksDB commit →
 *       the applier's sync path (render + backend) → kernel accepted;</li>
 *   <li><b>kernel-only</b>: the changed chains alone through {@code iptables-restore --noflush}
 *       (text prepared beforehand, only the tool is timed): what the kernel tool itself costs;</li>
 *   <li><b>kube-proxy-style</b>: the same change plus the dispatch chain SLUICE-SERVICES rewritten
 *       whole, as kube-proxy's partial sync does.</li>
 * </ul>
 */
public final class OneChange {
    private static final NodeContext NODE = NodeContext.of("node-1");
    private static final RenderOptions OPTIONS = RenderOptions.defaults(SyntheticCluster.CLUSTER_CIDR);
    private static final Set<String> DISPATCH = Set.of("SLUICE-SERVICES");

    private final int services;
    private final int trials;
    private final List<String> flavours;
    private final Duration applyTimeout;
    private final int budgetSeconds;
    private final String path;
    private final EventCodec codec = new EventCodec();
    private Flavour flavour;
    private RuleRenderer renderer;
    private long deadline;

    /**
     * A kernel tool and how the baselines talk to it: the changed part alone, and (iptables only)
     * kube-proxy's partial sync with the dispatch chain rewritten.
     */
    record Flavour(String name, RuleRenderer renderer, List<String> tool) {
        boolean iptables() {
            return renderer instanceof IptablesRenderer;
        }

        RuleBackend backend(String ns, Duration timeout) {
            List<String> prefix = List.of("ip", "netns", "exec", ns);
            return iptables() ? new IptablesRestoreBackend(Exec.system(), prefix, tool.get(0), timeout)
                    : new NftablesBackend(Exec.system(), prefix, "nft", timeout);
        }

        /** Input that changes the kernel from {@code before} to {@code after}; null if kube-proxy style does not apply. */
        String input(String before, String after, boolean kubeProxyStyle) {
            if (iptables()) {
                return IptablesText.diff(IptablesText.parse(before), IptablesText.parse(after),
                        kubeProxyStyle ? DISPATCH : Set.of());
            }
            return kubeProxyStyle ? null : NftDiff.between(NftScript.parse(before).byName(), NftScript.parse(after)).script();
        }

        static Flavour of(String name) {
            return switch (name) {
                case "iptables-nft" -> new Flavour(name, new IptablesRenderer(), List.of("iptables-restore", "--noflush", "-w"));
                case "iptables-legacy" -> new Flavour(name, new IptablesRenderer(),
                        List.of("iptables-legacy-restore", "--noflush", "-w"));
                case "nftables" -> new Flavour(name, new NftablesRenderer(), List.of("nft", "-f", "-"));
                default -> throw new IllegalArgumentException("flavour " + name + " (iptables-nft, iptables-legacy, nftables)");
            };
        }
    }

    OneChange(Args a) {
        boolean quick = a.flag("quick");
        this.services = a.integer("services", quick ? 1000 : 10_000);
        this.trials = a.integer("trials", quick ? 5 : 15);
        this.flavours = List.of(a.string("flavour", "iptables-nft,nftables").split(","));
        this.applyTimeout = Duration.ofSeconds(a.integer("apply-timeout", 120));
        this.budgetSeconds = a.integer("budget", 240);
        this.path = a.string("path", "partial");
    }

    public static String run(Args a) throws Exception {
        return new OneChange(a).run();
    }

    String run() throws Exception {
        StringBuilder last = new StringBuilder("one-change:");
        for (String f : flavours) {
            flavour = Flavour.of(f.trim());
            renderer = flavour.renderer();
            deadline = System.nanoTime() + Duration.ofSeconds(budgetSeconds).toNanos();
            last.append(' ').append(runFlavour()).append(';');
        }
        return last + " (target <=1.5x kernel-only; >=5x faster than kube-proxy-style)";
    }

    private String runFlavour() throws Exception {
        SyntheticCluster cluster = new SyntheticCluster(services, 5, 3);
        String flavour = this.flavour.name();
        System.out.printf("%n== one-change: %d Services x 5 endpoints, %s, %d trials%n", services, flavour, trials);
        ClusterImage base = cluster.image();
        String nsS = Netns.create("oc-sluice");
        String nsK = Netns.create("oc-kernel");
        Path stateDir = Files.createTempDirectory("sluice-bench-oc");
        try (SnapshotStore store = SnapshotStore.open(stateDir);
                SluiceSync sluice = path.equals("full")
                        ? new FullApplySync(renderer, this.flavour.backend(nsS, applyTimeout), NODE, OPTIONS)
                        : new PartialSync(renderer, this.flavour.backend(nsS, applyTimeout), NODE, OPTIONS)) {
            store.commit(cluster.events(), base.seq(), base.seq());
            long load = System.nanoTime();
            sluice.sync(base, null);
            System.out.printf("loaded %s in %.2f s (sluice backend, first apply)%n", nsS, (System.nanoTime() - load) / 1e9);
            RuleBackend kernelLoader = this.flavour.backend(nsK, applyTimeout);
            load = System.nanoTime();
            kernelLoader.apply(renderer.render(base, NODE, OPTIONS));
            System.out.printf("loaded %s in %.2f s%n", nsK, (System.nanoTime() - load) / 1e9);
            return trials(cluster, base, store, sluice, nsK, flavour);
        } finally {
            Netns.delete(nsS);
            Netns.delete(nsK);
            deleteTree(stateDir);
        }
    }

    private String trials(SyntheticCluster cluster, ClusterImage base, SnapshotStore store, SluiceSync sluice, String nsK,
            String flavour) throws Exception {
        Stats sTotal = new Stats("sluice event->kernel (total)");
        Stats sPrep = new Stats("  sluice decode+replay+commit");
        Stats sRender = new Stats("  sluice render");
        Stats sApply = new Stats("  sluice backend apply");
        Stats kernel = new Stats("kernel-only (changed part, " + String.join(" ", this.flavour.tool()) + ")");
        Stats kube = new Stats("kube-proxy-style (+dispatch chain)");
        ClusterImage imgS = base;
        ClusterImage imgK = base;
        String textK = renderer.render(imgK, NODE, OPTIONS).text();
        long seq = base.seq();
        String sluiceFailure = null;
        int done = 0;
        for (int t = 0; t < trials + 1 && System.nanoTime() < deadline; t++) {
            boolean warmup = t == 0;
            int[] order = {0, 1, 2};
            rotate(order, t);
            for (int which : order) {
                switch (which) {
                    case 0 -> {
                        if (sluiceFailure != null) {
                            break;
                        }
                        int svc = pick(t, 0);
                        EndpointSlice next = cluster.rolled(slice(imgS, svc));
                        byte[] wire = codec.encode(ChangeEvent.upsert(SyntheticCluster.CLUSTER, ++seq, next, Instant.now(), "x"));
                        long t0 = System.nanoTime();
                        ChangeEvent ev = codec.decode(wire);
                        ImageDelta d = imgS.delta();
                        d.replay(ev);
                        store.commit(List.of(ev), ev.seq(), ev.seq());
                        ClusterImage img = d.apply();
                        long t1 = System.nanoTime();
                        try {
                            SluiceSync.Breakdown b = sluice.sync(img, Set.of(ObjectKey.service(next.namespace(),
                                    next.serviceName())));
                            if (t <= 1) {
                                System.out.println("  sluice trial " + t + ": backend did " + b.report());
                            }
                            long total = System.nanoTime() - t0;
                            if (!warmup) {
                                sTotal.add(total);
                                sPrep.add(t1 - t0);
                                sRender.add(b.renderNanos());
                                sApply.add(b.applyNanos());
                            }
                        } catch (ApplyException e) {
                            sluiceFailure = e.getMessage();
                            System.out.println("sluice sync failed after " + (System.nanoTime() - t0) / 1_000_000 + " ms: " + e.getMessage());
                        }
                        imgS = img;
                    }
                    case 1, 2 -> {
                        if (which == 2 && !this.flavour.iptables()) {
                            break; // kube-proxy's nftables mode has no dispatch chain to rewrite
                        }
                        int svc = pick(t, which);
                        ImageDelta d = imgK.delta();
                        d.replay(ChangeEvent.upsert(SyntheticCluster.CLUSTER, imgK.seq() + 1,
                                cluster.rolled(slice(imgK, svc)), Instant.now(), "x"));
                        ClusterImage next = d.apply();
                        String after = renderer.render(next, NODE, OPTIONS).text();
                        String input = this.flavour.input(textK, after, which == 2);
                        long took = Timed.run(Netns.in(nsK, this.flavour.tool().toArray(String[]::new)), input, applyTimeout);
                        if (!warmup) {
                            (which == 1 ? kernel : kube).add(took);
                        }
                        imgK = next;
                        textK = after;
                    }
                    default -> throw new IllegalStateException("writer " + which);
                }
            }
            if (!warmup) {
                done++;
            }
        }
        System.out.println();
        for (Stats s : List.of(sTotal, sPrep, sRender, sApply, kernel, kube)) {
            System.out.println(s.summary());
        }
        double ratioKernel = sTotal.medianMs() / kernel.medianMs();
        double fasterThanKube = kube.medianMs() / sTotal.medianMs();
        System.out.printf(Locale.ROOT, "%s: %d timed trials; ratio sluice/kernel-only = %.2fx (target <= 1.5x); "
                + "kube-proxy-style/sluice = %.2fx (target >= 5x)%n", flavour, done, ratioKernel, fasterThanKube);
        if (sluiceFailure != null) {
            return String.format(Locale.ROOT, "%s at %d Services: sluice FAILED (%s); kernel-only %.1f ms, "
                    + "kube-proxy-style %.1f ms", flavour, services, firstLine(sluiceFailure), kernel.medianMs(), kube.medianMs());
        }
        String kubePart = this.flavour.iptables() ? String.format(Locale.ROOT, ", %.2fx faster than kube-proxy-style "
                + "(%.1f ms)", fasterThanKube, kube.medianMs()) : "";
        return String.format(Locale.ROOT, "%s at %d Services (%s): sluice %.1f ms = %.2fx kernel-only %.1f ms%s",
                flavour, services, path + "-sync path",
                sTotal.medianMs(), ratioKernel, kernel.medianMs(), kubePart);
    }

    /** Spread changes over the whole Service range, a different Service per writer and trial. */
    private int pick(int trial, int writer) {
        return (int) (((long) trial * 3 + writer) * 7919L % services);
    }

    private static EndpointSlice slice(ClusterImage image, int svc) {
        return (EndpointSlice) image.get(ObjectKey.endpointSlice(SyntheticCluster.namespace(svc),
                SyntheticCluster.sliceName(svc))).orElseThrow();
    }

    private static void rotate(int[] order, int by) {
        for (int r = 0; r < by % order.length; r++) {
            int first = order[0];
            System.arraycopy(order, 1, order, 0, order.length - 1);
            order[order.length - 1] = first;
        }
    }

    private static String firstLine(String s) {
        int nl = s.indexOf('\n');
        String l = nl < 0 ? s : s.substring(0, nl);
        return l.length() > 160 ? l.substring(0, 160) + "..." : l;
    }

    static void deleteTree(Path dir) {
        try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (java.io.IOException e) {
            System.err.println("bench: could not delete " + dir + ": " + e);
        }
    }
}
