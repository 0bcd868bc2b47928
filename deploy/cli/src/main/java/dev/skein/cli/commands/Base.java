package dev.skein.cli.commands;

import com.fasterxml.jackson.databind.JsonNode;
import dev.skein.cli.Api;
import dev.skein.cli.Output;
import dev.skein.cli.SkeinCli;
import java.util.concurrent.Callable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** What every command has: the API, the output, the error stream. */
abstract class Base implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    SkeinCli root() {
        return (SkeinCli) spec.root().userObject();
    }

    Api api() {
        return root().api();
    }

    Output out() {
        return root().output(spec.commandLine().getOut());
    }

    void err(String line) {
        spec.commandLine().getErr().println(line);
        spec.commandLine().getErr().flush();
    }

    /** A change's end: the message for people, and the server's answer with {@code --output json}. */
    void done(String message, JsonNode answer) {
        out().message(message);
        if (out().json()) {
            out().printJson(answer);
        }
    }

    @Override
    public Integer call() throws Exception {
        run();
        return 0;
    }

    abstract void run() throws Exception;

    static String text(JsonNode node, String field) {
        return Output.text(node, field);
    }
}
