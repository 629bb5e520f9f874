package io.sluice.compose;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.testkit.netns.Netns;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code ./sluice up --demo} scenario as a test: the whole stack in one JVM, real packets
 * through real iptables rules in network namespaces.
 */
class DemoE2E {
    @TempDir
    Path dir;

    @Test
    void theKubeProxyScenarioPassesWithRealPackets() throws Exception {
        Optional<String> why = Netns.unavailableReason();
        Assumptions.assumeTrue(why.isEmpty(), () -> "skipped: " + why.orElse(""));
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(buf, true, StandardCharsets.UTF_8);
        List<Demo.Step> steps;
        try (EmbeddedStack stack = EmbeddedStack.start(new StackOptions(dir, "e2e", null, true, List.of("node-1", "node-2")))) {
            steps = new Demo(stack, out).run();
        }
        String printed = buf.toString(StandardCharsets.UTF_8);
        System.out.println(printed);
        assertThat(steps).hasSize(3).allSatisfy(s -> assertThat(s.passed()).as(s.name() + "\n" + printed).isTrue());
        assertThat(printed).contains("answered by {server-a=", "server-b=").contains("client-2 (node-2, applier down) → web2: ");
        assertThat(Netns.list()).noneMatch(ns -> ns.startsWith("sluice-lab"));
    }
}
