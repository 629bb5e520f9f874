package io.sluice.applier.backend;

import io.sluice.applier.render.RuleSet;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Writes rule sets to files instead of the kernel, for nodes without root and for demos:
 * {@code <dir>/rules.<mode>} holds the latest rule set (replaced atomically: a temporary file in
 * the same directory, then a rename, so a reader never sees half a file), and
 * {@code <dir>/rules.<mode>.applied} gets one history line per apply:
 * {@code <instant> <digest> services=N endpoints=M chains=K}.
 */
public final class DryRunBackend implements RuleBackend {
    private static final Pattern MODE = Pattern.compile("[a-z0-9]+");
    private static final String HISTORY_SUFFIX = ".applied";
    private final Path dir;
    private final Clock clock;

    public DryRunBackend(Path dir) {
        this(dir, Clock.systemUTC());
    }

    public DryRunBackend(Path dir, Clock clock) {
        this.dir = Objects.requireNonNull(dir, "dir");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /** The file holding the latest rule set of {@code mode}. */
    public Path rulesFile(String mode) {
        return dir.resolve("rules." + mode);
    }

    /** The history file of {@code mode}. */
    public Path historyFile(String mode) {
        return dir.resolve("rules." + mode + HISTORY_SUFFIX);
    }

    @Override
    public void apply(RuleSet rules) throws ApplyException {
        if (!MODE.matcher(rules.mode()).matches()) {
            throw new ApplyException("dry-run: mode '" + rules.mode() + "' is not a plain lower-case word");
        }
        Path target = rulesFile(rules.mode());
        try {
            Files.createDirectories(dir);
            Path tmp = Files.createTempFile(dir, "." + target.getFileName(), ".tmp");
            try {
                Files.writeString(tmp, rules.text(), StandardCharsets.UTF_8);
                moveAtomically(tmp, target);
            } finally {
                Files.deleteIfExists(tmp);
            }
            appendHistory(rules.mode(), rules.digest() + " services=" + rules.serviceCount()
                    + " endpoints=" + rules.endpointCount() + " chains=" + rules.chains().size());
        } catch (IOException e) {
            throw new ApplyException("dry-run: cannot write " + target + ": " + e, e);
        }
    }

    /** Deletes every {@code rules.<mode>} file and records the cleanup in its history. */
    @Override
    public void cleanup() throws ApplyException {
        if (!Files.isDirectory(dir)) {
            return;
        }
        List<Path> files = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "rules.*")) {
            ds.forEach(files::add);
            for (Path p : files) {
                String name = p.getFileName().toString();
                String mode = name.substring("rules.".length());
                if (!name.endsWith(HISTORY_SUFFIX) && MODE.matcher(mode).matches()) {
                    Files.delete(p);
                    appendHistory(mode, "cleanup");
                }
            }
        } catch (IOException e) {
            throw new ApplyException("dry-run: cannot clean up " + dir + ": " + e, e);
        }
    }

    @Override
    public String describe() {
        return "dry-run to " + dir;
    }

    private void appendHistory(String mode, String what) throws IOException {
        Files.writeString(historyFile(mode), clock.instant() + " " + what + "\n", StandardCharsets.UTF_8,
                StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }

    private static void moveAtomically(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            throw new IOException("the file system of " + to.getParent() + " cannot rename atomically", e);
        }
    }
}
