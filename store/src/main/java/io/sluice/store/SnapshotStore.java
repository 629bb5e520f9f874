package io.sluice.store;

import io.sluice.schema.codec.BadEventException;
import io.sluice.schema.codec.EventCodec;
import io.sluice.schema.model.ChangeEvent;
import io.sluice.schema.model.ObjectKey;
import io.sluice.schema.model.Op;
import io.sluice.store.SnapshotStoreException.Reason;
import io.sluice.store.image.ClusterImage;
import io.sluice.store.image.ImageDelta;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.LRUCache;
import org.rocksdb.Options;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.Status;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A node's durable state: the cluster image and the log position it was derived from, in one
 * RocksDB database, written together in one synced {@link WriteBatch} (see DESIGN.md).
 *
 * <p>Layout (one column family, bytewise order): each live object is stored under its
 * {@link ObjectKey#toString()} UTF-8 bytes, its value the {@link EventCodec}-encoded UPSERT event
 * that last set it (as read from the log when the applier commits it: any committed schema version);
 * deleted objects have no entry. One meta entry under {@link #META_KEY} (a key no
 * object key can equal: it starts with a NUL byte) holds {@code appliedSeq}, {@code nextOffset} and
 * {@code clusterId}.
 *
 * <p>Thread-safe (methods are synchronized), but meant to be driven by one ordered worker. The
 * caller closes it; RocksDB's directory lock keeps a second process out while it is open.
 *
 * <p>RocksDB's native memory is bounded for a store of some 10^4 to 10^5 small objects (a few MB to
 * some tens of MB on disk) rather than left at its server defaults (64 MB write buffers, a private
 * 32 MB block cache, index blocks held outside any cache, unbounded open files): see
 * {@link #boundedOptions} and DESIGN.md, "Native memory".
 */
public final class SnapshotStore implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SnapshotStore.class);
    static final byte[] META_KEY = "\0sluice/meta".getBytes(StandardCharsets.UTF_8);
    /** One memtable's size; at most {@link #WRITE_BUFFERS} of them exist (one filling, one flushing). */
    static final long WRITE_BUFFER_BYTES = 4L << 20;
    static final int WRITE_BUFFERS = 2;
    /** The block cache, which also holds the index and filter blocks of every table file. */
    static final long BLOCK_CACHE_BYTES = 8L << 20;
    /** Table files kept open (each open file holds a table reader); a store this size has a handful. */
    static final int MAX_OPEN_FILES = 64;
    private static final byte META_FORMAT = 1;
    /** Above every UTF-8 key: 0xFF never occurs in UTF-8. */
    private static final byte[] END_OF_KEYS = {(byte) 0xFF};

    static {
        RocksDB.loadLibrary();
    }

    private final Path dir;
    private final LRUCache blockCache;
    private final Options options;
    private final WriteOptions syncWrite;
    private final RocksDB db;
    private final EventCodec codec = new EventCodec();
    /** The committed position; null when its entry on disk is unreadable (then only reset() helps). */
    private Meta position;
    private boolean closed;

    private SnapshotStore(Path dir, LRUCache blockCache, Options options, WriteOptions syncWrite, RocksDB db, Meta position) {
        this.dir = dir;
        this.blockCache = blockCache;
        this.options = options;
        this.syncWrite = syncWrite;
        this.db = db;
        this.position = position;
    }

    /**
     * Opens the store in {@code dir}, creating it if missing.
     *
     * @throws SnapshotStoreException LOCKED if another process has it open, CORRUPT if RocksDB or
     *                                the meta entry cannot be read, IO otherwise; the message names the directory
     */
    public static SnapshotStore open(Path dir) {
        Path abs = dir.toAbsolutePath();
        LRUCache blockCache = new LRUCache(BLOCK_CACHE_BYTES);
        Options options = boundedOptions(blockCache);
        WriteOptions syncWrite = new WriteOptions().setSync(true);
        RocksDB db = null;
        try {
            Files.createDirectories(abs);
            db = RocksDB.open(options, abs.toString());
            Meta meta = null;
            try {
                meta = Meta.decode(abs, db.get(META_KEY));
                LOG.info("opened snapshot store {}: appliedSeq={} nextOffset={} clusterId='{}'",
                        abs, meta.appliedSeq, meta.nextOffset, meta.clusterId);
            } catch (SnapshotStoreException corrupt) {
                // Stay open so the caller can reset(); load() and commit() report it.
                LOG.error("{} (kept open so it can be reset)", corrupt.getMessage());
            }
            return new SnapshotStore(abs, blockCache, options, syncWrite, db, meta);
        } catch (IOException | RocksDBException | RuntimeException e) {
            if (db != null) {
                db.close();
            }
            syncWrite.close();
            options.close();
            blockCache.close();
            throw openFailure(abs, e);
        }
    }

    /**
     * RocksDB options sized for a node's snapshot: at most {@value #WRITE_BUFFERS} memtables of
     * {@link #WRITE_BUFFER_BYTES} (so a memtable's arena grows in 512 KiB blocks, not 8 MiB), one
     * {@code blockCache} that also holds index and filter blocks (L0's pinned, as they are read on
     * every lookup), and at most {@link #MAX_OPEN_FILES} open table files. Durability does not
     * depend on any of these: every commit is a synced WAL write.
     */
    static Options boundedOptions(LRUCache blockCache) {
        BlockBasedTableConfig table = new BlockBasedTableConfig()
                .setBlockCache(blockCache)
                .setCacheIndexAndFilterBlocks(true)
                .setPinL0FilterAndIndexBlocksInCache(true);
        return new Options()
                .setCreateIfMissing(true)
                .setKeepLogFileNum(2)
                .setWriteBufferSize(WRITE_BUFFER_BYTES)
                .setMaxWriteBufferNumber(WRITE_BUFFERS)
                .setMaxOpenFiles(MAX_OPEN_FILES)
                .setTableFormatConfig(table);
    }

    /**
     * Rebuilds the image from disk: the stored events, replayed in seq order (a compacted log), then
     * advanced to {@code appliedSeq}. Reads one RocksDB snapshot, so it is consistent even if a commit
     * runs concurrently. Fails whole, naming the key, if any entry does not decode or does not fit:
     * a corrupt snapshot is never half-loaded.
     *
     * @throws SnapshotStoreException CORRUPT (reset and rebuild from the log) or IO
     */
    public synchronized Snapshot load() {
        requireOpen();
        org.rocksdb.Snapshot snap = db.getSnapshot();
        // A full scan, read once: fill_cache=false keeps it from pushing the cache to its limit.
        try (ReadOptions read = new ReadOptions().setSnapshot(snap).setFillCache(false)) {
            Meta meta = Meta.decode(dir, db.get(read, META_KEY));
            List<ChangeEvent> events = readObjects(read, meta);
            if (meta.absent && !events.isEmpty()) {
                throw corrupt("holds " + events.size() + " objects (first " + events.get(0).key()
                        + ") but no log position entry", null);
            }
            return new Snapshot(replay(events, meta), meta.appliedSeq, meta.nextOffset, meta.clusterId);
        } catch (RocksDBException e) {
            throw new SnapshotStoreException(Reason.IO, dir, "cannot read snapshot store " + dir + ": " + e.getMessage(), e);
        } finally {
            db.releaseSnapshot(snap);
        }
    }

    /**
     * Commits, in one synced batch, the effect of {@code applied} (UPSERT puts the encoded event under
     * the object's key, DELETE removes the key) together with the new log position. {@code applied}
     * may be empty: quarantined events still move the position. On failure nothing was written.
     * Encodes every UPSERT; {@link #commitEncoded} stores encodings the caller already has.
     *
     * @param applied    the events replayed since the last commit, in seq order, all above the stored
     *                   appliedSeq and at most {@code appliedSeq}, all of one cluster (the stored one, if any)
     * @param appliedSeq the seq of the last event consumed; never below the stored one
     * @param nextOffset the next events-topic offset to read; never below the stored one
     * @throws IllegalArgumentException if the arguments break those rules (nothing is written)
     * @throws SnapshotStoreException   IO if RocksDB refused the write (nothing is written)
     */
    public synchronized void commit(List<ChangeEvent> applied, long appliedSeq, long nextOffset) {
        List<EncodedEvent> encoded = new ArrayList<>(applied.size());
        for (ChangeEvent e : applied) {
            encoded.add(new EncodedEvent(e, e.op() == Op.UPSERT ? codec.encode(e) : null));
        }
        commitEncoded(encoded, appliedSeq, nextOffset);
    }

    /**
     * {@link #commit}, storing each UPSERT's given encoding as it is (the log record's bytes: no
     * re-encoding). {@link #load} decodes and validates them like any other entry, so bytes that do not
     * decode to their event's UPSERT make the store CORRUPT on the next load.
     *
     * @throws IllegalArgumentException if the arguments break {@link #commit}'s rules (nothing is written)
     * @throws SnapshotStoreException   IO if RocksDB refused the write (nothing is written)
     */
    public synchronized void commitEncoded(List<EncodedEvent> applied, long appliedSeq, long nextOffset) {
        requireOpen();
        if (position == null) {
            throw corrupt("its log position entry is unreadable, so no commit can extend it", null);
        }
        String clusterId = checkCommit(applied, appliedSeq, nextOffset);
        Meta next = new Meta(appliedSeq, nextOffset, clusterId, false);
        try (WriteBatch batch = new WriteBatch()) {
            for (EncodedEvent encoded : lastPerKey(applied)) {
                ChangeEvent e = encoded.event();
                byte[] key = keyBytes(e.key());
                switch (e.op()) {
                    case UPSERT -> batch.put(key, encoded.bytes());
                    case DELETE -> batch.delete(key);
                    default -> throw new IllegalArgumentException("unknown op " + e.op() + " in " + e.describe());
                }
            }
            batch.put(META_KEY, next.encode());
            db.write(syncWrite, batch);
        } catch (RocksDBException e) {
            throw new SnapshotStoreException(Reason.IO, dir, "commit of " + applied.size() + " events up to seq " + appliedSeq
                    + " (next offset " + nextOffset + ") to " + dir + " failed, nothing was written: " + e.getMessage(), e);
        }
        position = next;
    }

    /**
     * Wipes the store, atomically and durably, back to empty (appliedSeq 0, nextOffset 0, no cluster):
     * for a node whose position fell below the log start, or whose snapshot is corrupt.
     */
    public synchronized void reset() {
        requireOpen();
        try (WriteBatch batch = new WriteBatch()) {
            batch.deleteRange(new byte[0], END_OF_KEYS);
            db.write(syncWrite, batch);
            db.compactRange();
        } catch (RocksDBException e) {
            throw new SnapshotStoreException(Reason.IO, dir, "reset of " + dir + " failed: " + e.getMessage(), e);
        }
        LOG.warn("reset snapshot store {}: dropped {}; the node rebuilds from the log",
                dir, position == null ? "an unreadable position" : "appliedSeq=" + position.appliedSeq
                        + " nextOffset=" + position.nextOffset + " clusterId='" + position.clusterId + "'");
        position = Meta.EMPTY;
    }

    public Path dir() {
        return dir;
    }

    /** RocksDB's native memory in use now, from its own estimates. */
    synchronized RocksMemory rocksMemory() {
        requireOpen();
        try {
            return new RocksMemory(db.getLongProperty("rocksdb.cur-size-all-mem-tables"),
                    db.getLongProperty("rocksdb.estimate-table-readers-mem"), blockCache.getUsage());
        } catch (RocksDBException e) {
            throw new SnapshotStoreException(Reason.IO, dir, "cannot read RocksDB memory properties of " + dir + ": " + e.getMessage(), e);
        }
    }

    /**
     * Bytes of native memory RocksDB holds: all memtables (the filling one and any being flushed),
     * table readers outside the block cache, and the block cache (which includes index and filter blocks).
     */
    record RocksMemory(long memtables, long tableReaders, long blockCache) {
    }

    /** Closes RocksDB and releases the directory lock. Idempotent. */
    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            db.close();
            syncWrite.close();
            options.close();
            blockCache.close();
        }
    }

    private String checkCommit(List<EncodedEvent> applied, long appliedSeq, long nextOffset) {
        if (appliedSeq < 0 || nextOffset < 0) {
            throw new IllegalArgumentException("commit to " + dir + ": negative position appliedSeq=" + appliedSeq
                    + " nextOffset=" + nextOffset);
        }
        if (appliedSeq < position.appliedSeq || nextOffset < position.nextOffset) {
            throw new IllegalArgumentException("commit to " + dir + " would move the position back: appliedSeq "
                    + position.appliedSeq + " -> " + appliedSeq + ", nextOffset " + position.nextOffset + " -> " + nextOffset
                    + " (use reset() to start over)");
        }
        String clusterId = position.clusterId;
        long prev = position.appliedSeq;
        for (EncodedEvent encoded : applied) {
            ChangeEvent e = encoded.event();
            if (e.seq() <= prev || e.seq() > appliedSeq) {
                throw new IllegalArgumentException("commit to " + dir + ": event " + e.describe() + " is not in seq order within ("
                        + position.appliedSeq + ", " + appliedSeq + "]; previous seq " + prev);
            }
            if (!clusterId.isEmpty() && !clusterId.equals(e.clusterId())) {
                throw new IllegalArgumentException("commit to " + dir + ": event " + e.describe() + " is from cluster '"
                        + e.clusterId() + "' but this store holds cluster '" + clusterId + "'");
            }
            clusterId = e.clusterId();
            prev = e.seq();
        }
        return clusterId;
    }

    /**
     * The last event of each key: the batch is written atomically, so earlier writes of a key in it
     * would only be overwritten (a batch of catch-up events often changes one object several times).
     */
    private static List<EncodedEvent> lastPerKey(List<EncodedEvent> applied) {
        if (applied.size() < 2) {
            return applied;
        }
        Set<ObjectKey> seen = new HashSet<>(applied.size() * 2);
        List<EncodedEvent> last = new ArrayList<>(applied.size());
        for (int i = applied.size() - 1; i >= 0; i--) {
            EncodedEvent e = applied.get(i);
            if (seen.add(e.event().key())) {
                last.add(e);
            }
        }
        return last;
    }

    private List<ChangeEvent> readObjects(ReadOptions read, Meta meta) throws RocksDBException {
        List<ChangeEvent> events = new ArrayList<>();
        try (RocksIterator it = db.newIterator(read)) {
            for (it.seekToFirst(); it.isValid(); it.next()) {
                byte[] key = it.key();
                if (!Arrays.equals(key, META_KEY)) {
                    events.add(readObject(new String(key, StandardCharsets.UTF_8), it.value(), meta));
                }
            }
            it.status();
        }
        return events;
    }

    private ChangeEvent readObject(String key, byte[] value, Meta meta) {
        ChangeEvent e;
        try {
            e = codec.decode(value);
        } catch (BadEventException ex) {
            throw corrupt("entry '" + key + "' does not decode (" + ex.reason() + "): " + ex.getMessage(), ex);
        }
        if (!e.key().toString().equals(key) || e.op() != Op.UPSERT) {
            throw corrupt("entry '" + key + "' holds " + e.describe() + ", not an UPSERT of that key", null);
        }
        if (e.seq() > meta.appliedSeq || !e.clusterId().equals(meta.clusterId)) {
            throw corrupt("entry '" + key + "' holds " + e.describe() + " of cluster '" + e.clusterId()
                    + "', which does not fit the position appliedSeq=" + meta.appliedSeq + " cluster '" + meta.clusterId + "'", null);
        }
        return e;
    }

    private ClusterImage replay(List<ChangeEvent> events, Meta meta) {
        events.sort(Comparator.comparingLong(ChangeEvent::seq));
        ImageDelta delta = ClusterImage.empty().delta();
        ChangeEvent previous = null;
        for (ChangeEvent e : events) {
            if (!delta.replay(e)) {
                throw corrupt("entry " + e.describe() + " is not above the seq of entry "
                        + (previous == null ? "(none): seqs start at 1" : previous.describe()), null);
            }
            previous = e;
        }
        delta.advanceTo(meta.appliedSeq);
        return delta.apply();
    }

    private static byte[] keyBytes(ObjectKey key) {
        return key.toString().getBytes(StandardCharsets.UTF_8);
    }

    private SnapshotStoreException corrupt(String what, Throwable cause) {
        return new SnapshotStoreException(Reason.CORRUPT, dir, "snapshot store " + dir + " is corrupt: " + what
                + "; reset it and rebuild from the log", cause);
    }

    private static SnapshotStoreException openFailure(Path dir, Exception e) {
        if (e instanceof SnapshotStoreException s) {
            return s;
        }
        if (!(e instanceof RocksDBException r)) {
            return new SnapshotStoreException(Reason.IO, dir, "cannot open snapshot store " + dir + ": " + e, e);
        }
        String msg = String.valueOf(r.getMessage());
        Status.Code code = r.getStatus() == null ? Status.Code.Undefined : r.getStatus().getCode();
        if (msg.contains("/LOCK")) {
            return new SnapshotStoreException(Reason.LOCKED, dir, "cannot open snapshot store " + dir
                    + ": it is locked, another applier (in this or another process) has it open: " + msg, e);
        }
        if (code == Status.Code.Corruption || msg.contains("MANIFEST") || msg.contains("CURRENT")) {
            return new SnapshotStoreException(Reason.CORRUPT, dir, "cannot open snapshot store " + dir
                    + ": RocksDB cannot read it (" + code + "): " + msg + "; reset it (delete the directory) to rebuild from the log", e);
        }
        return new SnapshotStoreException(Reason.IO, dir, "cannot open snapshot store " + dir + " (" + code + "): " + msg, e);
    }

    private void requireOpen() {
        if (closed) {
            throw new IllegalStateException("snapshot store " + dir + " is closed");
        }
    }

    /**
     * Deletes the RocksDB files of a store that cannot even be opened (RocksDB reports it corrupt),
     * so that {@link #open} starts empty. The store must not be open. The directory itself stays.
     */
    public static void destroy(Path dir) {
        Path abs = dir.toAbsolutePath();
        try (Options options = new Options()) {
            RocksDB.destroyDB(abs.toString(), options);
            LOG.warn("destroyed snapshot store {}; the node rebuilds from the log", abs);
        } catch (RocksDBException e) {
            throw openFailure(abs, e);
        }
    }

    /** The log position entry. {@code absent} when the store has never been committed to. */
    private record Meta(long appliedSeq, long nextOffset, String clusterId, boolean absent) {
        static final Meta EMPTY = new Meta(0, 0, "", true);

        byte[] encode() {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream(32 + clusterId.length());
            try (DataOutputStream out = new DataOutputStream(bytes)) {
                out.writeByte(META_FORMAT);
                out.writeLong(appliedSeq);
                out.writeLong(nextOffset);
                out.writeUTF(clusterId);
            } catch (IOException e) {
                throw new UncheckedIOException(e); // in memory: cannot happen
            }
            return bytes.toByteArray();
        }

        static Meta decode(Path dir, byte[] value) {
            if (value == null) {
                return EMPTY;
            }
            try (DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(value))) {
                byte format = in.readByte();
                if (format != META_FORMAT) {
                    throw new IOException("unknown format " + format + " (this build reads " + META_FORMAT + ")");
                }
                Meta m = new Meta(in.readLong(), in.readLong(), in.readUTF(), false);
                if (in.available() != 0 || m.appliedSeq < 0 || m.nextOffset < 0) {
                    throw new IOException("inconsistent: " + m + " with " + in.available() + " trailing bytes");
                }
                return m;
            } catch (EOFException e) {
                throw metaCorrupt(dir, "truncated at " + value.length + " bytes", e);
            } catch (IOException e) {
                throw metaCorrupt(dir, e.getMessage(), e);
            }
        }

        private static SnapshotStoreException metaCorrupt(Path dir, String what, Throwable cause) {
            return new SnapshotStoreException(Reason.CORRUPT, dir, "snapshot store " + dir
                    + " is corrupt: its log position entry is unreadable: " + what + "; reset it and rebuild from the log", cause);
        }
    }
}
