package io.sluice.applier.backend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The real {@link Exec} against /bin/sh. */
class SystemExecIT {
    private final Exec exec = Exec.system();

    @Test
    void passesStdinAndCapturesOutputAndExitCode() throws Exception {
        Exec.Result r = exec.run(List.of("sh", "-c", "cat; echo oops >&2; exit 3"), "rules\n", Duration.ofSeconds(10));
        assertThat(r.exitCode()).isEqualTo(3);
        assertThat(r.stdout()).isEqualTo("rules\n");
        assertThat(r.stderr()).isEqualTo("oops\n");
        assertThat(r.describe()).isEqualTo("sh -c cat; echo oops >&2; exit 3 exited 3: oops");
    }

    @Test
    void killsACommandThatOutlivesItsTimeout() {
        long start = System.nanoTime();
        assertThatThrownBy(() -> exec.run(List.of("sleep", "30"), null, Duration.ofMillis(300)))
                .isInstanceOf(Exec.ExecException.class).hasMessageContaining("did not finish within PT0.3S");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
    }

    @Test
    void aToolThatNeverReadsItsInputStillTimesOut() {
        String big = "x".repeat(4 * 1024 * 1024); // more than a pipe buffer
        assertThatThrownBy(() -> exec.run(List.of("sleep", "30"), big, Duration.ofMillis(300)))
                .isInstanceOf(Exec.ExecException.class);
    }

    @Test
    void aMissingProgramIsAnExecException() {
        assertThatThrownBy(() -> exec.run(List.of("/nonexistent/iptables-restore"), null, Duration.ofSeconds(5)))
                .isInstanceOf(Exec.ExecException.class).hasMessageContaining("cannot start /nonexistent/iptables-restore");
    }
}
