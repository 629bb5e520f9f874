package io.sluice.store;

import io.sluice.schema.model.ChangeEvent;
import io.sluice.schema.model.Op;
import java.util.Objects;

/**
 * An event to commit together with its {@link io.sluice.schema.codec.EventCodec} encoding, so the store
 * keeps bytes it already has (the log record's value the event was decoded from) instead of encoding
 * the event again. The bytes are not copied: the caller hands them over and does not change them.
 */
public final class EncodedEvent {
    private final ChangeEvent event;
    private final byte[] bytes;

    /**
     * @param event the decoded event
     * @param bytes what {@code event} was decoded from; required for an UPSERT (the store keeps them as
     *              the object's entry), ignored and may be null for a DELETE (a compaction tombstone has none)
     */
    public EncodedEvent(ChangeEvent event, byte[] bytes) {
        this.event = Objects.requireNonNull(event, "event");
        if (event.op() == Op.UPSERT && bytes == null) {
            throw new IllegalArgumentException("UPSERT " + event.describe() + " comes without its encoded bytes");
        }
        this.bytes = bytes;
    }

    public ChangeEvent event() {
        return event;
    }

    /** The encoding, not a copy; null for a DELETE that came without one. */
    public byte[] bytes() {
        return bytes;
    }

    @Override
    public String toString() {
        return event.describe() + (bytes == null ? "" : " (" + bytes.length + " bytes)");
    }
}
