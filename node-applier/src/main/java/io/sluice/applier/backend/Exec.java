package io.sluice.applier.backend;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Runs one external command with optional standard input and a bound on its run time: the only
 * way backends reach kernel tools. An interface so unit tests can record commands ({@code
 * FakeExec}); {@link #system()} is the real thing, tested against real binaries.
 */
public interface Exec {

    /** Runs {@code command}; a non-zero exit is a {@link Result}, not an exception. */
    Result run(List<String> command, String stdin, Duration timeout) throws ExecException;

    /** What a finished command returned. */
    record Result(List<String> command, int exitCode, String stdout, String stderr) {
        public Result {
            command = List.copyOf(command);
            Objects.requireNonNull(stdout, "stdout");
            Objects.requireNonNull(stderr, "stderr");
        }

        public boolean ok() {
            return exitCode == 0;
        }

        /** "iptables-restore --noflush -w exited 2: <stderr>" for error messages. */
        public String describe() {
            return String.join(" ", command) + " exited " + exitCode
                    + (stderr.isBlank() ? "" : ": " + stderr.strip());
        }
    }

    /** The command could not be started, did not finish in time, or the wait was interrupted. */
    final class ExecException extends Exception {
        public ExecException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** Where commands behind {@code prefix} run, for log lines: "on the host", "in netns NS" or "via …". */
    static String where(List<String> prefix) {
        if (prefix.isEmpty()) {
            return "on the host";
        }
        if (prefix.size() == 4 && prefix.subList(0, 3).equals(List.of("ip", "netns", "exec"))) {
            return "in netns " + prefix.get(3);
        }
        return "via " + String.join(" ", prefix);
    }

    /** Processes of this machine, through {@link ProcessBuilder}. */
    static Exec system() {
        return SystemExec.INSTANCE;
    }

    /** The real implementation: stdout and stderr read concurrently so a chatty tool cannot block. */
    final class SystemExec implements Exec {
        static final SystemExec INSTANCE = new SystemExec();

        private SystemExec() {
        }

        @Override
        public Result run(List<String> command, String stdin, Duration timeout) throws ExecException {
            String line = String.join(" ", command);
            Process p;
            try {
                p = new ProcessBuilder(command).start();
            } catch (IOException e) {
                throw new ExecException("cannot start " + line + ": " + e.getMessage(), e);
            }
            CompletableFuture<String> out = readAsync(p.getInputStream());
            CompletableFuture<String> err = readAsync(p.getErrorStream());
            Thread writer = new Thread(() -> writeInput(p, stdin), "exec-writer");
            writer.setDaemon(true);
            writer.start(); // never blocks the caller past the timeout, even if the tool stops reading
            try {
                if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                    p.descendants().forEach(ProcessHandle::destroyForcibly);
                    p.destroyForcibly();
                    throw new ExecException(line + " did not finish within " + timeout + "; killed it", null);
                }
                // The process has exited: its pipes close, unless a child it left behind holds them.
                return new Result(command, p.exitValue(), out.get(5, TimeUnit.SECONDS), err.get(5, TimeUnit.SECONDS));
            } catch (InterruptedException e) {
                p.destroyForcibly();
                Thread.currentThread().interrupt();
                throw new ExecException("interrupted while running " + line + "; killed it", e);
            } catch (ExecutionException | TimeoutException e) {
                throw new ExecException("cannot read the output of " + line + ": " + e, e);
            }
        }

        private static void writeInput(Process p, String stdin) {
            try (OutputStream os = p.getOutputStream()) {
                if (stdin != null) {
                    os.write(stdin.getBytes(StandardCharsets.UTF_8));
                }
            } catch (IOException e) {
                // The tool exited before reading all its input; its exit code and stderr say why.
            }
        }

        private static CompletableFuture<String> readAsync(InputStream in) {
            CompletableFuture<String> f = new CompletableFuture<>();
            Thread t = new Thread(() -> {
                try (in) {
                    f.complete(new String(in.readAllBytes(), StandardCharsets.UTF_8));
                } catch (IOException | RuntimeException e) {
                    f.completeExceptionally(new UncheckedIOException(new IOException(e)));
                }
            }, "exec-reader");
            t.setDaemon(true);
            t.start();
            return f;
        }
    }
}
