package io.sluice.schema.codec;

import io.sluice.schema.avro.ChangeEventAvro;
import io.sluice.schema.avro.EndpointAvro;
import io.sluice.schema.avro.EndpointPortAvro;
import io.sluice.schema.avro.EndpointSliceAvro;
import io.sluice.schema.avro.NodeAddressAvro;
import io.sluice.schema.avro.NodeAvro;
import io.sluice.schema.avro.ServiceAvro;
import io.sluice.schema.avro.ServicePortAvro;
import io.sluice.schema.model.ChangeEvent;
import io.sluice.schema.validate.InvalidObjectException;
import io.sluice.schema.validate.Validator;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.DatumReader;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.message.BadHeaderException;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.avro.message.MissingSchemaException;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.util.ClassSecurityValidator;

/**
 * Encodes change events with Avro single-object encoding (2 marker bytes, the 8-byte CRC-64-AVRO
 * fingerprint of the writer schema, then the binary body), so every record on the log names its
 * schema. Decoding resolves any committed schema version (see {@link SchemaHistory}) to the current
 * one, then validates the result: what comes out of {@link #decode} is safe to act on.
 *
 * <p>Thread-safe: Avro's message encoder and decoder are thread-safe (they keep per-thread buffers), so one codec
 * can be shared by every thread of a process.
 */
public final class EventCodec {
    static {
        // Avro 1.12 refuses to instantiate classes it was not told to trust; trust exactly our generated ones.
        var trusted = ClassSecurityValidator.builder();
        for (Class<?> c : List.of(ChangeEventAvro.class, ServiceAvro.class, ServicePortAvro.class, EndpointSliceAvro.class,
                EndpointPortAvro.class, EndpointAvro.class, NodeAvro.class, NodeAddressAvro.class)) {
            trusted.add(c);
        }
        ClassSecurityValidator.setGlobal(ClassSecurityValidator.composite(ClassSecurityValidator.getGlobal(), trusted.build()));
    }

    /** Avro single-object encoding: marker C3 01, then the writer schema's CRC-64-AVRO fingerprint, little-endian. */
    private static final int HEADER_LENGTH = 10;

    private final BinaryMessageEncoder<ChangeEventAvro> encoder =
            new BinaryMessageEncoder<>(SpecificData.getForClass(ChangeEventAvro.class), ChangeEventAvro.getClassSchema());
    /** Writer schema fingerprint → a reader resolving that version to the current schema (thread-safe). */
    private final Map<Long, DatumReader<ChangeEventAvro>> readers = newReaders();

    public byte[] encode(ChangeEvent event) {
        try {
            ByteBuffer buf = encoder.encode(AvroMapping.toAvro(event));
            byte[] out = new byte[buf.remaining()];
            buf.get(out);
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException("encoding " + event.describe(), e);
        }
    }

    /**
     * Decodes and validates one event.
     *
     * @throws BadEventException UNDECODABLE when the bytes are not a known-schema Avro single object,
     *                           INVALID when they decode to an object a proxy must not act on
     */
    public ChangeEvent decode(byte[] bytes) throws BadEventException {
        ChangeEventAvro avro;
        try {
            avro = read(bytes);
        } catch (IOException | RuntimeException e) {
            throw new BadEventException(BadEventException.Reason.UNDECODABLE,
                    "cannot decode " + (bytes == null ? 0 : bytes.length) + " bytes as a ChangeEvent: " + e.getMessage(), e);
        }
        ChangeEvent event;
        try {
            event = AvroMapping.fromAvro(avro);
        } catch (RuntimeException e) {
            throw new BadEventException(BadEventException.Reason.INVALID,
                    "seq=" + avro.getSeq() + " " + avro.getKind() + "/" + avro.getNamespace() + "/" + avro.getName()
                            + " is invalid: " + e.getMessage(), e);
        }
        if (event.object() != null) {
            try {
                Validator.requireValid(event.object());
            } catch (InvalidObjectException e) {
                throw new BadEventException(BadEventException.Reason.INVALID, "seq=" + event.seq() + " " + e.getMessage(), e);
            }
        }
        return event;
    }

    /**
     * What Avro's {@code BinaryMessageDecoder} does (check the header, pick the writer schema by its
     * fingerprint, resolve it to the current one), but over the byte array itself rather than a
     * stream read one byte at a time: decoding is most of what replaying the log costs.
     */
    private ChangeEventAvro read(byte[] bytes) throws IOException {
        if (bytes.length < HEADER_LENGTH || bytes[0] != (byte) 0xC3 || bytes[1] != (byte) 0x01) {
            throw new BadHeaderException("not an Avro single-object encoding: no C3 01 header");
        }
        long fingerprint = ByteBuffer.wrap(bytes, 2, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        DatumReader<ChangeEventAvro> reader = readers.get(fingerprint);
        if (reader == null) {
            throw new MissingSchemaException("unknown writer schema fingerprint " + Long.toHexString(fingerprint)
                    + " (this build reads schema versions " + SchemaHistory.VERSIONS + ")");
        }
        BinaryDecoder in = DecoderFactory.get().binaryDecoder(bytes, HEADER_LENGTH, bytes.length - HEADER_LENGTH, null);
        return reader.read(null, in);
    }

    private static Map<Long, DatumReader<ChangeEventAvro>> newReaders() {
        SpecificData model = SpecificData.getForClass(ChangeEventAvro.class);
        Schema current = ChangeEventAvro.getClassSchema();
        Map<Long, DatumReader<ChangeEventAvro>> out = new HashMap<>();
        List<Schema> writers = new ArrayList<>(SchemaHistory.all());
        writers.add(current);
        for (Schema writer : writers) {
            @SuppressWarnings("unchecked")
            DatumReader<ChangeEventAvro> reader = model.createDatumReader(writer, current);
            out.put(SchemaNormalization.parsingFingerprint64(writer), reader);
        }
        return Map.copyOf(out);
    }

    /** The committed schema versions, oldest first, from {@code io/sluice/schema/history/} on the classpath. */
    public static final class SchemaHistory {
        /** Every schema version ever released; append, never edit or remove. */
        public static final List<String> VERSIONS = List.of("v1");

        private SchemaHistory() {
        }

        public static List<Schema> all() {
            return VERSIONS.stream().map(SchemaHistory::load).toList();
        }

        public static Schema load(String version) {
            String path = "/io/sluice/schema/history/" + version + "-ChangeEvent.avsc";
            try (InputStream in = EventCodec.class.getResourceAsStream(path)) {
                if (in == null) {
                    throw new IllegalStateException("schema history file " + path + " is missing from the classpath");
                }
                return new Schema.Parser().parse(in);
            } catch (IOException e) {
                throw new UncheckedIOException("reading " + path, e);
            }
        }
    }
}
