package io.sluice.compose;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code sluice} command. */
@Command(name = "sluice",
        mixinStandardHelpOptions = true,
        version = "sluice 0.1.0",
        description = "Sluice: an event-sourced replacement for kube-proxy.",
        subcommands = {UpCommand.class, WatcherCommand.class, ApplierCommand.class, CommandLine.HelpCommand.class})
public final class SluiceCli {
    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    public static CommandLine commandLine() {
        return new CommandLine(new SluiceCli()).setCaseInsensitiveEnumValuesAllowed(true);
    }
}
