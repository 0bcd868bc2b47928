package dev.skein.cli;

import dev.skein.cli.commands.ArtifactsCommand;
import dev.skein.cli.commands.CompletionCommand;
import dev.skein.cli.commands.EndpointsCommand;
import dev.skein.cli.commands.EvaluationsCommand;
import dev.skein.cli.commands.ExperimentsCommand;
import dev.skein.cli.commands.GcCommand;
import dev.skein.cli.commands.ModelsCommand;
import dev.skein.cli.commands.PromptsCommand;
import dev.skein.cli.commands.RecipeCommand;
import dev.skein.cli.commands.RunCommand;
import dev.skein.cli.commands.RunsCommand;
import dev.skein.cli.commands.SweepCommand;
import dev.skein.cli.commands.VersionCommand;
import java.io.PrintWriter;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/** {@code skein}: the command line over Skein's public API. */
@Command(
        name = "skein",
        mixinStandardHelpOptions = true,
        versionProvider = Version.class,
        description = "Skein's command line: talks to a Skein gateway with MLflow's client settings.",
        subcommands = {
            ExperimentsCommand.class,
            RunsCommand.class,
            RunCommand.class,
            SweepCommand.class,
            RecipeCommand.class,
            ArtifactsCommand.class,
            ModelsCommand.class,
            PromptsCommand.class,
            EndpointsCommand.class,
            EvaluationsCommand.class,
            GcCommand.class,
            CompletionCommand.class,
            VersionCommand.class,
            CommandLine.HelpCommand.class
        },
        footerHeading = "%n",
        footer = {
            "Settings:",
            "  SKEIN_TRACKING_URI, else MLFLOW_TRACKING_URI   the gateway (default " + Settings.DEFAULT_TRACKING_URI
                    + ")",
            "  MLFLOW_TRACKING_USERNAME, _PASSWORD            HTTP Basic credentials",
            "  MLFLOW_TRACKING_TOKEN                          a Bearer token",
            "  MLFLOW_TRACKING_INSECURE_TLS=true              no certificate check",
            "Exit codes:",
            "  0  done",
            "  1  the API answered an error (error_code: message on stderr)",
            "  2  usage error",
            "  3  cannot connect to the gateway",
            "  4  not found (RESOURCE_DOES_NOT_EXIST)",
            "  5  an evaluation waited for with --wait FAILED",
            "  6  a multipart upload paused with parts left (continue with --resume)",
            "  7  skein run: the project's run ended FAILED; skein sweep: every trial failed or none logged --metric;"
                    + " skein recipe run: a step failed",
            "  8  skein recipe run: registration refused (the model failed its validation criteria)"
        })
public final class SkeinCli {

    @Option(
            names = "--tracking-uri",
            scope = ScopeType.INHERIT,
            paramLabel = "URI",
            description = "The Skein gateway (overrides SKEIN_TRACKING_URI and MLFLOW_TRACKING_URI).")
    String trackingUri;

    @Option(
            names = "--output",
            scope = ScopeType.INHERIT,
            paramLabel = "FORMAT",
            description = "json or table (default: ${DEFAULT-VALUE}).",
            defaultValue = "table")
    Output.Format output;

    private final Map<String, String> env;
    private Api api;

    public SkeinCli(Map<String, String> env) {
        this.env = env;
    }

    public Api api() {
        if (api == null) {
            api = new Api(Settings.from(env, trackingUri));
        }
        return api;
    }

    public Map<String, String> env() {
        return env;
    }

    public Output output(PrintWriter out) {
        return new Output(output == null ? Output.Format.table : output, out);
    }

    /** The command line with Skein's exit codes: API errors, connection failures and not-found told apart. */
    public static CommandLine commandLine(Map<String, String> env) {
        CommandLine cli = new CommandLine(new SkeinCli(env));
        cli.setCaseInsensitiveEnumValuesAllowed(true);
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            PrintWriter err = commandLine.getErr();
            if (e instanceof ApiException api) {
                err.println(api.describe());
                err.flush();
                return api.notFound() ? ExitCodes.NOT_FOUND : ExitCodes.API_ERROR;
            }
            if (e instanceof CliException cli1) {
                err.println("error: " + cli1.getMessage());
                err.flush();
                return cli1.exitCode();
            }
            if (e instanceof java.io.IOException || e instanceof java.io.UncheckedIOException) {
                err.println("error: " + e.getMessage());
                err.flush();
                return ExitCodes.API_ERROR;
            }
            throw e;
        });
        return cli;
    }

    public static void main(String[] args) {
        System.exit(commandLine(System.getenv()).execute(args));
    }
}
