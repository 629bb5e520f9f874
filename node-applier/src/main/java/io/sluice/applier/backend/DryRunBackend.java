package io.sluice.applier.backend;

import io.sluice.applier.render.IptablesChains;
import io.sluice.applier.render.RuleSet;
import io.sluice.applier.sync.BoundedFrequencyRunner;
import io.sluice.schema.model.ObjectKey;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;
import java.util.regex.Pattern;

/**
 * Writes rule sets to files instead of the kernel, for nodes without root and for demos.
 * <ul>
 *   <li>{@code <dir>/rules.<mode>} holds the latest rule set, replaced atomically (a temporary file
 *       in the same directory, then a rename, so a reader never sees half a file);</li>
 *   <li>{@code <dir>/rules.<mode>.applied} gets one history line per apply, written before the
 *       apply returns: {@code <instant> <digest> services=N endpoints=M chains=K}, where the digest
 *       is the rule set's {@link RuleSet#fingerprint() fingerprint}, the one the applier logs and
 *       reports after each sync: {@code sha256:<hex>} of the text for text rule sets (what
 *       {@code sha256sum rules.<mode>} prints), {@code chains-fnv64:<hex>} for the iptables model.</li>
 * </ul>
 *
 * <p>When the rules file is written. {@link #apply(RuleSet)} and FULL syncs write it before they
 * return. A PARTIAL sync writes it before it returns as well when the last write ended at least
 * the <em>write interval</em> ago; otherwise it records only its history line, and the file is
 * written when the interval is up, with the latest rule set by then. So the file is never more than
 * one interval behind the last apply, and a run of PARTIAL syncs costs one write per interval
 * instead of one per sync: writing the file means writing out the whole model (2.6 MB at 1,000
 * Services, some 25 ms), where the sync itself changed a few chains (benchmark 3 of
 * docs/PERFORMANCE.md). The interval is the larger of {@link #MIN_WRITE_INTERVAL} and
 * {@value #DUTY_FACTOR} times the last write's duration, so writing takes at most 1/{@value #DUTY_FACTOR}
 * of the time. {@link #flush()} and {@link #close()} write what is pending at once; {@link #cleanup()}
 * drops it. A deferred write that fails is reported by the next apply, which throws (the runtime
 * then retries with a FULL sync, which writes at once).
 *
 * <p>Applies, {@link #flush()}, {@link #cleanup()} and {@link #close()} come from one thread at a
 * time (the {@link RuleBackend} contract); deferred writes run on the scheduler's thread, and
 * file writes are serialised so that the newest rule set is the one that stays.
 */
public final class DryRunBackend implements RuleBackend {
    /** The shortest time between two writes of the rules file by PARTIAL syncs. */
    public static final Duration MIN_WRITE_INTERVAL = Duration.ofSeconds(1);
    /** A write that took t is followed by the next deferred one no sooner than this many t later. */
    public static final int DUTY_FACTOR = 20;
    private static final Pattern MODE = Pattern.compile("[a-z0-9]+");
    private static final String HISTORY_SUFFIX = ".applied";

    private final Path dir;
    private final Clock clock;
    private final LongSupplier nanoTime;
    private final BoundedFrequencyRunner.Scheduler scheduler;
    private final ScheduledExecutorService ownExecutor;

    /** Serialises writes of rules files; {@link #written} is guarded by it. */
    private final ReentrantLock fileLock = new ReentrantLock();
    /** Per mode, the version of the rule set the file holds. */
    private final Map<String, Long> written = new HashMap<>();
    /** Per mode, the size of the text last written to the file (for apply reports). */
    private final Map<String, Long> writtenChars = new java.util.concurrent.ConcurrentHashMap<>();
    /** The version of the last cleanup: older rule sets are never written again. */
    private long cleanedUpAt = Long.MIN_VALUE;

    // Guarded by this.
    private final Map<String, Pending> pending = new LinkedHashMap<>();
    private long version;
    private boolean writing;
    private BoundedFrequencyRunner.Cancellable timer;
    private long nextWriteAt = Long.MIN_VALUE;
    private IOException deferredFailure;
    private boolean closed;

    /** A rule set not in its file yet, and its version (applies are numbered in order). */
    private record Pending(RuleSet rules, long version) {
    }

    /** Writes to {@code dir}; deferred writes run on a daemon thread of its own, started on first need. */
    public DryRunBackend(Path dir) {
        this(dir, Clock.systemUTC(), System::nanoTime, null);
    }

    public DryRunBackend(Path dir, Clock clock) {
        this(dir, clock, System::nanoTime, null);
    }

