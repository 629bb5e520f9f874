package io.sluice.applier.backend;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.testkit.netns.ExecResult;
import io.sluice.testkit.netns.Netns;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every golden file is input the kernel tools accept as it stands ({@code iptables-restore
 * --test}, ip6tables for IPv6 goldens), with both the nft and the legacy flavour, in a throwaway
 * network namespace.
 */
class GoldenRulesLoadIT {
    private static final String NS = "sluice-golden-" + ProcessHandle.current().pid();
    private static boolean created;

    @BeforeAll
    static void namespace() {
        Optional<String> unavailable = Netns.unavailableReason();
        Assumptions.assumeTrue(unavailable.isEmpty(), () -> "no kernel test: " + unavailable.orElse(""));
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
        return Files.list(Path.of("src/test/resources/golden/iptables")).sorted();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("goldens")
    void goldenLoads(Path golden) throws IOException {
        String text = Files.readString(golden);
        String family = golden.getFileName().toString().startsWith("ipv6") ? "ip6tables" : "iptables";
        for (String tool : List.of(family + "-restore", family + "-legacy-restore")) {
            ExecResult r = Netns.run(Netns.inNamespace(NS, tool, "--test", "--noflush"), text, Duration.ofSeconds(30));
            assertThat(r.exitCode()).as("%s --test < %s: %s", tool, golden.getFileName(), r.stderr()).isZero();
        }
    }
}
