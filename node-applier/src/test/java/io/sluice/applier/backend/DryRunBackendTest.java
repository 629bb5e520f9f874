package io.sluice.applier.backend;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.applier.render.RuleSet;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DryRunBackendTest {
    private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-01-02T03:04:05Z"), ZoneOffset.UTC);

    @Test
    void writesTheLatestRuleSetAndAppendsHistory(@TempDir Path dir) throws Exception {
        DryRunBackend backend = new DryRunBackend(dir.resolve("out"), CLOCK);
        RuleSet first = new RuleSet("iptables", "*nat\nCOMMIT\n", Set.of("nat/SLUICE-SERVICES"), 1, 2);
        RuleSet second = new RuleSet("iptables", "*filter\nCOMMIT\n", Set.of(), 0, 0);

        backend.apply(first);
        backend.apply(second);

        assertThat(backend.rulesFile("iptables")).hasContent("*filter\nCOMMIT");
        assertThat(Files.readAllLines(backend.historyFile("iptables"))).containsExactly(
                "2026-01-02T03:04:05Z " + first.digest() + " services=1 endpoints=2 chains=1",
                "2026-01-02T03:04:05Z " + second.digest() + " services=0 endpoints=0 chains=0");
        assertThat(first.digest()).matches("sha256:[0-9a-f]{64}");
        try (var files = Files.list(dir.resolve("out"))) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder(
                    "rules.iptables", "rules.iptables.applied"); // no temporary file left behind
        }
    }

    @Test
    void cleanupRemovesRuleFilesAndRecordsIt(@TempDir Path dir) throws Exception {
        DryRunBackend backend = new DryRunBackend(dir, CLOCK);
        backend.apply(new RuleSet("iptables", "x\n", Set.of(), 0, 0));
        backend.apply(new RuleSet("nftables", "y\n", Set.of(), 0, 0));

        backend.cleanup();

        assertThat(backend.rulesFile("iptables")).doesNotExist();
        assertThat(backend.rulesFile("nftables")).doesNotExist();
        assertThat(Files.readAllLines(backend.historyFile("nftables"))).last().isEqualTo("2026-01-02T03:04:05Z cleanup");
        assertThat(backend.describe()).isEqualTo("dry-run to " + dir);
    }
}
