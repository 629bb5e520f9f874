package io.sluice.applier.backend;

import static io.sluice.applier.render.Fixtures.epTcp;
import static io.sluice.applier.render.Fixtures.image;
import static io.sluice.applier.render.Fixtures.ready;
import static io.sluice.applier.render.Fixtures.service;
import static io.sluice.applier.render.Fixtures.slice;
import static io.sluice.applier.render.Fixtures.tcp;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.applier.render.NftablesRenderer;
import io.sluice.applier.render.NodeContext;
import io.sluice.applier.render.RenderOptions;
import io.sluice.applier.render.RuleSet;
import io.sluice.schema.model.ObjectKey;
import io.sluice.schema.model.Resource;
import io.sluice.store.image.ClusterImage;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The backend against a fake Exec: which transactions it sends, and what it does when nft refuses. */
class NftablesBackendTest {
    private static final List<String> PREFIX = List.of("ip", "netns", "exec", "ns1");
    private static final Duration TIMEOUT = Duration.ofSeconds(7);
    private static final Resource WEB = service("ns1", "web", "172.30.0.41", tcp("http", 80, "8080"));
    private static final Resource WEB_SLICE = slice("ns1", "web-1", "web", List.of(epTcp("http", 8080)),
            ready("10.244.1.2"));
    private static final Resource DB = service("ns2", "db", "172.30.0.42", tcp("sql", 5432, "5432"));
    private static final Resource DB_SLICE = slice("ns2", "db-1", "db", List.of(epTcp("sql", 5432)), ready("10.244.1.3"));

    private final FakeExec exec = new FakeExec();
    private final NftablesBackend backend = new NftablesBackend(exec, PREFIX, "nft", TIMEOUT);

    private static RuleSet render(Resource... objects) {
        ClusterImage img = image(objects);
        return new NftablesRenderer().render(img, NodeContext.of("node1"), RenderOptions.defaults("10.244.0.0/16"));
    }

    @Test
    void firstApplyReplacesTheTableWholeInOneTransactionBehindThePrefixWithTheTimeout() throws Exception {
        RuleSet rules = render(WEB, WEB_SLICE);

        backend.apply(rules);

        assertThat(exec.calls).hasSize(1);
        FakeExec.Call c = exec.calls.get(0);
        assertThat(c.command()).containsExactly("ip", "netns", "exec", "ns1", "nft", "-f", "-");
        assertThat(c.timeout()).isEqualTo(TIMEOUT);
        assertThat(c.stdin()).isEqualTo("add table ip sluice\ndelete table ip sluice\n" + rules.text());
        assertThat(backend.lastChange().orElseThrow().full()).isTrue();
        assertThat(backend.nextApplyIsFull()).isFalse();
    }

    @Test
    void theSameRulesAgainSendNothing() throws Exception {
        backend.apply(render(WEB, WEB_SLICE));
        backend.apply(render(WEB, WEB_SLICE));

        assertThat(exec.calls).hasSize(1);
        assertThat(backend.lastChange().orElseThrow().isEmpty()).isTrue();
    }

    @Test
    void aLaterApplySendsOnlyTheChangedServicesElementsAndChains() throws Exception {
        backend.apply(render(WEB, WEB_SLICE));
        backend.apply(render(WEB, WEB_SLICE, DB, DB_SLICE));

        String tx = exec.calls.get(1).stdin();
        assertThat(tx).doesNotContain("table").doesNotContain("ns1/web").doesNotContain("172.30.0.41");
        assertThat(tx.lines()).allMatch(l -> l.contains("ns2/db") || l.contains("172.30.0.42"));
        assertThat(tx).contains("add element ip sluice service-ips { 172.30.0.42 . tcp . 5432 : goto service-");
        assertThat(backend.lastChange().orElseThrow().summary()).isEqualTo("chains +2 ~0 -0, sets +0 -0, elements +2 -0");

        backend.apply(render(WEB, WEB_SLICE));
        assertThat(exec.calls.get(2).stdin().lines()).allMatch(l -> l.contains("ns2/db") || l.contains("172.30.0.42"))
                .anyMatch(l -> l.startsWith("delete chain ip sluice service-"));
    }

    @Test
    void aRefusedTransactionThrowsWithExitCodeAndStderrAndMakesTheNextApplyFull() throws Exception {
        backend.apply(render(WEB, WEB_SLICE));
        exec.answer(c -> FakeExec.result(c, 1, "", "Error: Could not process rule: No such file or directory"));

        assertThatThrownBy(() -> backend.apply(render(WEB, WEB_SLICE, DB, DB_SLICE)))
                .isInstanceOf(ApplyException.class)
                .hasMessageContaining("nftables (nft) in netns ns1 refused the transaction")
                .hasMessageContaining("kernel keeps the previous rules")
                .hasMessageContaining("exited 1")
                .hasMessageContaining("No such file or directory");
        assertThat(backend.nextApplyIsFull()).isTrue();

        exec.answer(c -> FakeExec.result(c, 0, "", ""));
        RuleSet again = render(WEB, WEB_SLICE, DB, DB_SLICE);
        backend.apply(again);
        assertThat(exec.calls.get(2).stdin()).startsWith("add table ip sluice\ndelete table ip sluice\n")
                .endsWith(again.text());
    }

