package io.sluice.applier.healthcheck;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/** What a health check port answers is decided by pure code; only ServiceHealthServer does I/O. */
class HealthCheckPurityTest {
    private static final JavaClasses HEALTHCHECK = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("io.sluice.applier.healthcheck");

    @Test
    void planAndAnswerDoNoIo() {
        noClasses().that().resideInAPackage("io.sluice.applier.healthcheck")
                .and().doNotBelongToAnyOf(ServiceHealthServer.class)
                .should().dependOnClassesThat().resideInAnyPackage("io.vertx..", "org.apache.kafka..", "org.rocksdb..",
                        "io.fabric8..", "java.io..", "java.nio..", "java.net..", "io.sluice.applier.backend..")
                .check(HEALTHCHECK);
    }
}
