package io.sluice.compose;

import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.sluice.testkit.netns.FetchResult;
import io.sluice.testkit.netns.Lab;
import io.sluice.testkit.netns.Pod;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * The scenario from kube-proxy's classic explanation, run against the embedded stack: a Service
 * reaches pods on both nodes; an endpoint goes away; a node whose proxy is stopped cannot reach a
 * new Service until its applier restarts and catches up from its snapshot and Kafka. In the lab
 * (root) every check sends real packets; in dry-run every check reads the rule files.
 */
public final class Demo {
    static final String WEB_VIP = "10.96.0.10";
    static final String WEB2_VIP = "10.96.0.20";
    private static final Duration WAIT = Duration.ofSeconds(60);
    /** Longer than a dry-run write interval at demo sizes (DryRunBackend.MIN_WRITE_INTERVAL). */
    private static final Duration RULE_FILE_WAIT = Duration.ofSeconds(10);
    private static final Duration FETCH_TIMEOUT = Duration.ofSeconds(2);
    private static final int REQUESTS = 20;

    /** The outcome of one step, as printed. */
    public record Step(String name, boolean passed, List<String> details) {
    }

    private final EmbeddedStack stack;
    private final PrintStream out;
    private final List<Step> steps = new ArrayList<>();

    public Demo(EmbeddedStack stack, PrintStream out) {
        this.stack = stack;
        this.out = out;
    }

    /** Runs every step; a failed step is reported and the next one still runs where it can. */
    public List<Step> run() throws Exception {
        out.println(stack.lab().isPresent()
                ? "Lab: real iptables rules in network namespaces " + stack.lab().get().nodeNamespaces() + ", real packets."
                : "Dry run (not root, or --dry-run): rules are written to files, no packets are sent.");
        record(stepServiceReachesBothNodes());
        record(stepEndpointRemoved());
        record(stepStoppedNodeCatchesUp());
        long passed = steps.stream().filter(Step::passed).count();
        out.printf("%nDemo: %d of %d steps passed%n", passed, steps.size());
        return List.copyOf(steps);
    }

    private void record(Step step) {
        steps.add(step);
        out.printf("%n[%s] %s%n", step.passed() ? "PASS" : "FAIL", step.name());
        step.details().forEach(d -> out.println("       " + d));
    }

    private Step stepServiceReachesBothNodes() throws Exception {
        String name = "1. client-1 on node-1 fetches Service web (" + WEB_VIP + ":80): answers come from server pods on both nodes";
        List<String> details = new ArrayList<>();
        long seq = stack.watcher().lastSeq();
        details.addAll(latencies(seq, stack.seededAt(), "seeding the API (includes start-up)"));
        if (stack.lab().isEmpty()) {
            boolean ok = rulesOnEveryNode(r -> r.contains(WEB_VIP) && r.contains("10.244.1.10:8080") && r.contains("10.244.2.10:8080"), details,
                    "DNAT to 10.244.1.10:8080 and 10.244.2.10:8080 for " + WEB_VIP);
            return new Step(name, ok, details);
        }
        Map<String, Integer> answers = fetchMany("client-1", WEB_VIP, REQUESTS, details);
        boolean ok = answers.getOrDefault("server-a", 0) > 0 && answers.getOrDefault("server-b", 0) > 0
                && answers.getOrDefault("failed", 0) == 0;
        return new Step(name, ok, details);
    }

    private Step stepEndpointRemoved() throws Exception {
        String name = "2. server-b's endpoint is removed: every request lands on server-a";
        List<String> details = new ArrayList<>();
        long before = stack.watcher().lastSeq();
        Instant t0 = Instant.now();
        EndpointSlice slice = stack.kubernetes().discovery().v1().endpointSlices().inNamespace("default").withName("web-1").get();
        EndpointSlice edited = new EndpointSliceBuilder(slice)
                .withEndpoints(slice.getEndpoints().stream().filter(e -> !e.getAddresses().contains("10.244.2.10")).toList())
                .build();
        stack.kubernetes().resource(edited).update();
        long seq = stack.awaitEmitted(before + 1, WAIT);
        details.addAll(latencies(seq, t0, "the API change"));
        if (stack.lab().isEmpty()) {
            boolean ok = rulesOnEveryNode(r -> r.contains("10.244.1.10:8080") && !r.contains("10.244.2.10:8080"), details,
                    "only 10.244.1.10:8080 left behind " + WEB_VIP);
            return new Step(name, ok, details);
        }
        Map<String, Integer> answers = fetchMany("client-1", WEB_VIP, REQUESTS, details);
        boolean ok = answers.getOrDefault("server-a", 0) == REQUESTS;
        return new Step(name, ok, details);
    }

