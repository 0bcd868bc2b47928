package dev.skein.examples.spark;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.collect_list;
import static org.apache.spark.sql.functions.floor;
import static org.apache.spark.sql.functions.struct;
import static org.apache.spark.sql.functions.to_json;

import java.util.Arrays;
import java.util.stream.Collectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * A Spark job that computes metric points in a DataFrame and writes them to Skein with Spark's own
 * Kafka sink: nothing of Skein's on this side but the documented record schema of topic
 * {@code skein.tracking.metrics.v1} (key: run id; value: {"run_id", "metrics": [{key, value,
 * timestamp, step}]}).
 *
 * <p>Arguments: Kafka bootstrap servers, comma-separated run ids, metric keys per run, steps per
 * key. Every run gets keys × steps points.
 */
public final class SparkMetricsJob {

    private SparkMetricsJob() {}

    public static void main(String[] args) {
        String bootstrap = args[0];
        String[] runIds = args[1].split(",");
        int keys = Integer.parseInt(args[2]);
        int steps = Integer.parseInt(args[3]);
        SparkSession spark = SparkSession.builder()
                .appName("skein-metrics")
                .master(System.getProperty("spark.master", "local[2]"))
                .config("spark.ui.enabled", "false")
                .getOrCreate();
        try {
            // The metrics a job has computed: one row per point (run_id, key, step, value, timestamp).
            int runs = runIds.length;
            String runArray = Arrays.stream(runIds).map(r -> "'" + r + "'").collect(Collectors.joining(","));
            Dataset<Row> points = spark.range(0, (long) runs * keys * steps)
                    .selectExpr(
                            "element_at(array(" + runArray + "), cast(id % " + runs + " as int) + 1) AS run_id",
                            "concat('metric_', lpad(cast(cast(id / " + runs + " as bigint) % " + keys
                                    + " as string), 3, '0')) AS key",
                            "cast(id / " + ((long) runs * keys) + " as bigint) AS step",
                            "rand(42) AS value",
                            "unix_millis(current_timestamp()) AS timestamp");

            // What a Spark user copies: records of up to 1,000 points (10 steps of every key) per run.
            points.groupBy(col("run_id"), floor(col("step").divide(10)).as("chunk"))
                    .agg(collect_list(struct("key", "value", "timestamp", "step")).as("metrics"))
                    .select(col("run_id").as("key"), to_json(struct(col("run_id"), col("metrics"))).as("value"))
                    .write()
                    .format("kafka")
                    .option("kafka.bootstrap.servers", bootstrap)
                    .option("topic", "skein.tracking.metrics.v1")
                    .save();
        } finally {
            spark.stop();
        }
    }
}
