package dev.skein.cli.commands;

import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** A command that only holds subcommands: run alone, it is a usage error that lists them. */
abstract class Group implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new ParameterException(
                spec.commandLine(),
                "Missing subcommand: one of " + spec.subcommands().keySet());
    }
}
