package dev.skein.tracking;

import static dev.skein.tracking.Grpc.metric;
import static dev.skein.tracking.Grpc.newExperiment;
import static dev.skein.tracking.Grpc.newRun;
import static org.assertj.core.api.Assertions.assertThat;

import dev.skein.proto.tracking.v1.GetMetricHistory;
import dev.skein.proto.tracking.v1.LogBatch;
import dev.skein.proto.tracking.v1.Metric;
import dev.skein.proto.tracking.v1.TrackingServiceGrpc.TrackingServiceBlockingStub;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.junit.QuarkusTest;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** Many writers logging the same keys of one run at once: MLflow deadlocks here (#4353); we must not. */
@QuarkusTest
class ConcurrentWritersTest {

    @GrpcClient("tracking")
    TrackingServiceBlockingStub tracking;

    @Test
    void shouldLoseNothingAndNeverDeadlockWithConcurrentWritersOnOneRun() throws Exception {
        String run = newRun(tracking, newExperiment(tracking));
        int writers = 32;
        int keys = 50;
        int batchesPerWriter = 4;
        ExecutorService pool = Executors.newFixedThreadPool(writers);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int w = 0; w < writers; w++) {
                int writer = w;
                done.add(pool.submit(() -> {
                    Random random = new Random(writer);
                    for (int b = 0; b < batchesPerWriter; b++) {
                        List<Metric> batch = new ArrayList<>();
                        for (int k = 0; k < keys; k++) {
                            // every writer logs every key; step = writer * batches + batch, unique per writer
                            batch.add(metric("key" + k, writer * 1000 + b, 1000 + b, writer * batchesPerWriter + b));
                            // and the same shared point, which must be stored once
                            batch.add(metric("key" + k, -1, 1, 0));
                        }
                        Collections.shuffle(batch, random);
                        tracking.logBatch(LogBatch.newBuilder()
                                .setRunId(run)
                                .addAllMetrics(batch)
                                .build());
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
        var latest = Grpc.getRun(tracking, run).getData().getMetricsList();
        assertThat(latest).hasSize(keys);
        int lastStep = writers * batchesPerWriter - 1;
        assertThat(latest).allSatisfy(m -> assertThat(m.getStep()).isEqualTo(lastStep));
        for (int k = 0; k < keys; k += 7) {
            var history = Grpc.history(
                    tracking,
                    GetMetricHistory.newBuilder()
                            .setRunId(run)
                            .setMetricKey("key" + k)
                            .build());
            assertThat(history.getMetricsList())
                    .hasSize(writers * batchesPerWriter + 1)
                    .doesNotHaveDuplicates();
        }
    }
}