    @Test
    void aTimeoutIsAnApplyExceptionAndMakesTheNextApplyFull() throws Exception {
        backend.apply(render(WEB, WEB_SLICE));
        Exec failing = (cmd, in, t) -> {
            throw new Exec.ExecException("nft -f - did not finish within PT7S; killed it", null);
        };
        NftablesBackend b = new NftablesBackend(failing, PREFIX, "nft", TIMEOUT);

        assertThatThrownBy(() -> b.apply(render(WEB))).isInstanceOf(ApplyException.class)
                .hasMessageContaining("did not finish").hasMessageContaining("next apply loads the tables whole");
        assertThat(b.nextApplyIsFull()).isTrue();
    }

    @Test
    void cleanupDeletesBothFamiliesTablesInOneTransactionWhetherOrNotTheyExist() throws Exception {
        backend.apply(render(WEB, WEB_SLICE));
        backend.cleanup();

        assertThat(exec.calls.get(1).stdin()).isEqualTo(
                "add table ip sluice\ndelete table ip sluice\nadd table ip6 sluice\ndelete table ip6 sluice\n");
        assertThat(backend.nextApplyIsFull()).isTrue();
        backend.apply(render(WEB, WEB_SLICE));
        assertThat(exec.calls.get(2).stdin()).startsWith("add table ip sluice\ndelete table ip sluice\n");
    }

    @Test
    void refusesOtherModesMalformedTextAndForeignTablesWithoutRunningAnything() {
        assertThatThrownBy(() -> backend.apply(new RuleSet("iptables", "*nat\nCOMMIT\n", Set.of(), 0, 0)))
                .isInstanceOf(ApplyException.class).hasMessageContaining("mode iptables");
        assertThatThrownBy(() -> backend.apply(new RuleSet("nftables", "flush ruleset\n", Set.of(), 0, 0)))
                .isInstanceOf(ApplyException.class).hasMessageContaining("malformed").hasMessageContaining("line 1");
        assertThatThrownBy(() -> backend.apply(new RuleSet("nftables", "add table inet filter\n", Set.of(), 0, 0)))
                .isInstanceOf(ApplyException.class).hasMessageContaining("inet filter");
        assertThat(exec.calls).isEmpty();
    }

    @Test
    void syncKindAppliesReportWhatTheySentAndAFirstOneIsFull() throws Exception {
        RuleSet first = render(WEB, WEB_SLICE);
        ApplyReport full = backend.apply(first, SyncKind.PARTIAL, Set.of());

        assertThat(full.kind()).as("nothing known of the kernel yet").isEqualTo(SyncKind.FULL);
        assertThat(full.chainsWritten()).isEqualTo(new java.util.TreeSet<>(first.chains()));
        assertThat(full.bytesSent()).isEqualTo(exec.calls.get(0).stdin().length());

        RuleSet second = new NftablesRenderer().render(image(WEB, WEB_SLICE, DB, DB_SLICE), NodeContext.of("node1"),
                RenderOptions.defaults("10.244.0.0/16"), first, Set.of(ObjectKey.service("ns2", "db")));
        ApplyReport partial = backend.apply(second, SyncKind.PARTIAL, Set.of(ObjectKey.service("ns2", "db")));

        assertThat(partial.kind()).isEqualTo(SyncKind.PARTIAL);
        assertThat(partial.chainsWritten()).hasSize(2).allMatch(c -> c.startsWith("ip sluice/") && c.contains("ns2/db"));
        assertThat(partial.chainsDeleted()).isEmpty();
        assertThat(partial.rulesWritten()).containsEntry("ip sluice", 4); // masquerade + numgen, the endpoint's hairpin + dnat
        assertThat(partial.bytesSent()).isEqualTo(exec.calls.get(1).stdin().length());
        assertThat(backend.apply(second, SyncKind.PARTIAL, Set.of()).nothingSent()).isTrue();
    }

    @Test
    void aDriftCheckListsBothFamiliesTablesAndDriftMakesTheNextApplyFull() throws Exception {
        RuleSet rules = render(WEB, WEB_SLICE);
        backend.apply(rules);
        exec.answer(c -> FakeExec.result(c, 1, "", "Error: No such file or directory\nlist table ip sluice"));

        DriftReport report = backend.checkDrift(rules, DriftCheck.CANARY).orElseThrow();

        assertThat(exec.lines()).endsWith("ip netns exec ns1 nft list table ip sluice", "ip netns exec ns1 nft list table ip6 sluice");
        assertThat(report.drifted()).isTrue();
        assertThat(report.differences()).anyMatch(d -> d.equals("missing in the kernel: ip sluice chain services: 2 rules"));
        assertThat(backend.nextApplyIsFull()).isTrue();
    }

    @Test
    void describesWhereItWrites() {
        assertThat(backend.describe()).isEqualTo("nftables (nft) in netns ns1");
        assertThat(new NftablesBackend(List.of()).describe()).isEqualTo("nftables (nft) on the host");
    }
}
