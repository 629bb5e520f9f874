package io.sluice.testkit.netns;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Linux network namespaces through {@code ip netns}, and commands run inside them.
 *
 * <p>Every method runs a real command and needs root. Call {@link #unavailableReason()} first
 * (tests: {@code assumeTrue(reason.isEmpty(), reason::get)}) to skip with a readable reason where
 * namespaces cannot be used.
 */
public final class Netns {
    private static final Logger log = LoggerFactory.getLogger(Netns.class);
    /** How long a command may run unless a timeout is given. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofMinutes(5);
    private static final Pattern VALID_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,200}");
    private static final ExecutorService STREAM_READERS = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "netns-exec-reader");
        t.setDaemon(true);
        return t;
    });
    private static volatile Optional<String> unavailableReason;

    private Netns() {
    }

    /**
     * Empty if network-namespace tests can run here (root, {@code ip} and {@code iptables-restore}
     * present, {@code ip netns add} works); otherwise a sentence saying why not. Computed once.
     */
    public static Optional<String> unavailableReason() {
        Optional<String> r = unavailableReason;
        if (r == null) {
            r = probe();
            unavailableReason = r;
            r.ifPresent(reason -> log.info("Network-namespace tests unavailable: {}", reason));
        }
        return r;
    }

    /** Creates namespace {@code name}; fails if it exists. */
    public static void create(String name) {
        run(List.of("ip", "netns", "add", checkName(name)), null, DEFAULT_TIMEOUT).orThrow(List.of("ip", "netns", "add", name));
    }

    /**
     * Deletes namespace {@code name} if it exists, after killing (by PID, SIGKILL) any process
     * still inside it, which would otherwise keep the namespace alive.
     */
    public static void delete(String name) {
        checkName(name);
        if (!list().contains(name)) {
            return;
        }
        for (long pid : pids(name)) {
            ProcessHandle.of(pid).ifPresent(p -> {
                log.debug("Killing PID {} ({}) left in namespace {}", pid, p.info().command().orElse("?"), name);
                p.destroyForcibly();
            });
        }
        List<String> cmd = List.of("ip", "netns", "delete", name);
        run(cmd, null, DEFAULT_TIMEOUT).orThrow(cmd);
    }

    /** Names of all network namespaces known to {@code ip netns}. */
    public static List<String> list() {
        List<String> cmd = List.of("ip", "netns", "list");
        String out = run(cmd, null, DEFAULT_TIMEOUT).orThrow(cmd).stdout();
        return out.lines().map(String::strip).filter(l -> !l.isEmpty()).map(l -> l.split("\\s+")[0]).toList();
    }

    /** PIDs of the processes running in namespace {@code name}. */
    public static List<Long> pids(String name) {
        List<String> cmd = List.of("ip", "netns", "pids", checkName(name));
        ExecResult r = run(cmd, null, DEFAULT_TIMEOUT);
        if (!r.ok()) {
            return List.of();
        }
        return r.stdout().lines().map(String::strip).filter(l -> !l.isEmpty()).map(Long::parseLong).toList();
    }

    /** Runs {@code argv} inside namespace {@code ns}; never throws for a non-zero exit. */
    public static ExecResult exec(String ns, String... argv) {
        return execWithInput(ns, null, argv);
    }

    /** Runs {@code argv} inside namespace {@code ns} with {@code input} on its standard input. */
    public static ExecResult execWithInput(String ns, String input, String... argv) {
        return run(inNamespace(ns, argv), input, DEFAULT_TIMEOUT);
    }

    /** As {@link #exec} but throws {@link ExecException} (command, exit code, stderr) on failure. */
    public static ExecResult execOk(String ns, String... argv) {
        return execOkWithInput(ns, null, argv);
    }

    /**
     * As {@link #execWithInput} but throws on failure, e.g.
     * {@code execOkWithInput(ns, rules, "iptables-restore", "--noflush")}.
     */
    public static ExecResult execOkWithInput(String ns, String input, String... argv) {
        List<String> cmd = inNamespace(ns, argv);
        return run(cmd, input, DEFAULT_TIMEOUT).orThrow(cmd);
    }

    /**
     * Runs a command (in the caller's namespace), writing {@code input} (may be null) to its stdin,
     * and waits for it at most {@code timeout}; a command still running then is killed and
     * reported as failed. Throws {@link UncheckedIOException} if the program cannot be started.
     */
    public static ExecResult run(List<String> command, String input, Duration timeout) {
        Process p;
        try {
            p = new ProcessBuilder(command).start();
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot start " + String.join(" ", command) + ": " + e.getMessage(), e);
        }
        CompletableFuture<String> out = readAsync(p.getInputStream());
        CompletableFuture<String> err = readAsync(p.getErrorStream());
        writeInput(p, input, command);
        try {
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly().waitFor();
                throw new IllegalStateException("Command did not finish within " + timeout + " and was killed: "
                        + String.join(" ", command));
            }
            return new ExecResult(p.exitValue(), out.get(), err.get());
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while running " + String.join(" ", command), e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("Cannot read the output of " + String.join(" ", command), e.getCause());
        }
    }

    /** {@code ip netns exec <ns> argv...}. */
    public static List<String> inNamespace(String ns, String... argv) {
        if (argv.length == 0) {
            throw new IllegalArgumentException("No command given to run in namespace " + ns);
        }
        List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", checkName(ns)));
        cmd.addAll(Arrays.asList(argv));
        return cmd;
    }

    static String checkName(String name) {
        if (name == null || !VALID_NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("Invalid network namespace name '" + name
                    + "': use letters, digits, '-', '_' or '.', starting with a letter or digit");
        }
        return name;
    }

    private static void writeInput(Process p, String input, List<String> command) {
        try (OutputStream stdin = p.getOutputStream()) {
            if (input != null) {
                stdin.write(input.getBytes(StandardCharsets.UTF_8));
            }
        } catch (IOException e) {
            // The command exited before reading all its input; its exit code and stderr tell why.
            log.debug("Could not write all input to {}: {}", command, e.toString());
        }
    }

    private static CompletableFuture<String> readAsync(InputStream in) {
        return CompletableFuture.supplyAsync(() -> {
            try (in) {
                return new String(in.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }, STREAM_READERS);
    }

    private static Optional<String> probe() {
        long uid = uid();
        if (uid != 0) {
            return Optional.of("not root (uid " + uid + "): network-namespace tests need root");
        }
        for (String tool : List.of("ip", "iptables-restore", "curl")) {
            if (!onPath(tool)) {
                return Optional.of("'" + tool + "' is not installed (not found on PATH " + System.getenv("PATH") + ")");
            }
        }
        return probeNamespaceCreation();
    }

    private static Optional<String> probeNamespaceCreation() {
        String name = "sluice-probe-" + ProcessHandle.current().pid();
        ExecResult add = run(List.of("ip", "netns", "add", name), null, Duration.ofSeconds(10));
        if (!add.ok()) {
            return Optional.of("'ip netns add' failed (exit " + add.exitCode() + "): " + add.stderr().strip());
        }
        run(List.of("ip", "netns", "delete", name), null, Duration.ofSeconds(10));
        return Optional.empty();
    }

    private static boolean onPath(String tool) {
        String path = System.getenv().getOrDefault("PATH", "/usr/sbin:/usr/bin:/sbin:/bin");
        return Arrays.stream(path.split(":")).map(dir -> Path.of(dir, tool)).anyMatch(Files::isExecutable);
    }

    private static long uid() {
        try {
            return Files.readAllLines(Path.of("/proc/self/status")).stream()
                    .filter(l -> l.startsWith("Uid:"))
                    .map(l -> Long.parseLong(l.split("\\s+")[2]))
                    .findFirst().orElse(-1L);
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }
}
