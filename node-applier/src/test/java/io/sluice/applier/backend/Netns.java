package io.sluice.applier.backend;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Assumptions;

/** Network namespaces a test creates and deletes, and running tools inside them. Skips when not root. */
public final class Netns implements AutoCloseable {
    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private final String name;

    private Netns(String name) {
        this.name = name;
    }

    /** Creates {@code sluice-<tag>-<pid>}; skips the test (assumption) without root or tools. */
    public static Netns create(String tag, String... tools) throws Exception {
        Assumptions.assumeTrue(isRoot(), "not root: creating network namespaces and loading rules needs root");
        for (String tool : concat(List.of("ip"), tools)) {
            Assumptions.assumeTrue(onPath(tool), tool + " is not installed (not on PATH)");
        }
        String name = "sluice-" + tag + "-" + ProcessHandle.current().pid();
        Exec.system().run(List.of("ip", "netns", "delete", name), null, TIMEOUT);
        Exec.Result r = Exec.system().run(List.of("ip", "netns", "add", name), null, TIMEOUT);
        Assumptions.assumeTrue(r.ok(), "cannot create a network namespace: " + r.describe());
        return new Netns(name);
    }

    public String name() {
        return name;
    }

    /** {@code ip netns exec <name>}: the command prefix backends take. */
    public List<String> prefix() {
        return List.of("ip", "netns", "exec", name);
    }

    /** Runs a command in the namespace; fails the test when it exits non-zero. */
    public String run(String... argv) throws Exception {
        return runWithInput(null, argv);
    }

    public String runWithInput(String stdin, String... argv) throws Exception {
        Exec.Result r = Exec.system().run(concat(prefix(), argv), stdin, TIMEOUT);
        if (!r.ok()) {
            throw new AssertionError("in netns " + name + ": " + r.describe());
        }
        return r.stdout();
    }

    @Override
    public void close() throws Exception {
        Exec.system().run(List.of("ip", "netns", "delete", name), null, TIMEOUT);
    }

    private static List<String> concat(List<String> a, String... b) {
        List<String> out = new ArrayList<>(a);
        out.addAll(Arrays.asList(b));
        return out;
    }

    static boolean isRoot() {
        try {
            return Files.readAllLines(Path.of("/proc/self/status")).stream()
                    .filter(l -> l.startsWith("Uid:")).anyMatch(l -> l.split("\\s+")[1].equals("0"));
        } catch (IOException e) {
            return false;
        }
    }

    static boolean onPath(String tool) {
        return Arrays.stream(System.getenv().getOrDefault("PATH", "/usr/sbin:/usr/bin:/sbin:/bin").split(":"))
                .anyMatch(dir -> Files.isExecutable(Path.of(dir, tool)));
    }
}