    /**
     * @param nanoTime  monotonic time for the write interval
     * @param scheduler runs deferred writes; null: a daemon thread of this backend's own, stopped by {@link #close()}
     */
    public DryRunBackend(Path dir, Clock clock, LongSupplier nanoTime, BoundedFrequencyRunner.Scheduler scheduler) {
        this.dir = Objects.requireNonNull(dir, "dir");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.nanoTime = Objects.requireNonNull(nanoTime, "nanoTime");
        if (scheduler != null) {
            this.scheduler = scheduler;
            this.ownExecutor = null;
        } else {
            this.ownExecutor = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "sluice-dry-run-writer-" + dir.getFileName());
                t.setDaemon(true);
                return t;
            });
            this.scheduler = (delay, task) -> {
                ScheduledFuture<?> f = ownExecutor.schedule(task, delay.toNanos(), TimeUnit.NANOSECONDS);
                return () -> f.cancel(false);
            };
        }
    }

    /** The file holding the latest rule set of {@code mode}. */
    public Path rulesFile(String mode) {
        return dir.resolve("rules." + mode);
    }

    /** The history file of {@code mode}. */
    public Path historyFile(String mode) {
        return dir.resolve("rules." + mode + HISTORY_SUFFIX);
    }

    /** Writes {@code rules} to its file and its history line before returning. */
    @Override
    public void apply(RuleSet rules) throws ApplyException {
        checkMode(rules);
        long v;
        synchronized (this) {
            v = ++version;
            pending.remove(rules.mode()); // superseded
            deferredFailure = null;       // this write supersedes the one that failed
        }
        Path target = rulesFile(rules.mode());
        long t0 = nanoTime.getAsLong();
        try {
            fileLock.lock();
            try {
                writeRules(rules, v);
            } finally {
                fileLock.unlock();
            }
        } catch (IOException e) {
            throw new ApplyException("dry-run: cannot write " + target + ": " + e, e);
        } finally {
            wrote(nanoTime.getAsLong() - t0);
        }
        history(rules);
    }

    /**
     * FULL: as {@link #apply(RuleSet)}. PARTIAL: the history line now, the file now or, when the
     * last write was less than the write interval ago, at the end of the interval (see the class
     * comment). The report's unit of change is the file: {@code rules.<mode>} and its size when it
     * was written now, nothing when the write was deferred.
     */
    @Override
    public ApplyReport apply(RuleSet rules, SyncKind kind, Set<ObjectKey> changedServices) throws ApplyException {
        if (kind == SyncKind.FULL) {
            apply(rules);
            // Not ApplyReport.whole: that writes the text out a second time.
            return new ApplyReport(kind, rules.chains(), Set.of(), Map.of(), writtenChars.getOrDefault(rules.mode(), 0L));
        }
        checkMode(rules);
        List<Pending> now;
        synchronized (this) {
            if (deferredFailure != null) {
                IOException e = deferredFailure;
                deferredFailure = null;
                throw new ApplyException("dry-run: a deferred write to " + dir + " failed: " + e + "; the files may "
                        + "hold an older rule set", e);
            }
            pending.put(rules.mode(), new Pending(rules, ++version));
            now = closed ? takePending() : dueNow();
        }
        history(rules);
        if (now.isEmpty()) {
            return new ApplyReport(kind, Set.of(), Set.of(), Map.of(), 0);
        }
        try {
            write(now);
        } catch (IOException e) {
            throw new ApplyException("dry-run: cannot write " + rulesFile(rules.mode()) + ": " + e, e);
        }
        return new ApplyReport(kind, Set.of(rulesFile(rules.mode()).getFileName().toString()), Set.of(), Map.of(),
                writtenChars.getOrDefault(rules.mode(), 0L));
    }

    /** Writes every rule set still pending now, on the caller's thread. */
    public void flush() throws ApplyException {
        List<Pending> now;
        synchronized (this) {
            cancelTimer();
            now = takePending();
        }
        try {
            write(now);
        } catch (IOException e) {
            throw new ApplyException("dry-run: cannot write to " + dir + ": " + e, e);
        }
    }

    /** Deletes every {@code rules.<mode>} file and records the cleanup in its history; drops pending writes. */
    @Override
    public void cleanup() throws ApplyException {
        long v;
        synchronized (this) {
            cancelTimer();
            pending.clear();
            deferredFailure = null;
            v = ++version;
        }
        fileLock.lock();
        try {
            cleanedUpAt = v; // a deferred write already under way must not bring a file back
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
        } finally {
            fileLock.unlock();
        }
    }

    @Override
    public String describe() {
        return "dry-run to " + dir;
    }

    /** Writes what is pending, then stops the writer thread (if this backend has one). */
    @Override
    public void close() {
        synchronized (this) {
            closed = true;
        }
        try {
            flush();
        } catch (ApplyException e) {
            // Nothing to report it to any more: the files keep the last rule set written.
        } finally {
            if (ownExecutor != null) {
                ownExecutor.shutdownNow();
            }
        }
    }

    // ---- coalescing ------------------------------------------------------------------------------

    /** The pending rule sets to write now on the caller's thread, or none (a write is under way or not due yet). */
    private List<Pending> dueNow() {
        if (writing || timer != null) {
            return List.of(); // the writer under way or the timer takes the newest
        }
        long wait = nextWriteAt - nanoTime.getAsLong();
        if (wait > 0) {
            timer = scheduler.schedule(Duration.ofNanos(wait), this::deferredWrite);
            return List.of();
        }
        return takePending();
    }

    private void deferredWrite() {
        List<Pending> batch;
        synchronized (this) {
            timer = null;
            if (writing) {
                return; // the writer under way schedules the next one
            }
            batch = takePending();
        }
        try {
            write(batch);
        } catch (IOException e) {
            synchronized (this) {
                deferredFailure = e;
            }
        }
    }

    private List<Pending> takePending() {
        List<Pending> batch = new ArrayList<>(pending.values());
        pending.clear();
        writing = !batch.isEmpty();
        return batch;
    }

    private void write(List<Pending> batch) throws IOException {
        if (batch.isEmpty()) {
            return;
        }
        long t0 = nanoTime.getAsLong();
        try {
            fileLock.lock();
            try {
                for (Pending p : batch) {
                    writeRules(p.rules(), p.version());
                }
            } finally {
                fileLock.unlock();
            }
        } finally {
            synchronized (this) {
                writing = false;
            }
            wrote(nanoTime.getAsLong() - t0);
        }
    }

    /** A write took {@code nanos}: the next deferred one waits for the interval, and pending rule sets get a timer. */
    private synchronized void wrote(long nanos) {
        long interval = Math.max(MIN_WRITE_INTERVAL.toNanos(), DUTY_FACTOR * nanos);
        long now = nanoTime.getAsLong();
        nextWriteAt = now + interval;
        if (!pending.isEmpty() && !writing && timer == null && !closed) {
            timer = scheduler.schedule(Duration.ofNanos(interval), this::deferredWrite);
        }
    }

    private void cancelTimer() {
        if (timer != null) {
            timer.cancel();
            timer = null;
        }
    }

    // ---- files -----------------------------------------------------------------------------------

    /** Under {@link #fileLock}: writes {@code rules} unless its file already holds a newer version or was cleaned up since. */
    private void writeRules(RuleSet rules, long v) throws IOException {
        if (written.getOrDefault(rules.mode(), Long.MIN_VALUE) > v || cleanedUpAt > v) {
            return;
        }
        Path target = rulesFile(rules.mode());
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, "." + target.getFileName(), ".tmp");
        try {
            String text = rules.text(); // a structured rule set writes its text out on each call: once here
            Files.writeString(tmp, text, StandardCharsets.UTF_8);
            moveAtomically(tmp, target);
            writtenChars.put(rules.mode(), (long) text.length());
        } finally {
            Files.deleteIfExists(tmp);
        }
        written.put(rules.mode(), v);
    }

    private void history(RuleSet rules) throws ApplyException {
        try {
            Files.createDirectories(dir);
            appendHistory(rules.mode(), rules.fingerprint() + " services=" + rules.serviceCount()
                    + " endpoints=" + rules.endpointCount() + " chains=" + chainCount(rules));
        } catch (IOException e) {
            throw new ApplyException("dry-run: cannot write " + historyFile(rules.mode()) + ": " + e, e);
        }
    }

    /** Chains of the rule set, counted on the iptables model where there is one (no set of names built). */
    private static int chainCount(RuleSet rules) {
        return rules.structure(IptablesChains.class)
                .map(c -> c.tables().values().stream().mapToInt(Map::size).sum())
                .orElseGet(() -> rules.chains().size());
    }

    private static void checkMode(RuleSet rules) throws ApplyException {
        if (!MODE.matcher(rules.mode()).matches()) {
            throw new ApplyException("dry-run: mode '" + rules.mode() + "' is not a plain lower-case word");
        }
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
