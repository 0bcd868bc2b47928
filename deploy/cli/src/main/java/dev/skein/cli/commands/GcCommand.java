package dev.skein.cli.commands;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.skein.cli.Api;
import dev.skein.cli.CliException;
import dev.skein.cli.ExitCodes;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
        name = "gc",
        mixinStandardHelpOptions = true,
        description = {
            "Purge deleted runs for good, with their artifacts (MLflow's `mlflow gc`).",
            "Calls the gateway's administrator endpoint: MLFLOW_TRACKING_TOKEN must be the admin token",
            "(or MLFLOW_TRACKING_USERNAME/_PASSWORD an administrator's).",
            "Skein does not purge deleted experiments yet: their runs are purged, the experiments stay deleted."
        })
public final class GcCommand extends Base {

    @Option(
            names = "--run-ids",
            split = ",",
            paramLabel = "ID",
            description = "Only these deleted runs (comma-separated).")
    List<String> runIds;

    @Option(
            names = "--older-than",
            paramLabel = "AGE",
            description = "Only runs deleted at least this long ago, as MLflow writes it: 1d2h3m4s, 30m, 7d.")
    String olderThan;

    @Override
    void run() {
        ObjectNode json = Api.object();
        var purged = json.putArray("run_ids");
        boolean more;
        do {
            ObjectNode body = Api.object();
            if (runIds != null) {
                runIds.forEach(body.putArray("run_ids")::add);
            }
            if (olderThan != null) {
                body.put("older_than_ms", olderThanMs(olderThan));
            }
            JsonNode answer = api().post("/api/2.0/skein/admin/runs/purge", body);
            answer.path("run_ids").forEach(purged::add);
            more = answer.path("more").asBoolean(false) && runIds == null;
        } while (more);
        if (out().json()) {
            out().printJson(json);
        } else {
            purged.forEach(id -> out().writer().println("Purged run " + id.asText()));
            out().writer().println(purged.size() + " run(s) purged.");
            out().writer().flush();
        }
    }

    private static final Pattern AGE = Pattern.compile("(?:(\\d+)d)?(?:(\\d+)h)?(?:(\\d+)m)?(?:(\\d+)s)?");

    /** MLflow's {@code --older-than} format: {@code #d#h#m#s}, any part left out. */
    static long olderThanMs(String age) {
        Matcher m = AGE.matcher(age.strip());
        if (age.isBlank() || !m.matches()) {
            throw new CliException(ExitCodes.USAGE, "--older-than must look like 1d2h3m4s, not '" + age + "'");
        }
        long seconds = 0;
        long[] unit = {86_400, 3_600, 60, 1};
        for (int i = 0; i < 4; i++) {
            if (m.group(i + 1) != null) {
                seconds += Long.parseLong(m.group(i + 1)) * unit[i];
            }
        }
        return seconds * 1000;
    }
}
