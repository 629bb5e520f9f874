package io.sluice.bench;

import io.sluice.applier.backend.Exec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Network namespaces the benchmark creates, and only those: every name is recorded (in memory and
 * in {@code $SLUICE_BENCH_NETNS_FILE}, which bench/run deletes by name on exit, even after kill -9)
 * and deleted by name at the end, on failure and from a shutdown hook. Names start with
 * {@code sluice-bench-} so they cannot collide with anyone else's.
 */
public final class Netns {
    public static final String PREFIX = "sluice-bench-";
    private static final Set<String> CREATED = new LinkedHashSet<>();
    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(Netns::deleteAll, "bench-netns-cleanup"));
    }

    private Netns() {
    }

    /** Creates {@code sluice-bench-<suffix>} (deleting a leftover of the same name first) with lo up. */
    public static synchronized String create(String suffix) {
        String name = PREFIX + suffix;
        record(name);
        CREATED.add(name);
        run(List.of("ip", "netns", "delete", name), false);
        run(List.of("ip", "netns", "add", name), true);
        run(List.of("ip", "-n", name, "link", "set", "lo", "up"), true);
        return name;
    }

    /** Records a namespace created by someone else on the benchmark's behalf (testkit Lab) for cleanup. */
    public static synchronized void adopt(String name) {
        if (!name.startsWith(PREFIX)) {
            throw new IllegalArgumentException("namespace '" + name + "' does not start with " + PREFIX);
        }
        record(name);
        CREATED.add(name);
    }

    public static synchronized void delete(String name) {
        if (!name.startsWith(PREFIX)) {
            throw new IllegalArgumentException("refusing to delete namespace '" + name + "': not created by the benchmark");
        }
        run(List.of("ip", "netns", "delete", name), false);
        CREATED.remove(name);
    }

    public static synchronized void deleteAll() {
        for (String name : new ArrayList<>(CREATED)) {
            try {
                delete(name);
            } catch (RuntimeException e) {
                System.err.println("bench: could not delete namespace " + name + ": " + e.getMessage());
            }
        }
    }

    /** {@code ip netns exec NAME} followed by the command. */
    public static List<String> in(String ns, String... command) {
        List<String> c = new ArrayList<>(List.of("ip", "netns", "exec", ns));
        c.addAll(List.of(command));
        return c;
    }

    public static boolean isRoot() {
        return "root".equals(System.getProperty("user.name"));
    }

    private static void record(String name) {
        String file = System.getenv("SLUICE_BENCH_NETNS_FILE");
        if (file != null) {
            try {
                Files.writeString(Path.of(file), name + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                        StandardOpenOption.APPEND);
            } catch (IOException e) {
                System.err.println("bench: cannot record namespace " + name + " in " + file + ": " + e);
            }
        }
    }

    static Exec.Result run(List<String> command, boolean mustSucceed) {
        try {
            Exec.Result r = Exec.system().run(command, null, TIMEOUT);
            if (mustSucceed && !r.ok()) {
                throw new IllegalStateException(r.describe());
            }
            return r;
        } catch (Exec.ExecException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }
}
