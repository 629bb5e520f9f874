package io.sluice.applier.backend;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * What the IPVS integration tests need from this machine, and why they skip when it is missing:
 * root, the tools, the kernel's ip_vs module. Also creates and deletes the network namespaces the
 * tests work in, so no rule ever touches the host's own tables.
 */
final class IpvsKernel {
    static final Duration TIMEOUT = Duration.ofSeconds(30);
    static final Exec EXEC = Exec.system();

    private IpvsKernel() {
    }

    /** Why a test needing root and {@code tools} cannot run here, or empty when it can. */
    static Optional<String> missingPrerequisite(String... tools) {
        if (!isRoot()) {
            return Optional.of("not root: creating network namespaces and loading rules needs root");
        }
        for (String tool : tools) {
            if (!onPath(tool)) {
                return Optional.of(tool + " is not installed (not on PATH; Debian package "
                        + (tool.startsWith("ipvsadm") ? "ipvsadm" : tool.startsWith("ipset") ? "ipset" : "iproute2/iptables") + ")");
            }
        }
        return Optional.empty();
    }

    /**
     * Why IPVS cannot be used here, or empty when the kernel has it: {@code /proc/net/ip_vs}
     * exists, or appears after {@code modprobe ip_vs}.
     */
    static Optional<String> ipvsUnavailable() {
        if (Files.exists(Path.of("/proc/net/ip_vs"))) {
            return Optional.empty();
        }
        String modprobe;
        try {
            Exec.Result r = EXEC.run(List.of("modprobe", "ip_vs"), null, TIMEOUT);
            modprobe = r.ok() ? "exited 0" : "failed: " + (r.stderr().isBlank() ? "exit " + r.exitCode() : r.stderr().strip());
        } catch (Exec.ExecException e) {
            modprobe = "failed: " + e.getMessage();
        }
        if (Files.exists(Path.of("/proc/net/ip_vs"))) {
            return Optional.empty();
        }
        return Optional.of("kernel " + kernelRelease() + " has no ip_vs module: /proc/net/ip_vs missing and modprobe ip_vs "
                + modprobe);
    }

    static String kernelRelease() {
        try {
            return Files.readString(Path.of("/proc/sys/kernel/osrelease")).strip();
        } catch (IOException e) {
            return "(unknown release)";
        }
    }

    /** Namespaces created through {@link #create}, deleted by {@link #deleteAll}. */
    static final class Namespaces {
        private final String prefix;
        private final List<String> created = new ArrayList<>();

        Namespaces(String label) {
            this.prefix = "sluice-" + label + "-" + ProcessHandle.current().pid() + "-";
        }

        /** A new, empty namespace; its name is returned. */
        String create(String name) throws Exec.ExecException {
            String ns = prefix + name;
            Exec.Result r = EXEC.run(List.of("ip", "netns", "add", ns), null, TIMEOUT);
            if (!r.ok()) {
                throw new IllegalStateException("cannot create network namespace " + ns + ": " + r.describe());
            }
            created.add(ns);
            return ns;
        }

        void deleteAll() throws Exec.ExecException {
            for (String ns : created) {
                EXEC.run(List.of("ip", "netns", "delete", ns), null, TIMEOUT);
            }
            created.clear();
        }
    }

    static List<String> in(String ns) {
        return List.of("ip", "netns", "exec", ns);
    }

    /** Runs {@code command} in {@code ns}; fails the test when it does not exit 0. */
    static String run(String ns, String stdin, String... command) throws Exec.ExecException {
        Exec.Result r = runResult(ns, stdin, command);
        if (!r.ok()) {
            throw new AssertionError(r.describe());
        }
        return r.stdout();
    }

    static Exec.Result runResult(String ns, String stdin, String... command) throws Exec.ExecException {
        List<String> full = new ArrayList<>(in(ns));
        full.addAll(Arrays.asList(command));
        return EXEC.run(full, stdin, TIMEOUT);
    }

    private static boolean isRoot() {
        try {
            return Files.readAllLines(Path.of("/proc/self/status")).stream()
                    .filter(l -> l.startsWith("Uid:")).anyMatch(l -> l.split("\\s+")[1].equals("0"));
        } catch (IOException e) {
            return false;
        }
    }

    private static boolean onPath(String tool) {
        return Arrays.stream(System.getenv().getOrDefault("PATH", "/usr/sbin:/usr/bin:/sbin:/bin").split(":"))
                .anyMatch(dir -> Files.isExecutable(Path.of(dir, tool)));
    }
}
