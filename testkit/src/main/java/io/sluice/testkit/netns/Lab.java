package io.sluice.testkit.netns;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import io.sluice.testkit.netns.FetchResult.Outcome;
import io.sluice.testkit.pod.PodHttpServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A kube-like two-node cluster made of network namespaces, for tests and the demo lab.
 *
 * <pre>
 *   &lt;prefix&gt;-node1  eth0 10.255.0.1/24 ====veth==== eth0 10.255.0.2/24  &lt;prefix&gt;-node2
 *     route 10.244.2.0/24 via 10.255.0.2             route 10.244.1.0/24 via 10.255.0.1
 *     vp10 10.244.1.1/32 ── eth0 10.244.1.10/32      vp10 10.244.2.1/32 ── eth0 10.244.2.10/32
 *     (route 10.244.1.10/32 dev vp10)  &lt;prefix&gt;-a   (route 10.244.2.10/32 dev vp10)  &lt;prefix&gt;-b
 * </pre>
 *
 * <p>Pods are wired CNI-"ptp" style: a routed veth per pod, no bridge, so every packet a pod
 * sends or receives is forwarded by its node's IP stack and crosses the node's iptables/nftables
 * (FORWARD, and PREROUTING for DNAT). Nodes forward IPv4 and have reverse-path filtering off.
 * None of the namespaces has a link to the root namespace: all addresses exist only in here, and
 * nothing can leave the machine. All interfaces are created directly inside the lab's namespaces
 * (the pod side is {@code eth0}, the node side {@code vp<n>} for a pod at {@code .n}), so names
 * never collide with another lab's or the host's.
 *
 * <p>{@link #build} first deletes namespaces left by a crashed earlier run with the same prefix
 * ({@code <prefix>-*}): give each test class its own prefix, none a prefix of another's. Needs
 * root; see {@link Netns#unavailableReason()}. Not thread-safe.
 */
public final class Lab implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Lab.class);
    public static final String CLUSTER_CIDR = "10.244.0.0/16";
    public static final String CLUSTER_CIDR6 = "2001:db8:244::/48";
    /** External clients live in TEST-NET-3, 203.0.113.0/24. */
    private static final String EXTERNAL_PREFIX = "203.0.113.";
    public static final int NODES = 2;
    private static final Pattern POD_NAME = Pattern.compile("[a-z0-9]([a-z0-9-]{0,40}[a-z0-9])?");
    private static final Duration SERVER_READY_TIMEOUT = Duration.ofSeconds(10);
    private static final int FIRST_POD_OCTET = 10;

    private final String prefix;
    private final Path workDir;
    private final List<String> namespaces = new ArrayList<>();
    private final Map<String, Pod> pods = new LinkedHashMap<>();
    private final int[] nextPodOctet = {FIRST_POD_OCTET, FIRST_POD_OCTET};
    private final List<Server> servers = new ArrayList<>();
    private final List<Pod> externalClients = new ArrayList<>();
    private final boolean ipv6;
    private boolean closed;

    /** A pod server started by {@link #startServer}; {@code pid} is the server JVM's own PID. */
    public record Server(Pod pod, int port, long pid, Path logFile) {
    }

    private Lab(String prefix, Path workDir, boolean ipv6) {
        this.prefix = prefix;
        this.workDir = workDir;
        this.ipv6 = ipv6;
    }

    /** Builds the two nodes and the link between them; add pods with {@link #addPod}. */
    public static Lab build(String prefix) {
        return build(prefix, false);
    }

    /**
     * As {@link #build(String)}; with {@code ipv6} every node, pod and external client also gets
     * an IPv6 address from 2001:db8::/32 (documentation space, routed only inside the lab):
     * nodes {@code 2001:db8:255::<node>}, pods {@code 2001:db8:244:<node>::<n>} ({@link #ipv6Of}),
     * external clients {@code 2001:db8:203::<n>}. Addresses are added without duplicate address
     * detection, so they are usable at once.
     */
    public static Lab build(String prefix, boolean ipv6) {
        Netns.checkName(prefix);
        deleteStale(prefix);
        Lab lab;
        try {
            lab = new Lab(prefix, Files.createTempDirectory(prefix + "-lab-"), ipv6);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot create a work directory for lab " + prefix, e);
        }
        try {
            lab.buildNodes();
            return lab;
        } catch (RuntimeException e) {
            lab.close();
            throw e;
        }
    }

    public String prefix() {
        return prefix;
    }

    /** {@code <prefix>-node<node>}. */
    public String nodeNamespace(int node) {
        return prefix + "-node" + checkNode(node);
    }

    public List<String> nodeNamespaces() {
        return List.of(nodeNamespace(1), nodeNamespace(2));
    }

    /** {@code 10.255.0.<node>}: the node's address on the link between the nodes. */
    public String nodeIp(int node) {
        return "10.255.0." + checkNode(node);
    }

    /** {@code 2001:db8:255::<node>}: the node's IPv6 address on the link (labs built with IPv6). */
    public String nodeIp6(int node) {
        requireIpv6();
        return "2001:db8:255::" + checkNode(node);
    }

    /** The IPv6 address of a pod or external client (labs built with IPv6). */
    public String ipv6Of(Pod pod) {
        requireIpv6();
        String[] o = pod.ip().split("\\.");
        if (pod.ip().startsWith(EXTERNAL_PREFIX)) {
            return "2001:db8:203::" + o[3];
        }
        return "2001:db8:244:" + pod.node() + "::" + o[3];
    }

    /** {@value #CLUSTER_CIDR6}: the pods' IPv6 range (labs built with IPv6). */
    public String clusterCidr6() {
        return CLUSTER_CIDR6;
    }

    /** {@code 10.244.<node>.0/24}. */
    public String podCidr(int node) {
        return "10.244." + checkNode(node) + ".0/24";
    }

    /** {@value #CLUSTER_CIDR}. */
    public String clusterCidr() {
        return CLUSTER_CIDR;
    }

    /** Pods added so far, in order. */
    public List<Pod> pods() {
        return List.copyOf(pods.values());
    }

    /**
     * Adds pod {@code podName} on {@code node}: namespace {@code <prefix>-<podName>} with
     * {@code 10.244.<node>.<n>/32} on {@code eth0} (n = 10, 11, ... per node), default route via
     * {@code 10.244.<node>.1}.
     */
    public Pod addPod(int node, String podName) {
        checkNode(node);
        if (podName == null || !POD_NAME.matcher(podName).matches() || podName.matches("node[0-9]+")) {
            throw new IllegalArgumentException("Invalid pod name '" + podName
                    + "': use lowercase letters, digits and '-', at most 42 characters, not node<N>");
        }
        if (pods.containsKey(podName)) {
            throw new IllegalArgumentException("Lab " + prefix + " already has a pod named '" + podName + "'");
        }
        int octet = nextPodOctet[node - 1];
        if (octet > 254) {
            throw new IllegalStateException("Node " + node + " of lab " + prefix + " has no pod address left");
        }
        Pod pod = new Pod(podName, prefix + "-" + podName, node, "10.244." + node + "." + octet);
        wirePod(pod, "vp" + octet);
        nextPodOctet[node - 1] = octet + 1;
        pods.put(podName, pod);
        log.debug("Lab {}: pod {} on node {} at {}", prefix, podName, node, pod.ip());
        return pod;
    }

    /**
     * Adds a host outside the cluster, attached to node1 by its own veth: namespace
     * {@code <prefix>-<name>} with {@code 203.0.113.<n>/32} (n = 10, 11, ...), default route via
     * node1 ({@code 203.0.113.1} on node1's side). node2 routes 203.0.113.0/24 via node1, so
     * answers to it from either node find their way back. Its source address is outside the
     * cluster CIDR, as an internet client's would be; use it for NodePort, external IP and
     * load-balancer traffic. Returned as a {@link Pod} on node 1 (its namespace and address).
     */
    public Pod addExternalClient(String name) {
        requireOpen();
        if (name == null || !POD_NAME.matcher(name).matches() || name.matches("node[0-9]+") || pods.containsKey(name)) {
            throw new IllegalArgumentException("Invalid or duplicate external client name '" + name + "'");
        }
        int octet = FIRST_POD_OCTET + externalClients.size();
        Pod client = new Pod(name, prefix + "-" + name, 1, EXTERNAL_PREFIX + octet);
        String node = nodeNamespace(1);
        String nodeSide = "vx" + octet;
        createNamespace(client.namespace());
        ip("-n", node, "link", "add", nodeSide, "type", "veth", "peer", "name", "eth0", "netns", client.namespace());
        ip("-n", client.namespace(), "addr", "add", client.ip() + "/32", "dev", "eth0");
        ip("-n", client.namespace(), "link", "set", "eth0", "up");
        ip("-n", client.namespace(), "route", "add", EXTERNAL_PREFIX + "1", "dev", "eth0", "scope", "link");
        ip("-n", client.namespace(), "route", "add", "default", "via", EXTERNAL_PREFIX + "1", "dev", "eth0");
        ip("-n", node, "addr", "add", EXTERNAL_PREFIX + "1/32", "dev", nodeSide);
        ip("-n", node, "link", "set", nodeSide, "up");
        ip("-n", node, "route", "add", client.ip() + "/32", "dev", nodeSide);
        if (externalClients.isEmpty()) {
            ip("-n", nodeNamespace(2), "route", "add", EXTERNAL_PREFIX + "0/24", "via", nodeIp(1));
        }
        if (ipv6) {
            String v6 = "2001:db8:203::" + octet;
            String gw = "2001:db8:203::1";
            ip("-n", client.namespace(), "-6", "addr", "add", v6 + "/128", "dev", "eth0", "nodad");
            ip("-n", client.namespace(), "-6", "route", "add", gw, "dev", "eth0");
            ip("-n", client.namespace(), "-6", "route", "add", "default", "via", gw, "dev", "eth0");
            ip("-n", node, "-6", "addr", "add", gw + "/128", "dev", nodeSide, "nodad");
            ip("-n", node, "-6", "route", "add", v6 + "/128", "dev", nodeSide);
            if (externalClients.isEmpty()) {
                ip("-n", nodeNamespace(2), "-6", "route", "add", "2001:db8:203::/64", "via", nodeIp6(1));
            }
        }
        externalClients.add(client);
        log.debug("Lab {}: external client {} at {} attached to node 1", prefix, name, client.ip());
        return client;
    }

    /**
     * Sends one UDP datagram from {@code client}'s namespace to {@code ip:port} and waits at most
     * {@code timeout} for one line back (bash's /dev/udp, a connected socket, so an ICMP port
     * unreachable shows as {@link Outcome#REFUSED}). The body is the answer, e.g. a pod server's
     * {@code pod=… client=…}. The source port is new for every call.
     */
    public FetchResult udpExchange(Pod client, String ip, int port, Duration timeout) {
        requireOpen();
        String seconds = String.format(Locale.ROOT, "%.3f", timeout.toMillis() / 1000.0);
        List<String> cmd = Netns.inNamespace(client.namespace(), "bash", "-c",
                "exec 3<>/dev/udp/" + ip + "/" + port + " && printf 'hello\\n' >&3 && timeout " + seconds + " head -n 1 <&3");
        ExecResult r = Netns.run(cmd, null, timeout.plusSeconds(10));
        if (r.ok() && !r.stdout().isEmpty()) {
            return new FetchResult(Outcome.OK, r.stdout());
        }
        if (r.exitCode() == 124) {
            return new FetchResult(Outcome.TIMEOUT, "no UDP answer within " + timeout);
        }
        if (r.stderr().contains("Connection refused")) {
            return new FetchResult(Outcome.REFUSED, r.stderr().strip());
        }
        return new FetchResult(Outcome.ERROR, "exit " + r.exitCode() + ": " + r.stderr().strip());
    }

    /**
     * Starts a {@link PodHttpServer} inside {@code pod} on {@code port} (a child JVM with a small
     * heap, run with this JVM's java binary and class path) and waits until it answers from inside
     * the pod's namespace (at most 10 s). {@link #close()} stops it.
     */
    public Server startServer(Pod pod, int port) {
        requireOpen();
        Path logFile = workDir.resolve(pod.name() + "-" + port + ".log");
        Process process = launchServer(pod, port, logFile);
        Server server = new Server(pod, port, process.pid(), logFile);
        servers.add(server);
        awaitServing(server, process);
        log.debug("Lab {}: server on {}:{} (PID {}) ready", prefix, pod.ip(), port, server.pid());
        return server;
    }

    /** Stops a server started by {@link #startServer} (SIGTERM, then SIGKILL after 5 s). */
    public void stopServer(Server server) {
        servers.remove(server);
        ProcessHandle.of(server.pid()).ifPresent(Lab::terminate);
    }

    /** GET {@code http://ip:port/} with curl from inside {@code client}'s namespace. */
    public FetchResult fetch(Pod client, String ip, int port, Duration timeout) {
        return fetchFrom(client.namespace(), ip, port, timeout);
    }

    /** GET {@code http://ip:port/} from a node's namespace (source address: the node's IP). */
    public FetchResult fetchFromNode(int node, String ip, int port, Duration timeout) {
        return fetchFrom(nodeNamespace(node), ip, port, timeout);
    }

    /** Stops every server the lab started, by PID, and deletes every namespace it created. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        List<Server> started = List.copyOf(servers);
        servers.clear();
        started.forEach(s -> ProcessHandle.of(s.pid()).ifPresent(Lab::terminate));
        List<RuntimeException> failures = new ArrayList<>();
        for (int i = namespaces.size() - 1; i >= 0; i--) {
            try {
                Netns.delete(namespaces.get(i));
            } catch (RuntimeException e) {
                failures.add(e);
            }
        }
        deleteWorkDir();
        if (!failures.isEmpty()) {
            IllegalStateException e = new IllegalStateException("Lab " + prefix + " left " + failures.size()
                    + " namespace(s) behind: " + failures.get(0).getMessage());
            failures.forEach(e::addSuppressed);
            throw e;
        }
        log.debug("Lab {} closed", prefix);
    }

    private void buildNodes() {
        for (int node = 1; node <= NODES; node++) {
            createNamespace(nodeNamespace(node));
            Netns.execOk(nodeNamespace(node), "sysctl", "-qw", "net.ipv4.ip_forward=1",
                    "net.ipv4.conf.all.rp_filter=0", "net.ipv4.conf.default.rp_filter=0");
        }
        ip("-n", nodeNamespace(1), "link", "add", "eth0", "type", "veth", "peer", "name", "eth0", "netns", nodeNamespace(2));
        for (int node = 1; node <= NODES; node++) {
            int other = NODES + 1 - node;
            String ns = nodeNamespace(node);
            ip("-n", ns, "addr", "add", nodeIp(node) + "/24", "dev", "eth0");
            ip("-n", ns, "link", "set", "eth0", "up");
            ip("-n", ns, "route", "add", podCidr(other), "via", nodeIp(other));
            if (ipv6) {
                Netns.execOk(ns, "sysctl", "-qw", "net.ipv6.conf.all.forwarding=1");
                ip("-n", ns, "-6", "addr", "add", nodeIp6(node) + "/64", "dev", "eth0", "nodad");
                ip("-n", ns, "-6", "route", "add", "2001:db8:244:" + other + "::/64", "via", nodeIp6(other));
            }
        }
        log.debug("Lab {}: nodes {} built", prefix, nodeNamespaces());
    }

    private void wirePod(Pod pod, String nodeSide) {
        String node = nodeNamespace(pod.node());
        String gateway = "10.244." + pod.node() + ".1";
        createNamespace(pod.namespace());
        ip("-n", node, "link", "add", nodeSide, "type", "veth", "peer", "name", "eth0", "netns", pod.namespace());
        ip("-n", pod.namespace(), "addr", "add", pod.ip() + "/32", "dev", "eth0");
        ip("-n", pod.namespace(), "link", "set", "eth0", "up");
        ip("-n", pod.namespace(), "route", "add", gateway, "dev", "eth0", "scope", "link");
        ip("-n", pod.namespace(), "route", "add", "default", "via", gateway, "dev", "eth0");
        ip("-n", node, "addr", "add", gateway + "/32", "dev", nodeSide);
        ip("-n", node, "link", "set", nodeSide, "up");
        ip("-n", node, "route", "add", pod.ip() + "/32", "dev", nodeSide);
        if (ipv6) {
            String v6 = ipv6Of(pod);
            String gw6 = "2001:db8:244:" + pod.node() + "::1";
            ip("-n", pod.namespace(), "-6", "addr", "add", v6 + "/128", "dev", "eth0", "nodad");
            ip("-n", pod.namespace(), "-6", "route", "add", gw6, "dev", "eth0");
            ip("-n", pod.namespace(), "-6", "route", "add", "default", "via", gw6, "dev", "eth0");
            ip("-n", node, "-6", "addr", "add", gw6 + "/128", "dev", nodeSide, "nodad");
            ip("-n", node, "-6", "route", "add", v6 + "/128", "dev", nodeSide);
        }
    }

    private void createNamespace(String ns) {
        Netns.create(ns);
        namespaces.add(ns);
        ip("-n", ns, "link", "set", "lo", "up");
    }

    private Process launchServer(Pod pod, int port, Path logFile) {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = Netns.inNamespace(pod.namespace(), java,
                "-Xmx32m", "-Xss512k", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xshare:auto",
                "-cp", System.getProperty("java.class.path"),
                PodHttpServer.class.getName(), "--name", pod.name(), "--port", String.valueOf(port));
        try {
            return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(logFile.toFile()).start();
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot start the pod server in " + pod.namespace() + ": " + e.getMessage(), e);
        }
    }

    private void awaitServing(Server server, Process process) {
        long deadline = System.nanoTime() + SERVER_READY_TIMEOUT.toNanos();
        FetchResult last;
        do {
            if (!process.isAlive()) {
                throw new IllegalStateException("Pod server in " + server.pod().namespace() + " on port "
                        + server.port() + " exited with code " + process.exitValue() + ": " + tail(server.logFile()));
            }
            last = fetch(server.pod(), server.pod().ip(), server.port(), Duration.ofSeconds(1));
            if (last.ok()) {
                return;
            }
            pause(Duration.ofMillis(50));
        } while (System.nanoTime() < deadline);
        throw new IllegalStateException("Pod server in " + server.pod().namespace() + " did not answer on "
                + server.pod().ip() + ":" + server.port() + " within " + SERVER_READY_TIMEOUT.toSeconds()
                + " s (last: " + last + "); its log: " + tail(server.logFile()));
    }

    private FetchResult fetchFrom(String ns, String ip, int port, Duration timeout) {
        requireOpen();
        String seconds = String.format(Locale.ROOT, "%.3f", timeout.toMillis() / 1000.0);
        List<String> cmd = Netns.inNamespace(ns, "curl", "-sS", "--noproxy", "*", "--max-time", seconds,
                "http://" + (ip.indexOf(':') >= 0 ? "[" + ip + "]" : ip) + ":" + port + "/");
        ExecResult r = Netns.run(cmd, null, timeout.plusSeconds(10));
        return switch (r.exitCode()) {
            case 0 -> new FetchResult(Outcome.OK, r.stdout());
            case 7 -> new FetchResult(Outcome.REFUSED, r.stderr().strip());
            case 28 -> new FetchResult(Outcome.TIMEOUT, r.stderr().strip());
            default -> new FetchResult(Outcome.ERROR, "curl exit " + r.exitCode() + ": " + r.stderr().strip());
        };
    }

    private static void deleteStale(String prefix) {
        for (String ns : Netns.list()) {
            if (ns.startsWith(prefix + "-")) {
                log.warn("Deleting namespace {} left by an earlier run of lab {}", ns, prefix);
                Netns.delete(ns);
            }
        }
    }

    private static void terminate(ProcessHandle p) {
        p.destroy();
        try {
            p.onExit().get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            log.warn("PID {} did not stop on SIGTERM within 5 s; killing it", p.pid());
            p.destroyForcibly();
        }
    }

    private static void ip(String... args) {
        List<String> cmd = new ArrayList<>(List.of("ip"));
        cmd.addAll(List.of(args));
        Netns.run(cmd, null, Netns.DEFAULT_TIMEOUT).orThrow(cmd);
    }

    private static int checkNode(int node) {
        if (node < 1 || node > NODES) {
            throw new IllegalArgumentException("No node " + node + ": a lab has nodes 1 and 2");
        }
        return node;
    }

    private void requireIpv6() {
        if (!ipv6) {
            throw new IllegalStateException("Lab " + prefix + " was built without IPv6; use Lab.build(prefix, true)");
        }
    }

    private void requireOpen() {
        if (closed) {
            throw new IllegalStateException("Lab " + prefix + " is closed");
        }
    }

    private static String tail(Path logFile) {
        try {
            List<String> lines = Files.readAllLines(logFile);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    private void deleteWorkDir() {
        try (Stream<Path> files = Files.walk(workDir)) {
            for (Path f : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(f);
            }
        } catch (IOException e) {
            log.warn("Could not delete lab work directory {}: {}", workDir, e.toString());
        }
    }

    private static void pause(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while waiting for a pod server", e);
        }
    }
}
