package io.sluice.schema;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/** event-schema is the shared language: it must not depend on any I/O framework. */
class LayeringTest {
    @Test
    void eventSchemaImportsNoKafkaRocksDbVertxOrFabric8() {
        var classes = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS).importPackages("io.sluice.schema");
        noClasses().should().dependOnClassesThat().resideInAnyPackage(
                        "org.apache.kafka..", "org.rocksdb..", "io.vertx..", "io.fabric8..", "io.netty..")
                .because("event-schema holds pure types and the codec; I/O lives in the modules that use it")
                .check(classes);
    }
}
