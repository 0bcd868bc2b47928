package dev.skein.examples.spark;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import org.apache.spark.api.java.function.FilterFunction;
import org.apache.spark.api.java.function.ForeachFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * A Spark application as an MLflow Project's entry point runs it under {@code skein run --backend spark}: the master
 * comes from spark-submit, the run from {@code MLFLOW_TRACKING_URI} and {@code MLFLOW_RUN_ID}. It estimates π from
 * {@code samples} random points in {@code partitions} partitions and logs to the run, through the REST API
 * ({@code runs/log-batch}, java.net.http, as any client would): the metrics {@code pi} and {@code points_counted}
 * (the points Spark counted: the {@code samples} parameter), and the tag {@code spark_master} (the master the
 * application ran on).
 *
 * <p>Arguments: {@code SAMPLES PARTITIONS}; or {@code --fail} to fail in a task (a failing Spark application); or
 * {@code --wait PIDFILE} to write the driver's pid there and run tasks that sleep for ten minutes (a run to cancel).
 * The application's name is spark-submit's {@code --name}, logged as the tag {@code spark_app_name}.
 */
public final class ProjectRunJob {

    private ProjectRunJob() {}

    /** A string's characters as they go between a JSON string's quotes. */
    private static String json(String s) {
        StringBuilder out = new StringBuilder();
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') {
                out.append('\\').append(c);
            } else if (c < 0x20) {
                out.append(String.format("\\u%04x", (int) c));
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    public static void main(String[] args) throws IOException, InterruptedException {
        boolean fail = args.length > 0 && args[0].equals("--fail");
        boolean wait = args.length > 1 && args[0].equals("--wait");
        long samples = fail || wait ? 10 : Long.parseLong(args[0]);
        int partitions = fail || wait ? 2 : Integer.parseInt(args[1]);
        String trackingUri = System.getenv("MLFLOW_TRACKING_URI");
        String runId = System.getenv("MLFLOW_RUN_ID");
        if (trackingUri == null || runId == null) {
            throw new IllegalStateException("MLFLOW_TRACKING_URI and MLFLOW_RUN_ID must be set");
        }
        SparkSession spark =
                SparkSession.builder().config("spark.ui.enabled", "false").getOrCreate();
        long inside;
        long counted;
        String master;
        String appName;
        try {
            master = spark.sparkContext().master();
            appName = spark.sparkContext().appName();
            if (wait) {
                Files.writeString(Path.of(args[1]), Long.toString(ProcessHandle.current().pid()));
                spark.range(0, 2, 1, 2).foreach((ForeachFunction<Long>) id -> Thread.sleep(600_000));
                return;
            }
            Dataset<Row> points = spark.range(0, samples, 1, partitions).selectExpr("rand(42) AS x", "rand(7) AS y");
            if (fail) {
                points = points.filter((FilterFunction<Row>) row -> {
                    throw new IllegalStateException("failing on purpose in a Spark task");
                });
            }
            counted = points.count();
            inside = points.filter("x * x + y * y <= 1").count();
        } finally {
            spark.stop();
        }
        double pi = 4.0 * inside / counted;
        System.out.println("pi is about " + pi + " from " + counted + " points on " + master);
        long now = System.currentTimeMillis();
        String body = "{\"run_id\":\"" + runId + "\",\"metrics\":["
                + "{\"key\":\"pi\",\"value\":" + pi + ",\"timestamp\":" + now + ",\"step\":0},"
                + "{\"key\":\"points_counted\",\"value\":" + counted + ",\"timestamp\":" + now + ",\"step\":0}],"
                + "\"tags\":[{\"key\":\"spark_master\",\"value\":\"" + json(master) + "\"},"
                + "{\"key\":\"spark_app_name\",\"value\":\"" + json(appName) + "\"}]}";
        HttpRequest.Builder request = HttpRequest.newBuilder(
                        URI.create(trackingUri.replaceAll("/+$", "") + "/api/2.0/mlflow/runs/log-batch"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        String token = System.getenv("MLFLOW_TRACKING_TOKEN");
        String user = System.getenv("MLFLOW_TRACKING_USERNAME");
        if (token != null && !token.isBlank()) {
            request.header("Authorization", "Bearer " + token);
        } else if (user != null && !user.isBlank()) {
            String password = System.getenv().getOrDefault("MLFLOW_TRACKING_PASSWORD", "");
            request.header(
                    "Authorization",
                    "Basic " + Base64.getEncoder()
                            .encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8)));
        }
        HttpResponse<String> response =
                HttpClient.newHttpClient().send(request.build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new IllegalStateException("log-batch answered " + response.statusCode() + ": " + response.body());
        }
    }
}
