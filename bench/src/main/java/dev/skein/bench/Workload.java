package dev.skein.bench;

/**
 * The metric points every path of a benchmark writes, so that Skein and its floors do the same
 * work: batch {@code b} of a run holds {@code keys} keys × {@code steps} steps, steps
 * {@code b·steps … b·steps + steps − 1}, as a training loop logging a few metrics every step does.
 */
final class Workload {

    /** Receives one point of a batch. */
    interface PointSink {
        void point(String key, long step, long timestamp, double value) throws Exception;
    }

    private final int steps;
    private final String[] keys;
    private final long baseTime = System.currentTimeMillis();

    Workload(int keys, int steps) {
        this.steps = steps;
        this.keys = new String[keys];
        for (int k = 0; k < keys; k++) {
            this.keys[k] = String.format("metric_%03d", k);
        }
    }

    int size() {
        return keys.length * steps;
    }

    int keys() {
        return keys.length;
    }

    String key(int k) {
        return keys[k];
    }

    long timestamp(long batch) {
        return baseTime + batch;
    }

    long lastStep(long batch) {
        return batch * steps + steps - 1;
    }

    /** A value that differs by run, key and step without costing a random-number generator. */
    static double value(int client, int k, long step) {
        return ((client * 31L + k) * 1_000_003L + step) % 10_007 / 10_007.0;
    }

    void forEach(int client, long batch, PointSink sink) throws Exception {
        long timestamp = timestamp(batch);
        for (int k = 0; k < keys.length; k++) {
            for (int s = 0; s < steps; s++) {
                long step = batch * steps + s;
                sink.point(keys[k], step, timestamp, value(client, k, step));
            }
        }
    }

    /** Batch {@code b} of a client as MLflow's log-batch body: {"run_id", "metrics": [...]}. */
    String json(int client, long batch, String runId) throws Exception {
        StringBuilder body = new StringBuilder(80 * size());
        body.append("{\"run_id\":\"").append(runId).append("\",\"metrics\":[");
        forEach(client, batch, (key, step, timestamp, value) -> body.append("{\"key\":\"")
                .append(key)
                .append("\",\"value\":")
                .append(value)
                .append(",\"timestamp\":")
                .append(timestamp)
                .append(",\"step\":")
                .append(step)
                .append("},"));
        body.setLength(body.length() - 1);
        return body.append("]}").toString();
    }
}
