package dev.skein.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The command line's parsing, help and exit codes, without a server. */
class SkeinCliTest {

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(Map<String, String> env, String... args) {
        CommandLine cli = SkeinCli.commandLine(env);
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        return cli.execute(args);
    }

    private int run(String... args) {
        return run(Map.of(), args);
    }

    @Test
    void shouldTakeGlobalOptionsAfterTheSubcommandToo() {
        CommandLine cli = SkeinCli.commandLine(Map.of());
        cli.parseArgs("experiments", "search", "--output", "JSON", "--tracking-uri", "http://gw.example:9000/");
        SkeinCli root = cli.getCommand();
        assertThat(root.output).isEqualTo(Output.Format.json);
        assertThat(root.api().settings().trackingUri()).hasToString("http://gw.example:9000");
    }

    @Test
    void shouldExitWithTwoOnUsageErrors() {
        assertThat(run("experiments", "search", "--no-such-option")).isEqualTo(ExitCodes.USAGE);
        assertThat(err.toString()).contains("Unknown option: '--no-such-option'");
        assertThat(run("runs", "delete")).isEqualTo(ExitCodes.USAGE); // RUN_ID missing
        assertThat(run("experiments", "get")).isEqualTo(ExitCodes.USAGE); // neither ID nor --name
        assertThat(run("models")).isEqualTo(ExitCodes.USAGE); // a group without its subcommand
        assertThat(err.toString()).contains("Missing subcommand");
        assertThat(run("frobnicate")).isEqualTo(ExitCodes.USAGE);
        assertThat(run("--output", "yaml", "runs", "describe", "r")).isEqualTo(ExitCodes.USAGE);
        assertThat(run("artifacts", "upload", "--run-id", "r", "--file", "f", "--part-size", "lots"))
                .isEqualTo(ExitCodes.USAGE);
    }

    @Test
    void shouldExitWithThreeWhenNothingListens() throws Exception {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        } // closed: nothing listens there now
        assertThat(run(Map.of("SKEIN_TRACKING_URI", "http://127.0.0.1:" + port), "experiments", "search"))
                .isEqualTo(ExitCodes.CANNOT_CONNECT);
        assertThat(err.toString()).contains("cannot connect to http://127.0.0.1:" + port);
    }

    @Test
    void shouldRefuseATrackingUriThatIsNotHttp() {
        assertThat(run("--tracking-uri", "databricks", "experiments", "search")).isEqualTo(ExitCodes.USAGE);
        assertThat(err.toString()).contains("http:// or https://");
    }

    @Test
    void shouldDocumentExitCodesAndSettingsInHelp() {
        assertThat(run("--help")).isZero();
        assertThat(out.toString())
                .contains("MLFLOW_TRACKING_URI", "MLFLOW_TRACKING_TOKEN", "4  not found", "3  cannot connect")
                .contains("experiments", "runs", "artifacts", "models", "prompts", "endpoints", "evaluations", "gc");
    }

    @Test
    void shouldHaveHelpOnEveryCommand() {
        CommandLine cli = SkeinCli.commandLine(Map.of());
        assertHelp(cli);
    }

    private static void assertHelp(CommandLine command) {
        if (!command.getCommandName().equals("help")) {
            assertThat(command.getCommandSpec().optionsMap())
                    .as(command.getCommandSpec().qualifiedName())
                    .containsKey("--help");
        }
        command.getSubcommands().values().forEach(SkeinCliTest::assertHelp);
    }

    @Test
    void shouldPrintABashCompletionScriptOfEveryCommand() {
        assertThat(run("completion")).isZero();
        assertThat(out.toString())
                .contains("complete -F _complete_skein")
                .contains("export-runs")
                .contains("--multipart-threshold");
    }

    @Test
    void shouldPrintItsVersion() {
        assertThat(run("version")).isZero();
        assertThat(out.toString()).startsWith("skein ").doesNotContain("${");
    }
}
