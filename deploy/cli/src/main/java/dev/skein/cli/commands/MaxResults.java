package dev.skein.cli.commands;

import picocli.CommandLine.Option;

/** The {@code --max-results} option of the listing commands (all pages are read up to it). */
final class MaxResults {

    @Option(
            names = "--max-results",
            paramLabel = "N",
            defaultValue = "1000",
            description = "At most this many (0: all; default: ${DEFAULT-VALUE}).")
    int value;
}
