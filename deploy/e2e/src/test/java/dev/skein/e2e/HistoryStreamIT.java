package dev.skein.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.skein.common.testing.TestInfra;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A metric history of a million points read by a slow HTTP client: tracking-service reads and sends
 * only as fast as the client takes it (its heap stays flat), and the gateway does not cut a stream
 * that progresses, however long it lasts. The slow phase lasts longer than the gateway's 60 s unary
 * deadline ({@code -Dskein.e2e.history.slowSeconds} makes it longer by hand).
 */
@ExtendWith(Suite.class)
class HistoryStreamIT {

    private static final int POINTS = 1_000_000;
    private static final String KEY = "validation_loss_of_a_metric_with_a_rather_long_name";
    private static final int SLOW_BYTES_PER_SECOND = 100_000;
    private static final Duration SLOW_FOR = Duration.ofSeconds(Long.getLong("skein.e2e.history.slowSeconds", 65));

    @Test
    void aMillionPointHistoryReadSlowlyArrivesWholeInOrderWithFlatMemoryInTracking() throws Exception {
        String run = Http.newRun(Http.newExperiment());
        try (Connection c = TestInfra.connect(Suite.DATABASE);
                PreparedStatement insert = c.prepareStatement("INSERT INTO tracking.metrics"
                        + " (run_uuid, key, step, timestamp, value)"
                        + " SELECT ?, ?, g, 1700000000000 + g, g * 0.5 FROM generate_series(0, ?) AS g ORDER BY g")) {
            insert.setString(1, run);
            insert.setString(2, KEY);
            insert.setInt(3, POINTS - 1);
            insert.executeUpdate();
        }
        long baseline = Jvm.liveHeapBytes("tracking-service", Suite.TRACKING_MANAGEMENT_PORT);

        HttpResponse<InputStream> response = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .build()
                .send(
                        HttpRequest.newBuilder(URI.create(Suite.url() + "/api/2.0/mlflow/metrics/get-history?run_id="
                                        + run + "&metric_key=" + KEY))
                                .build(),
                        HttpResponse.BodyHandlers.ofInputStream());
        assertThat(response.statusCode()).isEqualTo(200);

        long started = System.nanoTime();
        // halfway through the slow phase: what tracking-service holds for this one slow reader
        CompletableFuture<Long> duringSlowRead = CompletableFuture.supplyAsync(() -> {
            sleep(SLOW_FOR.dividedBy(2));
            return Jvm.liveHeapBytes("tracking-service", Suite.TRACKING_MANAGEMENT_PORT);
        });
        long expectedStep = 0;
        try (JsonParser json = new JsonFactory().createParser(new Throttled(response.body(), started))) {
            for (JsonToken t; (t = json.nextToken()) != null; ) {
                if (t == JsonToken.FIELD_NAME && json.currentName().equals("step")) {
                    json.nextToken();
                    assertThat(json.getLongValue()).as("point %d", expectedStep).isEqualTo(expectedStep);
                    expectedStep++;
                }
            }
        }
        Duration took = Duration.ofNanos(System.nanoTime() - started);

        assertThat(expectedStep).as("points received").isEqualTo(POINTS);
        assertThat(took).as("the read lasted past the slow phase").isGreaterThan(SLOW_FOR);
        assertThat(duringSlowRead.get() - baseline)
                .as("tracking-service heap growth while a slow client reads (baseline %d bytes)", baseline)
                .isLessThan(24L << 20);
    }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Reads at most {@link #SLOW_BYTES_PER_SECOND} during the slow phase, then as fast as it can. */
    private static final class Throttled extends FilterInputStream {
        private final long started;
        private final AtomicLong read = new AtomicLong();

        Throttled(InputStream in, long started) {
            super(in);
            this.started = started;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            long elapsedNanos = System.nanoTime() - started;
            if (elapsedNanos < SLOW_FOR.toNanos()) {
                len = Math.min(len, 4096);
                long due = read.get() * 1_000_000_000L / SLOW_BYTES_PER_SECOND;
                if (due > elapsedNanos) {
                    sleep(Duration.ofNanos(due - elapsedNanos));
                }
            }
            int n = super.read(b, off, len);
            if (n > 0) {
                read.addAndGet(n);
            }
            return n;
        }
    }
}
