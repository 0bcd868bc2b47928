package dev.skein.tracking;

import static dev.skein.tracking.Grpc.newExperiment;
import static dev.skein.tracking.Grpc.newRun;
import static org.assertj.core.api.Assertions.assertThat;

import dev.skein.common.error.GrpcErrors;
import dev.skein.common.testing.ServiceTestResource;
import dev.skein.common.testing.TestInfra;
import dev.skein.common.testing.TopicReader;
import dev.skein.common.testing.TopicReader.Event;
import dev.skein.proto.common.v1.ErrorCode;
import dev.skein.proto.tracking.v1.CreateRun;
import dev.skein.proto.tracking.v1.DeleteExperiment;
import dev.skein.proto.tracking.v1.DeleteRun;
import dev.skein.proto.tracking.v1.LogModel;
import dev.skein.proto.tracking.v1.RestoreRun;
import dev.skein.proto.tracking.v1.Run;
import dev.skein.proto.tracking.v1.RunStatus;
import dev.skein.proto.tracking.v1.RunTag;
import dev.skein.proto.tracking.v1.TrackingServiceGrpc.TrackingServiceBlockingStub;
import dev.skein.proto.tracking.v1.UpdateRun;
import io.grpc.StatusRuntimeException;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * Concurrent writers of one run, or of a run and its experiment: whatever interleaving, a run ends
 * as the events published for it say, so a consumer replaying skein.tracking.runs.v1 (artifact GC,
 * evaluation) never holds a deleted run as active or the reverse.
 */
@QuarkusTest
class RunRacesTest {

    private static final RunStatus[] STATUSES = {
        RunStatus.RUNNING, RunStatus.FINISHED, RunStatus.FAILED, RunStatus.KILLED, RunStatus.SCHEDULED
    };

    @GrpcClient("tracking")
    TrackingServiceBlockingStub tracking;

    /** A run as its events describe it: replayed in publication order. */
    private record Replayed(String stage, String status, List<String> invalid) {}

    @Test
    void shouldEndEveryRunAsItsLastEventsSayUnderConcurrentUpdateDeleteRestore() throws Exception {
        String exp = newExperiment(tracking);
        List<String> runs = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            runs.add(newRun(tracking, exp));
        }
        int writers = 12;
        int opsPerWriter = 30;
        run(writers, writer -> {
            Random random = new Random(writer);
            for (int i = 0; i < opsPerWriter; i++) {
                String run = runs.get(random.nextInt(runs.size()));
                int op = random.nextInt(4);
                try {
                    switch (op) {
                        case 0 ->
                            tracking.deleteRun(
                                    DeleteRun.newBuilder().setRunId(run).build());
                        case 1 ->
                            tracking.restoreRun(
                                    RestoreRun.newBuilder().setRunId(run).build());
                        default ->
                            tracking.updateRun(UpdateRun.newBuilder()
                                    .setRunId(run)
                                    .setStatus(STATUSES[random.nextInt(STATUSES.length)])
                                    .setEndTime(i)
                                    .build());
                    }
                } catch (StatusRuntimeException e) {
                    // updating a deleted run is refused, as MLflow does; nothing else may fail
                    assertThat(GrpcErrors.errorCode(e)).isEqualTo(ErrorCode.INVALID_PARAMETER_VALUE);
                    assertThat(op).isGreaterThan(1);
                }
            }
        });

