package dev.skein.cli.commands;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
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
            "Purge deleted runs and experiments for good, with their artifacts (MLflow's `mlflow gc`): with",
            "neither --run-ids nor --experiment-ids, every deleted run and every deleted experiment (an",
            "experiment's runs go with it, whatever their stage; the Default experiment is never purged).",
            "Calls the gateway's administrator endpoints: MLFLOW_TRACKING_TOKEN must be the admin token",
            "(or MLFLOW_TRACKING_USERNAME/_PASSWORD an administrator's)."
        })
public final class GcCommand extends Base {

    @Option(
            names = "--run-ids",
            split = ",",
            paramLabel = "ID",
            description = "Only these deleted runs (comma-separated).")
    List<String> runIds;

    @Option(
            names = "--experiment-ids",
            split = ",",
            paramLabel = "ID",
            description = "Only these deleted experiments, with all their runs (comma-separated).")
    List<String> experimentIds;

    @Option(
            names = "--older-than",
            paramLabel = "AGE",
            description = "Only what was deleted at least this long ago, as MLflow writes it: 1d2h3m4s, 30m, 7d.")
    String olderThan;

    @Override
    void run() {
        Long olderThanMs = olderThan == null ? null : olderThanMs(olderThan);
        ObjectNode json = Api.object();
        var purgedRuns = json.putArray("run_ids");
        var purgedExperiments = json.putArray("experiment_ids");
        boolean all = runIds == null && experimentIds == null;
        try {
            if (all || runIds != null) {
                purge("/api/2.0/skein/admin/runs/purge", "run_ids", runIds, 1000, olderThanMs, purgedRuns, null);
            }
            if (all || experimentIds != null) {
                purge(
                        "/api/2.0/skein/admin/experiments/purge",
                        "experiment_ids",
                        experimentIds,
                        100,
                        olderThanMs,
                        purgedExperiments,
                        purgedRuns);
            }
        } finally {
            // what was purged is said also when a later call fails
            if (out().json()) {
                out().printJson(json);
            } else {
                purgedRuns.forEach(id -> out().writer().println("Purged run " + id.asText()));
                purgedExperiments.forEach(id -> out().writer().println("Purged experiment " + id.asText()));
                out().writer()
                        .println(purgedRuns.size() + " run(s) and " + purgedExperiments.size()
                                + " experiment(s) purged.");
                out().writer().flush();
            }
        }
    }

    /**
     * Calls one purge endpoint until it says nothing is left: {@code field} names both the ids asked for (sent at most
     * {@code perCall} at a time, the server's limit) and those answered; an experiment purge also answers the runs it
     * took ({@code runsInto}).
     */
    private void purge(
            String path,
            String field,
            List<String> ids,
            int perCall,
            Long olderThanMs,
            ArrayNode into,
            ArrayNode runsInto) {
        int chunks = ids == null ? 1 : Math.max(1, (ids.size() + perCall - 1) / perCall);
        for (int c = 0; c < chunks; c++) {
            List<String> chunk = ids == null ? null : ids.subList(c * perCall, Math.min(ids.size(), (c + 1) * perCall));
            boolean more;
            do {
                ObjectNode body = Api.object();
                if (chunk != null) {
                    chunk.forEach(body.putArray(field)::add);
                }
                if (olderThanMs != null) {
                    body.put("older_than_ms", olderThanMs);
                }
                JsonNode answer = api().post(path, body);
                answer.path(field).forEach(into::add);
                if (runsInto != null) {
                    answer.path("run_ids").forEach(runsInto::add);
                }
                // runs asked for by id are taken at once; experiments asked for by id may take several calls
                more = answer.path("more").asBoolean(false) && (chunk == null || runsInto != null);
            } while (more);
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
