package dev.skein.bench;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** tracking-service's Kafka ingest as its metrics tell it: points ingested so far, and the lag histogram. */
final class Ingest {

    private static final Pattern POINTS =
            Pattern.compile("(?m)^skein_tracking_ingest_points_total(?:\\{[^}]*\\})?\\s+(\\S+)$");
    private static final Pattern LAG_BUCKET =
            Pattern.compile("(?m)^skein_tracking_ingest_lag_seconds_bucket\\{[^}]*le=\"([^\"]+)\"[^}]*\\}\\s+(\\S+)$");

    private final String tracking;
    private final HttpClient http = HttpClient.newHttpClient();

    Ingest(String tracking) {
        this.tracking = tracking;
    }

    long points() throws Exception {
        Matcher m = POINTS.matcher(scrape());
        return m.find() ? (long) Double.parseDouble(m.group(1)) : 0;
    }

    /** Waits until tracking-service counted {@code expected} points ingested (at most 10 minutes). */
    void awaitPoints(long expected) throws Exception {
        long deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos();
        while (points() < expected) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("ingested " + points() + " of " + expected + " after 10 minutes");
            }
            Thread.sleep(50);
        }
    }

    /** The lag histogram: upper bound in seconds → records at or under it, cumulative. */
    TreeMap<Double, Double> lagBuckets() throws Exception {
        TreeMap<Double, Double> buckets = new TreeMap<>();
        Matcher m = LAG_BUCKET.matcher(scrape());
        while (m.find()) {
            buckets.put(
                    m.group(1).equals("+Inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(m.group(1)),
                    Double.parseDouble(m.group(2)));
        }
        return buckets;
    }

    private String scrape() throws Exception {
        return http.send(
                        HttpRequest.newBuilder(URI.create(Bench.management(tracking) + "/q/metrics"))
                                .build(),
                        HttpResponse.BodyHandlers.ofString())
                .body();
    }
}
