package io.sluice.compose;

import java.util.concurrent.CountDownLatch;
import org.slf4j.bridge.SLF4JBridgeHandler;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code sluice} command. */
@Command(name = "sluice",
        mixinStandardHelpOptions = true,
        version = "sluice 0.1.0",
        description = "Sluice: an event-sourced replacement for kube-proxy.",
        subcommands = {UpCommand.class, WatcherCommand.class, ApplierCommand.class, RenderCommand.class, CleanupCommand.class,
                CommandLine.HelpCommand.class})
public final class SluiceCli {
    public static void main(String[] args) {
        // fabric8's mock API server logs through java.util.logging; send it through SLF4J and logback.
        SLF4JBridgeHandler.removeHandlersForRootLogger();
        SLF4JBridgeHandler.install();
        System.exit(commandLine().execute(args));
    }

    /**
     * Blocks until the JVM is asked to stop (Ctrl-C, SIGTERM) and closes {@code running} inside the
     * shutdown hook: once the hooks return the JVM halts without waiting for the main thread, so
     * closing there is the only way the close is sure to run.
     */
    static void runUntilShutdown(AutoCloseable running) throws InterruptedException {
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                running.close();
            } catch (Exception e) {
                System.err.println("sluice: stopping failed: " + e);
            } finally {
                stopped.countDown();
            }
        }, "sluice-shutdown"));
        stopped.await();
    }

    public static CommandLine commandLine() {
        return new CommandLine(new SluiceCli()).setCaseInsensitiveEnumValuesAllowed(true);
    }
}
