package io.sluice.applier.backend;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.testkit.netns.ExecResult;
import io.sluice.testkit.netns.Netns;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every nftables golden file is {@code nft -f} input the kernel accepts as it stands, on a node
 * without Sluice's table (issue 3: {@code sluice render … | nft -f -}): loaded for real into a
 * throwaway network namespace, listed, then deleted.
 */
class NftablesGoldenLoadIT {
    private static final String NS = "sluice-nftgold-" + ProcessHandle.current().pid();
    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static boolean created;

    @BeforeAll
    static void namespace() {
        Optional<String> unavailable = Netns.unavailableReason();
        Assumptions.assumeTrue(unavailable.isEmpty(), () -> "no kernel test: " + unavailable.orElse(""));
        Assumptions.assumeTrue(Netns.run(java.util.List.of("nft", "--version"), null, TIMEOUT).ok(), "nft is not installed");
        Netns.create(NS);
        created = true;
    }

    @AfterAll
    static void delete() {
        if (created) {
            Netns.delete(NS);
        }
    }

    static Stream<Path> goldens() throws IOException {
        return Files.list(Path.of("src/test/resources/golden/nftables")).sorted();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("goldens")
    void goldenLoadsOnANodeWithoutTheTable(Path golden) throws IOException {
        String text = Files.readString(golden);
        ExecResult load = Netns.run(Netns.inNamespace(NS, "nft", "-f", "-"), text, TIMEOUT);
        assertThat(load.exitCode()).as("nft -f %s: %s", golden.getFileName(), load.stderr()).isZero();
        String family = text.startsWith("add table ip6 ") ? "ip6" : "ip";
        ExecResult list = Netns.run(Netns.inNamespace(NS, "nft", "list", "table", family, "sluice"), null, TIMEOUT);
        assertThat(list.stdout()).contains("chain services {");
        ExecResult clean = Netns.run(Netns.inNamespace(NS, "nft", "-f", "-"),
                "add table ip sluice\ndelete table ip sluice\nadd table ip6 sluice\ndelete table ip6 sluice\n", TIMEOUT);
        assertThat(clean.exitCode()).as(clean.stderr()).isZero();
    }
}