    private Step stepStoppedNodeCatchesUp() throws Exception {
        String name = "3. node-2's applier is stopped and Service web2 (" + WEB2_VIP + ") is created: node-2 cannot reach it until its applier restarts and catches up";
        List<String> details = new ArrayList<>();
        stack.stopApplier("node-2");
        details.add("node-2 applier stopped at seq " + stack.node("node-2").applier().orElseThrow().appliedSeq());
        long before = stack.watcher().lastSeq();
        Instant t0 = Instant.now();
        createWeb2();
        long seq = stack.awaitEmitted(before + 2, WAIT);
        Instant node1 = stack.awaitApplied("node-1", seq, WAIT);
        details.add(String.format("seq %d: node-1's %s has web2 %d ms after the API change", seq, target(), Duration.between(t0, node1).toMillis()));
        boolean ok;
        if (stack.lab().isPresent()) {
            FetchResult one = fetch("client-1", WEB2_VIP);
            FetchResult two = fetch("client-2", WEB2_VIP);
            details.add("client-1 (node-1) → web2: " + describe(one));
            details.add("client-2 (node-2, applier down) → web2: " + describe(two));
            ok = one.ok() && !two.ok();
        } else {
            ok = awaitRules("node-1", r -> r.contains(WEB2_VIP)) && !rules("node-2").contains(WEB2_VIP);
            details.add("node-1 rule file has " + WEB2_VIP + ", node-2's has not: " + ok);
        }
        Instant restart = Instant.now();
        stack.startApplier("node-2");
        Instant node2 = stack.awaitApplied("node-2", seq, WAIT);
        details.add(String.format("node-2 applier restarted: caught up from its RocksDB snapshot and Kafka, web2 in its %s %d ms after the restart (%d ms after the API change)",
                target(), Duration.between(restart, node2).toMillis(), Duration.between(t0, node2).toMillis()));
        if (stack.lab().isPresent()) {
            FetchResult again = fetch("client-2", WEB2_VIP);
            details.add("client-2 (node-2) → web2: " + describe(again));
            ok &= again.ok();
        } else {
            boolean has = awaitRules("node-2", r -> r.contains(WEB2_VIP));
            details.add("node-2 rule file now has " + WEB2_VIP + ": " + has);
            ok &= has;
        }
        return new Step(name, ok, details);
    }

    /** Where a node's rules land: the kernel in the lab, a file in dry-run. */
    private String target() {
        return stack.lab().isPresent() ? "kernel" : "rule file";
    }

    private void createWeb2() {
        stack.kubernetes().resource(new ServiceBuilder().withNewMetadata().withName("web2").withNamespace("default").endMetadata()
                .withNewSpec().withType("ClusterIP").withClusterIP(WEB2_VIP).withClusterIPs(WEB2_VIP).withIpFamilies("IPv4")
                .addNewPort().withName("http").withProtocol("TCP").withPort(80).withNewTargetPort(EmbeddedStack.SERVER_PORT).endPort()
                .endSpec().build()).create();
        stack.kubernetes().resource(new EndpointSliceBuilder().withNewMetadata().withName("web2-1").withNamespace("default")
                .addToLabels("kubernetes.io/service-name", "web2").endMetadata()
                .withAddressType("IPv4")
                .addNewPort().withName("http").withProtocol("TCP").withPort(EmbeddedStack.SERVER_PORT).endPort()
                .withEndpoints(new EndpointBuilder().withAddresses("10.244.1.10").withNodeName("node-1")
                                .withNewConditions().withReady(true).withServing(true).withTerminating(false).endConditions().build(),
                        new EndpointBuilder().withAddresses("10.244.2.10").withNodeName("node-2")
                                .withNewConditions().withReady(true).withServing(true).withTerminating(false).endConditions().build())
                .build()).create();
    }

    private List<String> latencies(long seq, Instant t0, String since) throws InterruptedException {
        List<String> lines = new ArrayList<>();
        for (EmbeddedStack.NodeHandle n : stack.nodes()) {
            Instant at = stack.awaitApplied(n.name(), seq, WAIT);
            lines.add(String.format("seq %d in %s's %s %d ms after %s", seq, n.name(), target(), Duration.between(t0, at).toMillis(), since));
        }
        return lines;
    }

    private Map<String, Integer> fetchMany(String client, String vip, int count, List<String> details) {
        Map<String, Integer> answers = new TreeMap<>();
        for (int i = 0; i < count; i++) {
            FetchResult r = fetch(client, vip);
            String who = r.ok() ? field(r.body(), "pod") : "failed";
            answers.merge(who, 1, Integer::sum);
        }
        Map<String, Integer> shown = new LinkedHashMap<>(answers);
        details.add(count + " requests from " + client + " to " + vip + ":80 answered by " + shown);
        return answers;
    }

    private FetchResult fetch(String client, String vip) {
        Lab lab = stack.lab().orElseThrow();
        Pod pod = stack.pod(client);
        return lab.fetch(pod, vip, 80, FETCH_TIMEOUT);
    }

    private static String describe(FetchResult r) {
        return r.ok() ? "answered (" + r.body().strip() + ")" : r.outcome().toString().toLowerCase() + " (" + r.body().strip() + ")";
    }

    private static String field(String body, String key) {
        for (String part : body.strip().split(" ")) {
            if (part.startsWith(key + "=")) {
                return part.substring(key.length() + 1);
            }
        }
        return "?";
    }

    /**
     * Whether every node's rule file passes {@code check}, waiting up to {@link #RULE_FILE_WAIT} for
     * it: the dry-run backend writes the file of a PARTIAL sync that follows another one closely at
     * the end of its write interval (DryRunBackend), after the sync was reported applied.
     */
    private boolean rulesOnEveryNode(Predicate<String> check, List<String> details, String what)
            throws IOException, InterruptedException {
        boolean all = true;
        for (EmbeddedStack.NodeHandle n : stack.nodes()) {
            boolean ok = awaitRules(n.name(), check);
            details.add(n.name() + " rule file " + stack.dryRunRules(n.name()) + (ok ? " has " : " LACKS ") + what);
            all &= ok;
        }
        return all;
    }

    /** Whether the node's rule file passes {@code check} within {@link #RULE_FILE_WAIT} (see {@link #rulesOnEveryNode}). */
    private boolean awaitRules(String node, Predicate<String> check) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + RULE_FILE_WAIT.toNanos();
        boolean ok = check.test(rules(node));
        while (!ok && System.nanoTime() < deadline) {
            TimeUnit.MILLISECONDS.sleep(20);
            ok = check.test(rules(node));
        }
        return ok;
    }

    private String rules(String node) throws IOException {
        return Files.exists(stack.dryRunRules(node)) ? Files.readString(stack.dryRunRules(node)) : "";
    }
}
