package dev.skein.cli.commands;

import java.util.concurrent.Callable;
import picocli.AutoComplete;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

@Command(
        name = "completion",
        mixinStandardHelpOptions = true,
        description = {
            "Print a bash (and zsh) completion script for skein.",
            "Load it with",
            "  source <(./skein completion)",
            "or save it in /etc/bash_completion.d/skein."
        })
public final class CompletionCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().getOut().print(AutoComplete.bash("skein", spec.root().commandLine()));
        spec.commandLine().getOut().flush();
        return 0;
    }
}
