package io.sluice.applier.backend;

import static io.sluice.applier.render.Fixtures.epTcp;
import static io.sluice.applier.render.Fixtures.image;
import static io.sluice.applier.render.Fixtures.ready;
import static io.sluice.applier.render.Fixtures.service;
import static io.sluice.applier.render.Fixtures.slice;
import static io.sluice.applier.render.Fixtures.tcp;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.applier.render.IptablesRenderer;
import io.sluice.applier.render.NodeContext;
import io.sluice.applier.render.RenderOptions;
import io.sluice.applier.render.RuleSet;
import io.sluice.applier.sync.FakeTime;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DryRunBackendTest {
    private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-01-02T03:04:05Z"), ZoneOffset.UTC);

    private final FakeTime time = new FakeTime();

    private DryRunBackend backend(Path dir) {
        return new DryRunBackend(dir, CLOCK, time, time);
    }

    private static RuleSet text(String text) {
        return new RuleSet("iptables", text, Set.of(), 0, 0);
    }

    private static ApplyReport partial(DryRunBackend b, RuleSet rules) throws ApplyException {
        return b.apply(rules, SyncKind.PARTIAL, Set.of());
    }

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
        backend.close();
    }

    @Test
    void theHistoryOfAnIptablesModelCarriesItsFingerprintAndChainCount(@TempDir Path dir) throws Exception {
        RuleSet rules = new IptablesRenderer().render(image(service("ns", "web", "172.30.0.10", tcp("http", 80, "8080")),
                slice("ns", "web-1", "web", List.of(epTcp("http", 8080)), ready("10.244.1.2"))),
                NodeContext.of("node1"), RenderOptions.defaults("10.244.0.0/16"));
        DryRunBackend backend = backend(dir);

        backend.apply(rules, SyncKind.FULL, Set.of());

        assertThat(rules.fingerprint()).startsWith("chains-fnv64:");
        assertThat(Files.readAllLines(backend.historyFile("iptables"))).containsExactly("2026-01-02T03:04:05Z "
                + rules.fingerprint() + " services=1 endpoints=1 chains=" + rules.chains().size());
        assertThat(backend.rulesFile("iptables")).hasContent(rules.text().strip());
    }

    @Test
    void aPartialSyncAfterAQuietIntervalWritesTheFileBeforeItReturns(@TempDir Path dir) throws Exception {
        DryRunBackend backend = backend(dir);
        backend.apply(text("full\n"), SyncKind.FULL, Set.of());
        time.advance(DryRunBackend.MIN_WRITE_INTERVAL);

        ApplyReport report = partial(backend, text("partial\n"));

        assertThat(backend.rulesFile("iptables")).hasContent("partial");
        assertThat(report.kind()).isEqualTo(SyncKind.PARTIAL);
        assertThat(report.chainsWritten()).containsExactly("rules.iptables");
        assertThat(report.bytesSent()).isEqualTo("partial\n".length());
        assertThat(time.liveTimers()).isZero();
    }

    @Test
    void partialSyncsWithinTheIntervalAreCoalescedIntoOneLaterWriteOfTheLatest(@TempDir Path dir) throws Exception {
        DryRunBackend backend = backend(dir);
        backend.apply(text("full\n"), SyncKind.FULL, Set.of());
        time.advanceMillis(300);
        ApplyReport deferred = partial(backend, text("first\n"));
        time.advanceMillis(300);
        partial(backend, text("second\n"));

        assertThat(backend.rulesFile("iptables")).hasContent("full");
        assertThat(deferred.nothingSent()).isTrue();
        assertThat(Files.readAllLines(backend.historyFile("iptables"))).hasSize(3); // one line per apply, at once
        time.advanceMillis(399);
        assertThat(backend.rulesFile("iptables")).hasContent("full");
        time.advanceMillis(1);
        assertThat(backend.rulesFile("iptables")).hasContent("second");
        assertThat(time.liveTimers()).isZero();
    }

    @Test
    void aSlowWriteWidensTheIntervalToTwentyTimesItsDuration(@TempDir Path dir) throws Exception {
        DryRunBackend backend = backend(dir);
        java.util.concurrent.atomic.AtomicBoolean writtenOut = new java.util.concurrent.atomic.AtomicBoolean();
        RuleSet slow = RuleSet.structured("iptables", "model", () -> {
            if (!writtenOut.getAndSet(true)) {
                time.advanceMillis(100); // writing out the text for the file takes 100 ms (later calls: the history digest)
            }
            return "slow\n";
        }, Set::of, 0, 0);
        backend.apply(slow, SyncKind.FULL, Set.of());

        time.advanceMillis(1500);
        partial(backend, text("next\n"));
        assertThat(backend.rulesFile("iptables")).hasContent("slow");
        time.advanceMillis(499);
        assertThat(backend.rulesFile("iptables")).hasContent("slow");
        time.advanceMillis(1);
        assertThat(backend.rulesFile("iptables")).hasContent("next");
    }

    @Test
    void aFullSyncWritesAtOnceAndSupersedesWhatIsPending(@TempDir Path dir) throws Exception {
        DryRunBackend backend = backend(dir);
        backend.apply(text("one\n"), SyncKind.FULL, Set.of());
        partial(backend, text("two\n"));

        backend.apply(text("three\n"), SyncKind.FULL, Set.of());
        time.advance(DryRunBackend.MIN_WRITE_INTERVAL.multipliedBy(2));

        assertThat(backend.rulesFile("iptables")).hasContent("three");
    }

    @Test
    void flushAndCloseWritePendingRuleSetsAtOnce(@TempDir Path dir) throws Exception {
        DryRunBackend backend = backend(dir);
        backend.apply(text("one\n"), SyncKind.FULL, Set.of());
        partial(backend, text("two\n"));

        backend.flush();
        assertThat(backend.rulesFile("iptables")).hasContent("two");
        assertThat(time.liveTimers()).isZero();

        partial(backend, text("three\n"));
        backend.close();
        assertThat(backend.rulesFile("iptables")).hasContent("three");
        partial(backend, text("four\n")); // once closed, nothing is deferred
        assertThat(backend.rulesFile("iptables")).hasContent("four");
    }

    @Test
    void aDeferredWriteThatFailsFailsTheNextApplyAndAFullSyncRepairs(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("out");
        DryRunBackend backend = backend(out);
        backend.apply(text("one\n"), SyncKind.FULL, Set.of());
        partial(backend, text("two\n"));
        Path history = dir.resolve("history");
        Files.move(out, history);
        Files.writeString(out, "a file where the directory was");

        time.advance(DryRunBackend.MIN_WRITE_INTERVAL);

        assertThatThrownBy(() -> partial(backend, text("three\n"))).isInstanceOf(ApplyException.class)
                .hasMessageContaining("deferred write to " + out + " failed");
        Files.delete(out);
        backend.apply(text("four\n"), SyncKind.FULL, Set.of());
        assertThat(backend.rulesFile("iptables")).hasContent("four");
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
        backend.close();
    }

    @Test
    void cleanupDropsPendingWritesSoNoFileComesBack(@TempDir Path dir) throws Exception {
        DryRunBackend backend = backend(dir);
        backend.apply(text("one\n"), SyncKind.FULL, Set.of());
        partial(backend, text("two\n"));

        backend.cleanup();
        time.advance(DryRunBackend.MIN_WRITE_INTERVAL.multipliedBy(2));

        assertThat(backend.rulesFile("iptables")).doesNotExist();
        assertThat(time.liveTimers()).isZero();
    }
}
