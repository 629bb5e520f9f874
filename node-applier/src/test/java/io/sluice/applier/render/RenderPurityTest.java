package io.sluice.applier.render;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/** Renderers are pure: no messaging, storage, event loop, Kubernetes client, files, processes or backends. */
class RenderPurityTest {
    private static final JavaClasses RENDER = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("io.sluice.applier.render");

    @Test
    void renderersDoNoIo() {
        noClasses().that().resideInAPackage("io.sluice.applier.render..")
                .should().dependOnClassesThat().resideInAnyPackage(
                        "org.apache.kafka..", "org.rocksdb..", "io.vertx..", "io.fabric8..",
                        "java.io..", "java.nio.file..", "java.net..", "io.sluice.applier.backend..")
                .orShould().dependOnClassesThat().haveFullyQualifiedName(ProcessBuilder.class.getName())
                .orShould().dependOnClassesThat().haveFullyQualifiedName(java.time.Clock.class.getName())
                .check(RENDER);
    }
}
