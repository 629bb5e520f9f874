package io.sluice.compose;

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

    public static CommandLine commandLine() {
        return new CommandLine(new SluiceCli()).setCaseInsensitiveEnumValuesAllowed(true);
    }
}
