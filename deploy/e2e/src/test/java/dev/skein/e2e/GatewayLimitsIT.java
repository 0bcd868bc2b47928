package dev.skein.e2e;

import static dev.skein.e2e.Http.newExperiment;
import static org.assertj.core.api.Assertions.assertThat;

import dev.skein.common.testing.TestInfra;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The gateway cannot be exhausted by clients that declare large bodies and then send little or
 * nothing: bodies are held as they arrive within a gateway-wide budget, and a body that stops
 * arriving is cut after {@code skein.gateway.body-idle-timeout} (a few seconds in this suite); a
 * request head that does not complete within {@code skein.gateway.request-head-timeout} gets its
 * connection closed.
 */
@ExtendWith(Suite.class)
class GatewayLimitsIT {

    private static final int MAX_BODY = 20_000_000; // skein.gateway.max-body-size: 20M is 20 * 2^20 bytes

    @Test
    void idleClientsDeclaringTheLargestBodyDoNotExhaustTheGateway() throws Exception {
        String experiment = newExperiment();
        long baseline = Jvm.liveHeapBytes("gateway-service", Suite.GATEWAY_MANAGEMENT_PORT);

        List<Socket> idle = new ArrayList<>();
        try {
            for (int i = 0; i < 200; i++) {
                idle.add(openDeclaring(MAX_BODY, new byte[0]));
            }
            // while 200 connections hold 4 GB of declared bodies, a normal client is served
            Thread.sleep(500);
            assertThat(Http.getRun(Http.newRun(experiment))
                            .getJsonObject("info")
                            .getString("experiment_id"))
                    .isEqualTo(experiment);
            long during = Jvm.liveHeapBytes("gateway-service", Suite.GATEWAY_MANAGEMENT_PORT);
            assertThat(during - baseline)
                    .as("gateway heap growth with 200 idle 20 MB declarations (baseline %d bytes)", baseline)
                    .isLessThan(32L << 20);

            // each is answered 408 and closed once its body has not arrived for the idle timeout
            for (Socket s : idle) {
                String answer = readAll(s, Suite.BODY_IDLE_TIMEOUT.plusSeconds(30));
                assertThat(answer).startsWith("HTTP/1.1 408").contains("\"error_code\":\"BAD_REQUEST\"");
            }
        } finally {
            for (Socket s : idle) {
                s.close();
            }
        }
    }

    @Test
    void bodiesPastTheGatewayWideBudgetAreRefusedWithRetryAfterAndTheBudgetComesBack() throws Exception {
        // three bodies of 12 MB arriving at once do not fit the 32 MB budget: one is refused
        List<String> answers = partialBodies(3, 12 << 20);
        assertThat(answers.stream().filter(a -> a.startsWith("HTTP/1.1 503")))
                .isNotEmpty()
                .allSatisfy(a -> assertThat(a)
                        .containsIgnoringCase("retry-after: 1")
                        .contains("\"error_code\":\"TEMPORARILY_UNAVAILABLE\""));
        assertThat(answers).allSatisfy(a -> assertThat(a).matches("(?s)HTTP/1.1 (503|408).*"));

        // every byte went back to the budget: two bodies of 12 MB now fit side by side
        assertThat(partialBodies(2, 12 << 20)).allSatisfy(a -> assertThat(a).startsWith("HTTP/1.1 408"));
    }

