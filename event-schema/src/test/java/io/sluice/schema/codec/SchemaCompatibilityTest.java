package io.sluice.schema.codec;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.schema.avro.ChangeEventAvro;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaCompatibility.SchemaCompatibilityType;
import org.junit.jupiter.api.Test;

/**
 * Fails the build when the schema in src/main/avro is not both backward compatible (it reads what
 * every released version wrote) and forward compatible (every released version reads what it writes)
 * with each committed version in io/sluice/schema/history. A schema change means: add a new
 * history file for the released version and keep both directions green.
 */
class SchemaCompatibilityTest {
    private final Schema current = ChangeEventAvro.getClassSchema();

    @Test
    void currentSchemaReadsEveryReleasedVersion() {
        for (Schema old : EventCodec.SchemaHistory.all()) {
            var result = SchemaCompatibility.checkReaderWriterCompatibility(current, old);
            assertThat(result.getType()).as("backward: current reads %s%n%s", old.getFullName(), result.getDescription())
                    .isEqualTo(SchemaCompatibilityType.COMPATIBLE);
        }
    }

    @Test
    void everyReleasedVersionReadsTheCurrentSchema() {
        for (Schema old : EventCodec.SchemaHistory.all()) {
            var result = SchemaCompatibility.checkReaderWriterCompatibility(old, current);
            assertThat(result.getType()).as("forward: %s reads current%n%s", old.getFullName(), result.getDescription())
                    .isEqualTo(SchemaCompatibilityType.COMPATIBLE);
        }
    }

    @Test
    void theNewestHistoryEntryIsTheCurrentSchemaOnceReleased() {
        List<Schema> all = EventCodec.SchemaHistory.all();
        assertThat(all).isNotEmpty();
        // The newest released version may lag the working schema, but never run ahead of it.
        assertThat(SchemaCompatibility.checkReaderWriterCompatibility(current, all.get(all.size() - 1)).getType())
                .isEqualTo(SchemaCompatibilityType.COMPATIBLE);
    }

    @Test
    void theCheckDetectsAnIncompatibleChange() {
        // Guard against a vacuous test: a required field without default breaks backward compatibility.
        Schema broken = new Schema.Parser().parse(current.toString().replaceFirst(
                "\"fields\":\\[", "\"fields\":[{\"name\":\"mandatoryNew\",\"type\":\"string\"},"));
        assertThat(SchemaCompatibility.checkReaderWriterCompatibility(broken, EventCodec.SchemaHistory.all().get(0)).getType())
                .isEqualTo(SchemaCompatibilityType.INCOMPATIBLE);
    }
}
