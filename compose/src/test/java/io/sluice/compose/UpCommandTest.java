package io.sluice.compose;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class UpCommandTest {
    @Test
    void aMissingSeedFileIsNamedInTheError() {
        StringWriter err = new StringWriter();
        CommandLine cli = SluiceCli.commandLine().setErr(new PrintWriter(err));
        int code = cli.execute("up", "--seed", "/no/such/file.yaml");
        assertThat(code).isNotZero();
        assertThat(err.toString()).contains("--seed /no/such/file.yaml: no such readable file");
    }

    @Test
    void anInvalidClusterIdIsRejectedWithTheValue() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new StackOptions(java.nio.file.Path.of("x"), "Bad_Id", null, false, java.util.List.of("n")))
                .hasMessageContaining("cluster id 'Bad_Id'");
    }

    @Test
    void helpListsTheSubcommands() {
        StringWriter outText = new StringWriter();
        SluiceCli.commandLine().setOut(new PrintWriter(outText)).execute("--help");
        assertThat(outText.toString()).contains("up", "watcher", "applier");
    }
}
