package io.sluice.compose;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Without root the same pipeline runs end to end and writes rule files; the scenario checks those. */
class DryRunStackIT {
    @TempDir
    Path dir;

    @Test
    void theScenarioPassesOnRuleFilesWithoutALab() throws Exception {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(buf, true, StandardCharsets.UTF_8);
        List<Demo.Step> steps;
        try (EmbeddedStack stack = EmbeddedStack.start(new StackOptions(dir, "dry", null, false, List.of("node-1", "node-2")))) {
            steps = new Demo(stack, out).run();
            assertThat(Files.readString(stack.dryRunRules("node-2"))).contains("10.96.0.20");
        }
        String printed = buf.toString(StandardCharsets.UTF_8);
        assertThat(steps).allSatisfy(s -> assertThat(s.passed()).as(s.name() + "\n" + printed).isTrue());
        assertThat(printed).startsWith("Dry run");
    }
}
