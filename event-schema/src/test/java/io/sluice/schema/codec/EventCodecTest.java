package io.sluice.schema.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.schema.Fixtures;
import io.sluice.schema.model.ChangeEvent;
import io.sluice.schema.model.ObjectKey;
import io.sluice.schema.model.Service;
import io.sluice.schema.model.ServicePort;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.message.BinaryMessageEncoder;
import org.junit.jupiter.api.Test;

class EventCodecTest {
    private final EventCodec codec = new EventCodec();

    @Test
    void everyKindAndFieldSurvivesARoundTrip() throws Exception {
        for (ChangeEvent e : List.of(
                Fixtures.upsert(1, Fixtures.fullService()).withTriggerTime(Instant.ofEpochMilli(1_699_999_999_000L)),
                Fixtures.upsert(2, Fixtures.fullSlice()),
                Fixtures.upsert(3, Fixtures.fullNode()),
                ChangeEvent.delete("c1", 4, ObjectKey.service("shop", "web"), Instant.ofEpochMilli(5), "rv4"))) {
            assertThat(codec.decode(codec.encode(e))).isEqualTo(e);
        }
    }

    @Test
    void encodingIsSingleObjectWithTheSchemaFingerprint() {
        byte[] bytes = codec.encode(Fixtures.upsert(1, Fixtures.fullNode()));
        assertThat(bytes[0]).isEqualTo((byte) 0xC3);
        assertThat(bytes[1]).isEqualTo((byte) 0x01);
    }

    @Test
    void garbageIsUndecodableAndSaysHowManyBytes() {
        assertThatThrownBy(() -> codec.decode(new byte[] {1, 2, 3}))
                .isInstanceOf(BadEventException.class)
                .hasMessageContaining("cannot decode 3 bytes")
                .satisfies(e -> assertThat(((BadEventException) e).reason()).isEqualTo(BadEventException.Reason.UNDECODABLE));
    }

    @Test
    void anUnknownSchemaFingerprintIsUndecodableAndNamesIt() {
        byte[] bytes = codec.encode(Fixtures.upsert(1, Fixtures.fullNode()));
        bytes[5] ^= 0x5A;
        assertThatThrownBy(() -> codec.decode(bytes))
                .isInstanceOf(BadEventException.class)
                .hasMessageContaining("unknown writer schema fingerprint")
                .satisfies(e -> assertThat(((BadEventException) e).reason()).isEqualTo(BadEventException.Reason.UNDECODABLE));
    }

    @Test
    void aWrongHeaderIsUndecodable() {
        byte[] bytes = codec.encode(Fixtures.upsert(1, Fixtures.fullNode()));
        bytes[1] = 0x02;
        assertThatThrownBy(() -> codec.decode(bytes))
                .isInstanceOf(BadEventException.class)
                .hasMessageContaining("no C3 01 header")
                .satisfies(e -> assertThat(((BadEventException) e).reason()).isEqualTo(BadEventException.Reason.UNDECODABLE));
    }

    @Test
    void decodesWhatAvrosOwnMessageEncoderWroteWithEveryReleasedSchema() throws Exception {
        ChangeEvent event = Fixtures.upsert(2, Fixtures.fullSlice());
        GenericRecord current = AvroMapping.toAvro(event);
        for (String version : EventCodec.SchemaHistory.VERSIONS) {
            Schema writer = EventCodec.SchemaHistory.load(version);
            GenericRecord asWritten = new GenericData.Record(writer);
            writer.getFields().forEach(f -> asWritten.put(f.name(), current.get(f.name())));
            ByteBuffer buf = new BinaryMessageEncoder<GenericRecord>(GenericData.get(), writer).encode(asWritten);
            byte[] bytes = new byte[buf.remaining()];
            buf.get(bytes);
            assertThat(codec.decode(bytes)).as(version).isEqualTo(event);
        }
    }

    @Test
    void truncatedBytesAreUndecodable() {
        byte[] bytes = codec.encode(Fixtures.upsert(1, Fixtures.fullService()));
        assertThatThrownBy(() -> codec.decode(Arrays.copyOf(bytes, bytes.length / 2)))
                .isInstanceOf(BadEventException.class)
                .satisfies(e -> assertThat(((BadEventException) e).reason()).isEqualTo(BadEventException.Reason.UNDECODABLE));
    }

    @Test
    void aWellFormedButInvalidServiceIsRejectedNamingSeqFieldAndValue() {
        Service bad = Service.builder("shop", "web").clusterIP("10.96.0.300").ports(ServicePort.tcp("", 70000, 80)).build();
        byte[] bytes = codec.encode(Fixtures.upsert(7, bad));
        assertThatThrownBy(() -> codec.decode(bytes))
                .isInstanceOf(BadEventException.class)
                .hasMessageContaining("seq=7")
                .hasMessageContaining("Service/shop/web")
                .hasMessageContaining("spec.clusterIPs[0]: '10.96.0.300' is not an IP address")
                .hasMessageContaining("spec.ports[0].port: '70000' is out of range 1-65535")
                .satisfies(e -> assertThat(((BadEventException) e).reason()).isEqualTo(BadEventException.Reason.INVALID));
    }
}