    @Test
    void aConnectionTricklingItsRequestHeadIsClosedAfterTheHeadDeadline() throws Exception {
        String experiment = newExperiment();
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try (Socket s = new Socket("127.0.0.1", Suite.GATEWAY_PORT)) {
            OutputStream out = s.getOutputStream();
            out.write("POST /api/2.0/mlflow/runs/create HTTP/1.1\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            // one header byte a second: each byte would reset an idle timeout, the head never completes
            pool.submit(() -> {
                try {
                    for (int i = 0; i < 120; i++) {
                        Thread.sleep(1000);
                        out.write('x');
                        out.flush();
                    }
                } catch (IOException | InterruptedException closed) {
                    // the gateway closed the connection (or the test is over)
                }
                return null;
            });
            // meanwhile a normal client is served
            assertThat(Http.getRun(Http.newRun(experiment))
                            .getJsonObject("info")
                            .getString("experiment_id"))
                    .isEqualTo(experiment);
            // the gateway closes the trickling connection without waiting for the rest of the head
            readAll(s, Suite.REQUEST_HEAD_TIMEOUT.plusSeconds(10));
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aSlowBodyAfterACompleteHeadIsNotCutByTheHeadDeadline() throws Exception {
        byte[] body = ("{\"name\":\"slow-body-" + System.nanoTime() + "\"}").getBytes(StandardCharsets.UTF_8);
        try (Socket s = new Socket("127.0.0.1", Suite.GATEWAY_PORT)) {
            OutputStream out = s.getOutputStream();
            out.write(("POST /api/2.0/mlflow/experiments/create HTTP/1.1\r\n"
                            + "Host: 127.0.0.1\r\n"
                            + "Connection: close\r\n"
                            + "Content-Type: application/json\r\n"
                            + "Content-Length: " + body.length + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            // the body takes well past the head deadline, but never stops for the body idle timeout
            long until = System.nanoTime()
                    + Suite.REQUEST_HEAD_TIMEOUT.multipliedBy(2).toNanos();
            int sent = 0;
            while (sent < body.length) {
                out.write(body[sent++]);
                out.flush();
                if (System.nanoTime() < until) {
                    Thread.sleep(500);
                }
            }
            String answer = readAll(s, Suite.BODY_IDLE_TIMEOUT.plusSeconds(30));
            assertThat(answer).startsWith("HTTP/1.1 200").contains("\"experiment_id\"");
        }
    }

    @Test
    void aRestClientThatLeavesStopsTheServiceWorkDoneForIt() throws Exception {
        String experiment = newExperiment();
        List<String> runs = List.of(Http.newRun(experiment), Http.newRun(experiment));
        for (String run : runs) {
            Http.ok(Http.post(
                    "runs/log-metric",
                    new JsonObject()
                            .put("run_id", run)
                            .put("key", "m")
                            .put("value", 1)
                            .put("timestamp", 1)
                            .put("step", 0)));
        }
        String stoppedForCaller = "skein_tracking_bulk_reads_stopped_total{reason=\"caller\"";
        double stoppedBefore = trackingMetric(stoppedForCaller);
        try (Connection lock = TestInfra.connect(Suite.DATABASE)) {
            lock.setAutoCommit(false);
            try (Statement s = lock.createStatement()) {
                s.execute("LOCK TABLE tracking.metrics IN ACCESS EXCLUSIVE MODE");
            }
            try (Socket client = new Socket("127.0.0.1", Suite.GATEWAY_PORT)) {
                client.getOutputStream()
                        .write(("GET /ajax-api/2.0/mlflow/metrics/get-history-bulk?metric_key=m&run_id=" + runs.get(0)
                                        + "&run_id=" + runs.get(1) + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                                .getBytes(StandardCharsets.US_ASCII));
                // tracking-service reads the first run, held up by the lock; the client leaves meanwhile
                TestInfra.backendWaitingForALock(Suite.DATABASE, "ORDER BY timestamp, step, value");
            }
            // the gateway cancels the call, and tracking-service stops the read for its caller (not at its
            // own deadline, 30 s away): its statement is cancelled while the lock is still held
            TestInfra.await(
                    "tracking-service to stop the read of the client that left",
                    Duration.ofSeconds(25),
                    () -> trackingMetric(stoppedForCaller) > stoppedBefore);
            try (Connection observer = TestInfra.connect(Suite.DATABASE);
                    Statement s = observer.createStatement()) {
                TestInfra.await("the read's statement to be cancelled", Duration.ofSeconds(25), () -> {
                    try (ResultSet r = s.executeQuery("SELECT count(*) FROM pg_stat_activity WHERE pid <>"
                            + " pg_backend_pid() AND strpos(query, 'ORDER BY timestamp, step, value') > 0"
                            + " AND state = 'active'")) {
                        r.next();
                        return r.getInt(1) == 0;
                    } catch (SQLException e) {
                        throw new IllegalStateException(e);
                    }
                });
            }
            lock.rollback();
        }
    }

    /** A metric of tracking-service's Prometheus metrics: the first line starting with {@code series}. */
    private static double trackingMetric(String series) {
        String metrics = Http.api()
                .baseUri("http://127.0.0.1:" + Suite.TRACKING_MANAGEMENT_PORT)
                .get("/q/metrics")
                .asString();
        for (String line : metrics.split("\n")) {
            if (line.startsWith(series)) {
                return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        throw new AssertionError(series + " is not among tracking-service's metrics");
    }

    /** Sends {@code count} requests declaring the largest body, {@code sent} bytes of it each, then waits. */
    private static List<String> partialBodies(int count, int sent) throws Exception {
        byte[] spaces = new byte[sent];
        Arrays.fill(spaces, (byte) ' ');
        ExecutorService pool = Executors.newFixedThreadPool(count);
        try {
            List<Future<String>> answers = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                answers.add(pool.submit(() -> {
                    try (Socket s = openDeclaring(MAX_BODY, spaces)) {
                        return readAll(s, Suite.BODY_IDLE_TIMEOUT.plusSeconds(30));
                    }
                }));
            }
            List<String> result = new ArrayList<>();
            for (Future<String> f : answers) {
                result.add(f.get(2, TimeUnit.MINUTES));
            }
            return result;
        } finally {
            pool.shutdownNow();
        }
    }

    /** A connection that sent a request head declaring {@code declared} body bytes, then {@code body}. */
    private static Socket openDeclaring(int declared, byte[] body) throws IOException {
        Socket s = new Socket("127.0.0.1", Suite.GATEWAY_PORT);
        OutputStream out = s.getOutputStream();
        out.write(("POST /api/2.0/mlflow/experiments/create HTTP/1.1\r\n"
                        + "Host: 127.0.0.1\r\n"
                        + "Content-Type: application/json\r\n"
                        + "Content-Length: " + declared + "\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
        try {
            out.write(body);
            out.flush();
        } catch (IOException refusedMidway) {
            // the gateway may answer and close while the body is still being sent; the answer is read next
        }
        return s;
    }

    /** Everything the server sends until it closes the connection (or the time is up). */
    private static String readAll(Socket s, Duration within) throws IOException {
        s.setSoTimeout((int) within.toMillis());
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        byte[] buf = new byte[8192];
        InputStream in = s.getInputStream();
        try {
            for (int n; (n = in.read(buf)) >= 0; ) {
                got.write(buf, 0, n);
            }
        } catch (SocketTimeoutException e) {
            throw new AssertionError("the gateway kept the connection open for " + within + "; got: " + got);
        } catch (IOException reset) {
            // closed with unread request bytes: a reset may follow the answer
        }
        return got.toString(StandardCharsets.UTF_8);
    }
}
