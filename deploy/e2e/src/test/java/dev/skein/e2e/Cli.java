package dev.skein.e2e;

import static dev.skein.e2e.Http.post;
import static org.assertj.core.api.Assertions.assertThat;

import dev.skein.common.testing.TestInfra;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs the {@code skein} command line as a user does ({@code ./skein VERB …} in a process of its own, against the
 * running suite) and reads what it recorded through the REST API. Shared by the tests of the command line.
 */
final class Cli {

    record Result(int exit, String out, String err) {}

    private Cli() {}

    /** {@code ./skein args…} with the suite's URI, the CLI's state under {@code dir}; at most 3 minutes. */
    static Result cli(Path dir, Map<String, String> env, String... args) {
        return cli(dir, env, Duration.ofMinutes(3), args);
    }

    static Result cli(Path dir, Map<String, String> env, Duration limit, String... args) {
        List<String> command = new ArrayList<>();
        command.add(TestInfra.repoRoot().resolve("skein").toString());
        command.addAll(List.of(args));
        ProcessBuilder pb =
                new ProcessBuilder(command).directory(TestInfra.repoRoot().toFile());
        pb.environment().keySet().removeIf(k -> k.startsWith("MLFLOW_") || k.startsWith("SKEIN_"));
        pb.environment().put("SKEIN_TRACKING_URI", Suite.url());
        pb.environment().put("SKEIN_CLI_STATE_DIR", dir.resolve("state").toString());
        pb.environment().putAll(env);
        try {
            Path out = Files.createTempFile(dir, "out-", ".txt");
            Path err = Files.createTempFile(dir, "err-", ".txt");
            pb.redirectOutput(out.toFile()).redirectError(err.toFile());
            Process p = pb.start();
            if (!p.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("skein " + String.join(" ", args) + " did not end");
            }
            return new Result(p.exitValue(), Files.readString(out), Files.readString(err));
        } catch (IOException e) {
            throw new AssertionError(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** The result, once its exit code is 0 (the output in the message otherwise). */
    static Result ok(Result r) {
        assertThat(r.exit())
                .as("exit code; stderr: %s; stdout: %s", r.err(), r.out())
                .isZero();
        return r;
    }

    static JsonObject json(Result r) {
        return new JsonObject(ok(r).out());
    }

    static Map<String, String> tagsOf(JsonObject run) {
        return keyValues(run.getJsonObject("data").getJsonArray("tags", new JsonArray()));
    }

    static Map<String, String> paramsOf(JsonObject run) {
        return keyValues(run.getJsonObject("data").getJsonArray("params", new JsonArray()));
    }

    private static Map<String, String> keyValues(JsonArray array) {
        Map<String, String> map = new HashMap<>();
        array.forEach(t -> map.put(((JsonObject) t).getString("key"), ((JsonObject) t).getString("value")));
        return map;
    }

    /** The experiment's runs, as {@code runs/search} gives them (newest first). */
    static JsonArray runsOf(String experimentId) {
        return Http.ok(post("runs/search", new JsonObject().put("experiment_ids", new JsonArray().add(experimentId))))
                .getJsonArray("runs", new JsonArray());
    }
}
