package io.sluice.applier;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/** The runtime's policies (sync scheduling, health rules) stay pure: tested with a fake clock, no I/O types. */
class RuntimeLayeringTest {
    private static final JavaClasses MAIN = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("io.sluice.applier");

    @Test
    void syncAndHealthPoliciesImportNoIoFrameworks() {
        noClasses().that().resideInAnyPackage("io.sluice.applier.sync..", "io.sluice.applier.health..")
                .should().dependOnClassesThat().resideInAnyPackage("io.vertx..", "org.apache.kafka..", "org.rocksdb..",
                        "io.fabric8..", "io.sluice.store..")
                .check(MAIN);
    }

    @Test
    void theSyncSideImportsNoVertxOrKafkaSoItRunsOnAManualClock() {
        noClasses().that().haveSimpleName("RuleSyncer")
                .should().dependOnClassesThat().resideInAnyPackage("io.vertx..", "org.apache.kafka..", "org.rocksdb..")
                .check(MAIN);
    }

    @Test
    void onlyTheVerticleTouchesVertx() {
        noClasses().that().resideInAnyPackage("io.sluice.applier.consume..", "io.sluice.applier.metrics..",
                        "io.sluice.applier.log..")
                .should().dependOnClassesThat().resideInAnyPackage("io.vertx..")
                .check(MAIN);
    }
}