        Map<String, List<Event>> events = publishedEvents(new HashSet<>(runs));
        for (String run : runs) {
            Replayed replayed = replay(events.get(run));
            assertThat(replayed.invalid())
                    .as("events of %s that its state at the time forbids", run)
                    .isEmpty();
            String[] stored = stored(run);
            assertThat(stored[0]).as("lifecycle stage of %s", run).isEqualTo(replayed.stage());
            assertThat(stored[1]).as("status of %s", run).isEqualTo(replayed.status());
        }
    }

    @Test
    void shouldNeverLeaveARunActiveInAnExperimentDeletedWhileItWasCreated() throws Exception {
        for (int round = 0; round < 5; round++) {
            String exp = newExperiment(tracking);
            Set<String> created = java.util.concurrent.ConcurrentHashMap.newKeySet();
            AtomicBoolean deleted = new AtomicBoolean();
            CountDownLatch started = new CountDownLatch(20);
            ExecutorService pool = Executors.newFixedThreadPool(7);
            try {
                List<Future<?>> done = new ArrayList<>();
                for (int w = 0; w < 6; w++) {
                    done.add(pool.submit(() -> {
                        while (true) {
                            boolean deletedBefore = deleted.get();
                            try {
                                created.add(tracking.createRun(CreateRun.newBuilder()
                                                .setExperimentId(exp)
                                                .build())
                                        .getRun()
                                        .getInfo()
                                        .getRunId());
                                assertThat(deletedBefore)
                                        .as("a run created after its experiment's deletion returned")
                                        .isFalse();
                            } catch (StatusRuntimeException e) {
                                assertThat(GrpcErrors.errorCode(e)).isEqualTo(ErrorCode.INVALID_PARAMETER_VALUE);
                                assertThat(e.getStatus().getDescription()).contains("must be in the 'active' state");
                                return null;
                            } finally {
                                started.countDown();
                            }
                        }
                    }));
                }
                started.await();
                tracking.deleteExperiment(
                        DeleteExperiment.newBuilder().setExperimentId(exp).build());
                deleted.set(true);
                for (Future<?> f : done) {
                    f.get();
                }
            } finally {
                pool.shutdownNow();
            }
            for (String run : created) {
                assertThat(stored(run)[0])
                        .as("run %s of deleted experiment %s", run, exp)
                        .isEqualTo("deleted");
            }
        }
    }

    @Test
    void shouldCreateEveryRunOfABurstOnceWithItsTagsAndItsEvent() throws Exception {
        List<String> experiments = List.of(newExperiment(tracking), newExperiment(tracking), newExperiment(tracking));
        Map<String, String> experimentOf = new java.util.concurrent.ConcurrentHashMap<>();
        run(16, writer -> {
            for (int i = 0; i < 25; i++) {
                String exp = experiments.get((writer + i) % experiments.size());
                String name = "burst-" + writer + "-" + i;
                Run run = tracking.createRun(CreateRun.newBuilder()
                                .setExperimentId(exp)
                                .setRunName(name)
                                .setStartTime(1_000L + i)
                                .addTags(RunTag.newBuilder().setKey("writer").setValue(Integer.toString(writer)))
                                .build())
                        .getRun();
                assertThat(run.getInfo().getRunName()).isEqualTo(name);
                assertThat(run.getInfo().getExperimentId()).isEqualTo(exp);
                assertThat(experimentOf.put(run.getInfo().getRunId(), exp))
                        .as("a run id given twice")
                        .isNull();
            }
        });
        assertThat(experimentOf).hasSize(16 * 25);
        for (Map.Entry<String, String> created : experimentOf.entrySet()) {
            Run stored = Grpc.getRun(tracking, created.getKey());
            assertThat(stored.getInfo().getExperimentId()).isEqualTo(created.getValue());
            assertThat(stored.getInfo().getArtifactUri()).endsWith(created.getKey() + "/artifacts");
            assertThat(stored.getData().getTagsList())
                    .extracting(RunTag::getKey)
                    .containsExactly("mlflow.runName", "writer");
        }
        Map<String, List<Event>> events = publishedEvents(experimentOf.keySet());
        assertThat(events).hasSize(experimentOf.size());
        events.forEach((run, list) -> assertThat(list)
                .as("events of run %s", run)
                .extracting(e -> e.header("ce_type"))
                .containsExactly("dev.skein.tracking.run.created.v1"));
    }

    @Test
    void shouldRefuseOnlyTheRunWhoseValueCannotBeStoredWhenCreatedWithOthers() throws Exception {
        String exp = newExperiment(tracking);
        List<String> refusals = java.util.Collections.synchronizedList(new ArrayList<>());
        run(16, writer -> {
            CreateRun.Builder request = CreateRun.newBuilder().setExperimentId(exp);
            if (writer == 7) {
                request.addTags(RunTag.newBuilder().setKey("note").setValue("nul \u0000 inside"));
            }
            try {
                tracking.createRun(request.build());
            } catch (StatusRuntimeException e) {
                assertThat(writer).as("only the run with NUL is refused").isEqualTo(7);
                assertThat(GrpcErrors.errorCode(e)).isEqualTo(ErrorCode.INVALID_PARAMETER_VALUE);
                refusals.add(e.getStatus().getDescription());
            }
        });
        assertThat(refusals).singleElement().asString().contains("NUL");
        try (Connection c = TestInfra.connect(ServiceTestResource.TEST_DATABASE);
                PreparedStatement s = c.prepareStatement("SELECT count(*), count(*) FILTER (WHERE EXISTS (SELECT 1"
                        + " FROM tracking.tags t WHERE t.run_uuid = r.run_uuid AND t.key = 'note'))"
                        + " FROM tracking.runs r WHERE experiment_id = ?")) {
            s.setLong(1, Long.parseLong(exp));
            try (ResultSet rs = s.executeQuery()) {
                rs.next();
                assertThat(rs.getLong(1)).as("runs created").isEqualTo(15);
                assertThat(rs.getLong(2)).as("runs with the refused tag").isZero();
            }
        }
    }

    @Test
    void shouldKeepCreatingRunsInOtherExperimentsWhileOneIsLockedAndRefuseItsRunsPastTheLockTimeout() throws Exception {
        String locked = newExperiment(tracking);
        String other = newExperiment(tracking);
        ExecutorService pool = Executors.newFixedThreadPool(3);
        try (Connection c = TestInfra.connect(ServiceTestResource.TEST_DATABASE)) {
            c.setAutoCommit(false);
            lockExperiment(c, locked);
            List<Future<String>> waiting = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                waiting.add(pool.submit(() -> newRun(tracking, locked)));
            }
            TestInfra.backendWaitingForALock(ServiceTestResource.TEST_DATABASE, "FOR SHARE");
            for (int i = 0; i < 10; i++) {
                String run = newRun(tracking.withDeadlineAfter(10, java.util.concurrent.TimeUnit.SECONDS), other);
                assertThat(stored(run)[0]).isEqualTo("active");
            }
            assertThat(waiting).as("runs of the locked experiment still wait").noneMatch(Future::isDone);
            c.rollback();
            for (Future<String> run : waiting) {
                assertThat(stored(run.get(30, java.util.concurrent.TimeUnit.SECONDS))[0])
                        .isEqualTo("active");
            }
            // held past the lock timeout (8 s in tests): the waiting runs are refused, none written
            lockExperiment(c, locked);
            List<Future<String>> refused = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                refused.add(pool.submit(
                        () -> Grpc.fails(ErrorCode.TEMPORARILY_UNAVAILABLE, () -> newRun(tracking, locked))));
            }
            for (Future<String> message : refused) {
                assertThat(message.get(30, java.util.concurrent.TimeUnit.SECONDS))
                        .contains("stayed locked");
            }
            c.rollback();
            try (PreparedStatement s =
                    c.prepareStatement("SELECT count(*) FROM tracking.runs WHERE experiment_id = ?")) {
                s.setLong(1, Long.parseLong(locked));
                try (ResultSet rs = s.executeQuery()) {
                    rs.next();
                    assertThat(rs.getLong(1)).as("runs of the experiment").isEqualTo(3);
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void shouldKeepEveryModelLoggedAtOnceToAFreshRun() throws Exception {
        String exp = newExperiment(tracking);
        int models = 6;
        for (int round = 0; round < 5; round++) {
            String run = newRun(tracking, exp);
            run(
                    models,
                    m -> tracking.logModel(LogModel.newBuilder()
                            .setRunId(run)
                            .setModelJson(new JsonObject()
                                    .put("artifact_path", "model-" + m)
                                    .put("flavors", new JsonObject())
                                    .put("utc_time_created", "2024-01-01 00:00:00.000000")
                                    .put("run_id", run)
                                    .encode())
                            .build()));
            String history = Grpc.getRun(tracking, run).getData().getTagsList().stream()
                    .filter(t -> t.getKey().equals("mlflow.log-model.history"))
                    .findFirst()
                    .orElseThrow()
                    .getValue();
            assertThat(new JsonArray(history)).as("models logged to %s", run).hasSize(models);
        }
    }

    private interface Writer {
        void write(int writer) throws Exception;
    }

    private static void run(int writers, Writer body) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(writers);
        CountDownLatch go = new CountDownLatch(1);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int w = 0; w < writers; w++) {
                int writer = w;
                done.add(pool.submit((Callable<Void>) () -> {
                    go.await();
                    body.write(writer);
                    return null;
                }));
            }
            go.countDown();
            for (Future<?> f : done) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
    }

    /** Every event of the runs, per run in publication order (one key, one partition), once the outbox has sent them. */
    static Map<String, List<Event>> publishedEvents(Set<String> runs) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (waiting(runs) > 0) {
            assertThat(System.nanoTime()).as("outbox drained").isLessThan(deadline);
            Thread.sleep(100);
        }
        Map<String, List<Event>> byRun = new HashMap<>();
        TopicReader.read(
                        TestInfra.kafkaBootstrap(),
                        RunEventsTest.TOPIC,
                        runs::contains,
                        Integer.MAX_VALUE,
                        Duration.ofSeconds(8),
                        Duration.ZERO)
                .forEach(e ->
                        byRun.computeIfAbsent(e.key(), k -> new ArrayList<>()).add(e));
        return byRun;
    }

    private static Replayed replay(List<Event> events) {
        String stage = null;
        String status = null;
        List<String> invalid = new ArrayList<>();
        for (Event e : events) {
            JsonObject payload = new JsonObject(e.value());
            String type = e.header("ce_type");
            switch (type) {
                case "dev.skein.tracking.run.created.v1" -> {
                    stage = "active";
                    status = payload.getString("status");
                }
                case "dev.skein.tracking.run.updated.v1" -> {
                    if (!"active".equals(stage)) {
                        invalid.add("updated while " + stage);
                    }
                    status = payload.getString("status");
                }
                case "dev.skein.tracking.run.deleted.v1" -> {
                    if (!"active".equals(stage)) {
                        invalid.add("deleted while " + stage);
                    }
                    stage = "deleted";
                }
                case "dev.skein.tracking.run.restored.v1" -> {
                    if (!"deleted".equals(stage)) {
                        invalid.add("restored while " + stage);
                    }
                    stage = "active";
                }
                default -> invalid.add("unexpected " + type);
            }
        }
        return new Replayed(stage, status, invalid);
    }

    private static long waiting(Set<String> runs) throws SQLException {
        try (Connection c = TestInfra.connect(ServiceTestResource.TEST_DATABASE);
                PreparedStatement s =
                        c.prepareStatement("SELECT count(*) FROM tracking.outbox WHERE partition_key = ANY(?)")) {
            s.setArray(1, c.createArrayOf("text", runs.toArray()));
            try (ResultSet rs = s.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    /** Locks the experiment's row FOR UPDATE in {@code c}'s open transaction, as its deletion does. */
    private static void lockExperiment(Connection c, String experiment) throws SQLException {
        try (PreparedStatement s =
                c.prepareStatement("SELECT 1 FROM tracking.experiments WHERE experiment_id = ? FOR UPDATE")) {
            s.setLong(1, Long.parseLong(experiment));
            s.executeQuery().close();
        }
    }

    /** The run's lifecycle stage and status as stored. */
    static String[] stored(String run) throws SQLException {
        try (Connection c = TestInfra.connect(ServiceTestResource.TEST_DATABASE);
                PreparedStatement s =
                        c.prepareStatement("SELECT lifecycle_stage, status FROM tracking.runs WHERE run_uuid = ?")) {
            s.setString(1, run);
            try (ResultSet rs = s.executeQuery()) {
                assertThat(rs.next()).as("run %s exists", run).isTrue();
                return new String[] {rs.getString(1), rs.getString(2)};
            }
        }
    }
}
