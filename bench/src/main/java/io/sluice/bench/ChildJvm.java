package io.sluice.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A separate JVM running {@link ApplierProcess}, stopped by its PID at the end. Lines it prints are
 * queued for {@link #await}; {@code EVENT name ms} lines are also kept by name, with the parent's
 * wall-clock time of arrival.
 */
public final class ChildJvm implements AutoCloseable {
    /** Where the applier's JVM settings live, relative to the repository root (bench/run's working directory). */
    public static final Path APPLIER_ENV_FILE = Path.of("deploy", "applier.env");
    /** The environment the DaemonSet gives the applier (its JVM flags and malloc settings), from {@link #APPLIER_ENV_FILE}. */
    public static final Map<String, String> APPLIER_ENV = readEnvFile(APPLIER_ENV_FILE);
    /** The applier's JVM flags as the DaemonSet sets them (its {@code JAVA_TOOL_OPTIONS}). */
    public static final String DEFAULT_OPTS = APPLIER_ENV.getOrDefault("JAVA_TOOL_OPTIONS", "");

    private final Process process;
    private final long startNanos;
    private final LinkedBlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private final Map<String, long[]> events = new ConcurrentHashMap<>();
    private final Writer stdin;

    /**
     * Starts {@code main} with {@code jvmOpts} on the command line and the rest of {@link #APPLIER_ENV}
     * (such as MALLOC_ARENA_MAX) in its environment.
     */
    public ChildJvm(String jvmOpts, Class<?> main, List<String> args, Path log) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        for (String o : jvmOpts.trim().split("\\s+")) {
            if (!o.isEmpty()) {
                cmd.add(o);
            }
        }
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(main.getName());
        cmd.addAll(args);
        startNanos = System.nanoTime();
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(log.toFile());
        APPLIER_ENV.forEach((k, v) -> {
            if (!k.equals("JAVA_TOOL_OPTIONS")) {
                pb.environment().put(k, v);
            }
        });
        process = pb.start();
        stdin = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    if (line.startsWith("EVENT ")) {
                        String[] p = line.split(" ");
                        events.put(p[1], new long[] {System.nanoTime() - startNanos, Long.parseLong(p[2])});
                    }
                    lines.add(line);
                }
            } catch (IOException e) {
                lines.add("EOF " + e);
            }
            lines.add("EOF");
        }, "child-jvm-reader");
        reader.setDaemon(true);
        reader.start();
    }

    public long pid() {
        return process.pid();
    }

    /** Waits for a line starting with {@code prefix}; fails on EOF or after the timeout. */
    public String await(String prefix, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            long left = deadline - System.nanoTime();
            String line = left <= 0 ? null : lines.poll(left, TimeUnit.NANOSECONDS);
            if (line == null) {
                throw new IllegalStateException("child JVM (pid " + pid() + ") printed no '" + prefix + "' within " + timeout);
            }
            if (line.startsWith(prefix)) {
                return line;
            }
            if (line.startsWith("EOF")) {
                throw new IllegalStateException("child JVM (pid " + pid() + ") ended before printing '" + prefix
                        + "'; exit " + (process.isAlive() ? "?" : process.exitValue()));
            }
        }
    }

    /** {parent ms since spawn, child ms since its JVM start} of an EVENT line, or null. */
    public double[] event(String name) {
        long[] e = events.get(name);
        return e == null ? null : new double[] {e[0] / 1e6, e[1]};
    }

    public void send(String command) throws IOException {
        stdin.write(command + "\n");
        stdin.flush();
    }

    /** VmRSS and VmHWM in KiB from /proc/PID/status. */
    public long[] rssKb() throws IOException {
        long rss = -1;
        long hwm = -1;
        for (String l : Files.readAllLines(Path.of("/proc", Long.toString(pid()), "status"))) {
            if (l.startsWith("VmRSS:")) {
                rss = Long.parseLong(l.replaceAll("[^0-9]", ""));
            } else if (l.startsWith("VmHWM:")) {
                hwm = Long.parseLong(l.replaceAll("[^0-9]", ""));
            }
        }
        return new long[] {rss, hwm};
    }

    /** Asks it to exit; after 20 s kills it by PID. */
    @Override
    public void close() {
        try {
            send("exit");
        } catch (IOException e) {
            // already gone
        }
        try {
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    /** KEY=value lines (Docker's --env-file format); blank lines and lines starting with # are skipped. */
    static Map<String, String> readEnvFile(Path file) {
        Map<String, String> env = new LinkedHashMap<>();
        try {
            for (String line : Files.readAllLines(file)) {
                String t = line.strip();
                if (t.isEmpty() || t.startsWith("#")) {
                    continue;
                }
                int eq = t.indexOf('=');
                if (eq <= 0) {
                    throw new IllegalStateException(file + ": '" + line + "' is not KEY=value");
                }
                env.put(t.substring(0, eq), t.substring(eq + 1));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the applier's JVM settings from " + file.toAbsolutePath()
                    + " (bench/run runs from the repository root)", e);
        }
        return env;
    }
}
