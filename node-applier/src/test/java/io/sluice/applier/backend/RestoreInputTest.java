package io.sluice.applier.backend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Set;
import org.junit.jupiter.api.Test;

class RestoreInputTest {
    private static final String TEXT = """
            *filter
            :SLUICE-SERVICES - [0:0]
            COMMIT
            *nat
            :SLUICE-SERVICES - [0:0]
            :SLUICE-SVC-A - [0:0]
            -A SLUICE-SERVICES -d 10.0.0.1/32 -j SLUICE-SVC-A
            COMMIT
            """;

    @Test
    void unchangedWhenNothingToAddOrDelete() {
        assertThat(RestoreInput.build(TEXT, Set.of(), Set.of())).isEqualTo(TEXT);
    }

    @Test
    void staleChainsAreFlushedByDeclarationAndDeletedBeforeCommit() {
        String out = RestoreInput.build(TEXT, Set.of(), Set.of("nat/SLUICE-SVC-OLD", "nat/SLUICE-SEP-OLD"));
        assertThat(out).isEqualTo("""
                *filter
                :SLUICE-SERVICES - [0:0]
                COMMIT
                *nat
                :SLUICE-SERVICES - [0:0]
                :SLUICE-SVC-A - [0:0]
                :SLUICE-SEP-OLD - [0:0]
                :SLUICE-SVC-OLD - [0:0]
                -A SLUICE-SERVICES -d 10.0.0.1/32 -j SLUICE-SVC-A
                -X SLUICE-SEP-OLD
                -X SLUICE-SVC-OLD
                COMMIT
                """);
    }

    @Test
    void missingChainsAreDeclaredAndMissingTablesAdded() {
        String out = RestoreInput.build(TEXT, Set.of("nat/SLUICE-POSTROUTING", "nat/SLUICE-SERVICES"),
                Set.of("mangle/SLUICE-OLD"));
        assertThat(out).contains(":SLUICE-SVC-A - [0:0]\n:SLUICE-POSTROUTING - [0:0]\n-A SLUICE-SERVICES")
                .containsOnlyOnce(":SLUICE-SERVICES - [0:0]\n:SLUICE-SVC-A")
                .endsWith("*mangle\n:SLUICE-OLD - [0:0]\n-X SLUICE-OLD\nCOMMIT\n");
    }

    @Test
    void onlyDeletionsGiveTablesOfTheirOwn() {
        assertThat(RestoreInput.build("", Set.of(), Set.of("filter/SLUICE-SERVICES", "nat/SLUICE-SERVICES")))
                .isEqualTo("*filter\n:SLUICE-SERVICES - [0:0]\n-X SLUICE-SERVICES\nCOMMIT\n"
                        + "*nat\n:SLUICE-SERVICES - [0:0]\n-X SLUICE-SERVICES\nCOMMIT\n");
    }

    @Test
    void rejectsTextWithoutCommit() {
        assertThatThrownBy(() -> RestoreInput.build("*nat\n:SLUICE-X - [0:0]\n", Set.of(), Set.of("nat/SLUICE-Y")))
                .hasMessageContaining("COMMIT");
    }
}
