package dev.skein.tracking;

import static dev.skein.tracking.Grpc.fails;
import static dev.skein.tracking.Grpc.metric;
import static dev.skein.tracking.Grpc.newExperiment;
import static dev.skein.tracking.Grpc.newRun;
import static org.assertj.core.api.Assertions.assertThat;

import dev.skein.proto.common.v1.ErrorCode;
import dev.skein.proto.tracking.v1.CreateRun;
import dev.skein.proto.tracking.v1.Dataset;
import dev.skein.proto.tracking.v1.DatasetInput;
import dev.skein.proto.tracking.v1.DeleteRun;
import dev.skein.proto.tracking.v1.InputTag;
import dev.skein.proto.tracking.v1.LogBatch;
import dev.skein.proto.tracking.v1.LogInputs;
import dev.skein.proto.tracking.v1.LogMetric;
import dev.skein.proto.tracking.v1.Param;
import dev.skein.proto.tracking.v1.Run;
import dev.skein.proto.tracking.v1.RunStatus;
import dev.skein.proto.tracking.v1.RunTag;
import dev.skein.proto.tracking.v1.SearchRuns;
import dev.skein.proto.tracking.v1.TrackingServiceGrpc.TrackingServiceBlockingStub;
import dev.skein.proto.tracking.v1.UpdateRun;
import dev.skein.proto.tracking.v1.ViewType;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.junit.QuarkusTest;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Four runs in a fresh experiment, each with a metric, a param, a tag and (two of them) a dataset,
 * searched with MLflow's filter language.
 */
@QuarkusTest
class RunSearchTest {

    @GrpcClient("tracking")
    TrackingServiceBlockingStub tracking;

    String exp;
    List<String> runs;

    @BeforeEach
    void fourRuns() {
        exp = newExperiment(tracking);
        runs = new ArrayList<>();
        String[] models = {"cnn", "CNN-large", "rnn", "it's quoted"};
        for (int i = 0; i < 4; i++) {
            String run = tracking.createRun(CreateRun.newBuilder()
                            .setExperimentId(exp)
                            .setRunName("run-" + i)
                            .setStartTime(1000 + i)
                            .setUserId(i % 2 == 0 ? "ada" : "bob")
                            .build())
                    .getRun()
                    .getInfo()
                    .getRunId();
            LogBatch.Builder batch = LogBatch.newBuilder()
                    .setRunId(run)
                    .addParams(Param.newBuilder().setKey("model").setValue(models[i]))
                    .addTags(RunTag.newBuilder().setKey("team").setValue(i < 2 ? "vision" : "nlp"));
            if (i != 3) {
                batch.addMetrics(metric("acc", 0.5 + i * 0.1, 1, 0)); // run 3 has no acc
            }
            tracking.logBatch(batch.build());
            runs.add(run);
        }
        for (int i = 0; i < 2; i++) {
            tracking.logInputs(LogInputs.newBuilder()
                    .setRunId(runs.get(i))
                    .addDatasets(DatasetInput.newBuilder()
                            .addTags(InputTag.newBuilder()
                                    .setKey("mlflow.data.context")
                                    .setValue(i == 0 ? "train" : "eval"))
                            .setDataset(Dataset.newBuilder()
                                    .setName("ds" + i)
                                    .setDigest("d" + i)
                                    .setSourceType("local")
                                    .setSource("s")))
                    .build());
        }
        tracking.updateRun(UpdateRun.newBuilder()
                .setRunId(runs.get(1))
                .setStatus(RunStatus.FINISHED)
                .setEndTime(5000)
                .build());
    }

    private List<String> search(String filter, String... orderBy) {
        SearchRuns.Builder b = SearchRuns.newBuilder().addExperimentIds(exp).setFilter(filter);
        for (String o : orderBy) {
            b.addOrderBy(o);
        }
        return Grpc.searchRuns(tracking, b.build()).getRunsList().stream()
                .map(r -> r.getInfo().getRunId())
                .toList();
    }

    private List<String> runs(int... indexes) {
        List<String> ids = new ArrayList<>();
        for (int i : indexes) {
            ids.add(runs.get(i));
        }
        return ids;
    }

    @Test
    void shouldFilterOnMetricsParamsTagsAndAttributes() {
        assertThat(search("metrics.acc > 0.55")).containsExactlyInAnyOrderElementsOf(runs(1, 2));
        assertThat(search("metric.acc <= 0.6 AND tags.team = 'vision'"))
                .containsExactlyInAnyOrderElementsOf(runs(0, 1));
        assertThat(search("metrics.acc != 0.5")).containsExactlyInAnyOrderElementsOf(runs(1, 2));
        assertThat(search("params.model = 'cnn'")).containsExactly(runs.get(0));
        assertThat(search("params.model LIKE 'cnn%'")).containsExactly(runs.get(0));
        assertThat(search("params.model ILIKE 'cnn%'")).containsExactlyInAnyOrderElementsOf(runs(0, 1));
        assertThat(search("params.model != 'cnn'")).containsExactlyInAnyOrderElementsOf(runs(1, 2, 3));
        assertThat(search("tags.team = \"nlp\"")).containsExactlyInAnyOrderElementsOf(runs(2, 3));
        assertThat(search("attributes.status = 'FINISHED'")).containsExactly(runs.get(1));
        assertThat(search("run_name = 'run-2'")).containsExactly(runs.get(2));
        assertThat(search("attributes.user_id = 'bob' and start_time >= 1002")).containsExactly(runs.get(3));
        assertThat(search("attributes.run_id IN ('" + runs.get(0) + "', '" + runs.get(3) + "')"))
                .containsExactlyInAnyOrderElementsOf(runs(0, 3));
        assertThat(search("run_id NOT IN ('" + runs.get(0) + "')")).containsExactlyInAnyOrderElementsOf(runs(1, 2, 3));
        assertThat(search("attribute.end_time = 5000")).containsExactly(runs.get(1));
    }

    @Test
    void shouldMatchWholeParamAndTagValuesWhateverTheirLength() {
        String prefix = "p".repeat(200);
        String[] values = {"abc", "abc" + "x".repeat(198), prefix + "one", prefix + "two", "abd"};
        for (int i = 0; i < values.length; i++) {
            tracking.logBatch(LogBatch.newBuilder()
                    .setRunId(runs.get(i % 4))
                    .addParams(Param.newBuilder().setKey("v" + i / 4).setValue(values[i]))
                    .addTags(RunTag.newBuilder().setKey("long").setValue(values[i]))
                    .build());
        }
        // run 0 holds "abc" as v0 and "abd" as v1 (tag: the last one written)
        assertThat(search("params.v0 = 'abc'")).containsExactly(runs.get(0));
        assertThat(search("params.v0 = '" + values[1] + "'")).containsExactly(runs.get(1));
        assertThat(search("params.v0 = '" + values[2] + "'")).containsExactly(runs.get(2));
        assertThat(search("params.v0 = '" + prefix + "'")).isEmpty();
        assertThat(search("params.v1 = 'abd'")).containsExactly(runs.get(0));
        assertThat(search("tags.long = '" + values[3] + "'")).containsExactly(runs.get(3));
        assertThat(search("tags.long = 'abc'")).isEmpty();
        assertThat(search("tags.long = 'abd'")).containsExactly(runs.get(0));
    }

    @Test
    void shouldMatchRunNamesByLikeWhateverTheirLengthAndCharacters() throws Exception {
        String named = newExperiment(tracking);
        String longName = "run-5" + "x".repeat(300);
        String[] names = {"run-5", "run-50", "run-6", longName, "Run-5", "a\uD83D\uDE00b", "a\uDBFF\uDFFFz", "", null};
        List<String> ids = new ArrayList<>();
        try (java.sql.Connection c = dev.skein.common.testing.TestInfra.connect(
                        dev.skein.common.testing.ServiceTestResource.TEST_DATABASE);
                java.sql.PreparedStatement insert = c.prepareStatement(
                        "INSERT INTO tracking.runs (run_uuid, experiment_id, name, status, start_time, artifact_uri)"
                                + " VALUES (?, ?, ?, 'FINISHED', ?, 'mlflow-artifacts:/x')")) {
            for (int i = 0; i < names.length; i++) {
                String id = java.util.UUID.randomUUID().toString().replace("-", "");
                insert.setString(1, id);
                insert.setLong(2, Long.parseLong(named));
                insert.setString(3, names[i]);
                insert.setLong(4, 100 - i); // newest first: in the order above
                insert.executeUpdate();
                ids.add(id);
            }
        }
        java.util.function.Function<String, List<String>> like = filter -> pages(List.of(named), filter, null, 1000);
        java.util.function.IntFunction<String> id = ids::get;
        assertThat(like.apply("attributes.run_name LIKE 'run-5%'"))
                .containsExactly(id.apply(0), id.apply(1), id.apply(3));
        assertThat(like.apply("attributes.run_name LIKE 'run-5'")).containsExactly(id.apply(0));
        assertThat(like.apply("attributes.run_name LIKE 'run-_'")).containsExactly(id.apply(0), id.apply(2));
        assertThat(like.apply("attributes.run_name LIKE '" + "run-5" + "x".repeat(250) + "%'"))
                .containsExactly(id.apply(3));
        assertThat(like.apply("attributes.run_name LIKE '" + longName + "'")).containsExactly(id.apply(3));
        assertThat(like.apply("attributes.run_name LIKE 'a\uD83D\uDE00%'")).containsExactly(id.apply(5));
        assertThat(like.apply("attributes.run_name LIKE 'a\uDBFF\uDFFF%'")).containsExactly(id.apply(6));
        assertThat(like.apply("attributes.run_name LIKE 'a%'")).containsExactly(id.apply(5), id.apply(6));
        assertThat(like.apply("attributes.run_name ILIKE 'RUN-5'")).containsExactly(id.apply(0), id.apply(4));
        assertThat(like.apply("attributes.run_name LIKE '%5'")).containsExactly(id.apply(0), id.apply(4));
        assertThat(like.apply("attributes.run_name LIKE '%'")).hasSize(names.length - 1);
    }

    @Test
    void shouldAcceptAThousandComparisonsAndRefuseMoreBeforeAnyWork() {
        String thousand = String.join(" and ", java.util.Collections.nCopies(1000, "attributes.status != 'KILLED'"));
        assertThat(search(thousand)).containsExactlyInAnyOrderElementsOf(runs(0, 1, 2, 3));
        String message =
                fails(ErrorCode.INVALID_PARAMETER_VALUE, () -> search(thousand + " and attributes.status != 'KILLED'"));
        assertThat(message).contains("at most 1000");
        fails(
                ErrorCode.INVALID_PARAMETER_VALUE,
                () -> search(
                        "",
                        java.util.Collections.nCopies(1001, "attributes.start_time")
                                .toArray(String[]::new)));
    }

    @Test
    void shouldFilterOnDatasets() {
        assertThat(search("datasets.name = 'ds1'")).containsExactly(runs.get(1));
        assertThat(search("dataset.digest IN ('d0', 'd1')")).containsExactlyInAnyOrderElementsOf(runs(0, 1));
        assertThat(search("datasets.context = 'train'")).containsExactly(runs.get(0));
        assertThat(search("datasets.name LIKE 'ds%' AND datasets.context != 'train'"))
                .containsExactly(runs.get(1));
    }

    @Test
    void shouldMatchQuotesInsideStringsLiterallyAndNeverAsSql() {
        assertThat(search("params.model = \"it's quoted\"")).containsExactly(runs.get(3));
        assertThat(search("params.model = 'it''s quoted'")).containsExactly(runs.get(3));
        assertThat(search("params.model = 'x'' OR ''1''=''1'")).isEmpty();
        assertThat(search("tags.\"team\" = 'nlp' AND params.`model` LIKE '%''%'"))
                .containsExactly(runs.get(3));
    }

    @Test
    void shouldTreatBackslashesInLikePatternsLiterally() {
        // PostgreSQL's own LIKE would fail on a pattern ending in its escape character
        assertThat(search("params.model LIKE 'cnn\\'")).isEmpty();
    }

    @Test
    void shouldRefuseInvalidFiltersNamingTheProblem() {
        String[][] cases = {
            {"metrics.acc > 'high'", "numeric"},
            {"params.model > 'a'", "operator '>'"},
            {"params.model = 1", "quoted string"},
            {"params.model = 'a' OR params.model = 'b'", "AND"},
            {"bogus.key = 'a'", "bogus"},
            {"attributes.colour = 'red'", "colour"},
            {"params.model = 'unterminated", "unterminated"},
            {"params.model", "end"},
            {"params.model = 'a'; DROP TABLE runs", "';'"},
            {"metrics.acc IN (1, 2)", "operator 'IN'"},
            {"start_time > 1.5", "integer"},
            {"datasets.size = 'x'", "size"},
        };
        for (String[] c : cases) {
            String message = fails(ErrorCode.INVALID_PARAMETER_VALUE, () -> search(c[0]));
            assertThat(message).as(c[0]).contains(c[1]);
        }
        fails(ErrorCode.INVALID_PARAMETER_VALUE, () -> search("", "metrics.acc SIDEWAYS"));
        fails(ErrorCode.INVALID_PARAMETER_VALUE, () -> search("", "datasets.name"));
    }

    @Test
    void shouldOrderWithMissingValuesLastAndMlflowTieBreaks() {
        assertThat(search("", "metrics.acc DESC")).containsExactlyElementsOf(runs(2, 1, 0, 3));
        assertThat(search("", "metrics.acc")).containsExactlyElementsOf(runs(0, 1, 2, 3));
        // strings sort by code point, as in MLflow: upper case first
        assertThat(search("", "params.model ASC")).containsExactlyElementsOf(runs(1, 0, 3, 2));
        // equal team values: newest start first
        assertThat(search("", "tags.team DESC")).containsExactlyElementsOf(runs(1, 0, 3, 2));
        // no order: newest first
        assertThat(search("")).containsExactlyElementsOf(runs(3, 2, 1, 0));
        assertThat(search("", "attributes.start_time ASC")).containsExactlyElementsOf(runs(0, 1, 2, 3));
    }

    @Test
    void shouldOrderByAMetricAsMlflowDoesNumbersThenNanThenMissingOnEveryPage() {
        String experiment = newExperiment(tracking);
        // created oldest first: ties (NaN, missing) come newest first
        double[] values = {1, Double.NaN, Double.NEGATIVE_INFINITY, Double.POSITIVE_INFINITY, 0.5, Double.NaN};
        List<String> scored = new ArrayList<>();
        for (int i = 0; i < values.length; i++) {
            scored.add(runStartedAt(experiment, 1000 + i));
            tracking.logMetric(LogMetric.newBuilder()
                    .setRunId(scored.get(i))
                    .setKey("loss")
                    .setValue(values[i])
                    .setTimestamp(1)
                    .build());
        }
        List<String> without = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            without.add(runStartedAt(experiment, 2000 + i));
        }
        List<String> descending = List.of(
                scored.get(3),
                scored.get(0),
                scored.get(4),
                scored.get(2),
                scored.get(5),
                scored.get(1),
                without.get(1),
                without.get(0));
        List<String> ascending = List.of(
                scored.get(2),
                scored.get(4),
                scored.get(0),
                scored.get(3),
                scored.get(5),
                scored.get(1),
                without.get(1),
                without.get(0));
        for (int pageSize : new int[] {1, 3, 100}) {
            assertThat(pages(experiment, "metrics.loss DESC", pageSize))
                    .as("DESC, %d a page", pageSize)
                    .containsExactlyElementsOf(descending);
            assertThat(pages(experiment, "metrics.loss ASC", pageSize))
                    .as("ASC, %d a page", pageSize)
                    .containsExactlyElementsOf(ascending);
        }
        // a filter applies to every group; a NaN never matches a comparison
        assertThat(Grpc.searchRuns(
                                tracking,
                                SearchRuns.newBuilder()
                                        .addExperimentIds(experiment)
                                        .setFilter("metrics.loss < 2")
                                        .addOrderBy("metrics.loss DESC")
                                        .build())
                        .getRunsList()
                        .stream()
                        .map(r -> r.getInfo().getRunId())
                        .toList())
                .containsExactly(scored.get(0), scored.get(4), scored.get(2));
    }

    @Test
    void shouldOrderByAParamOrTagByTheWholeValueInByteOrderWithMissingLastOnEveryPage() {
        String experiment = newExperiment(tracking);
        String prefix = "a".repeat(200); // as long as the part of a value the order index holds
        String[] values = {prefix + "b", "b", prefix + "a", "A", null, null};
        List<String> made = new ArrayList<>();
        for (int i = 0; i < values.length; i++) {
            made.add(runStartedAt(experiment, 1000 + i));
            if (values[i] != null) {
                tracking.logBatch(LogBatch.newBuilder()
                        .setRunId(made.get(i))
                        .addParams(Param.newBuilder().setKey("path").setValue(values[i]))
                        .addTags(RunTag.newBuilder().setKey("path").setValue(values[i]))
                        .build());
            }
        }
        List<String> ascending = List.of(made.get(3), made.get(2), made.get(0), made.get(1), made.get(5), made.get(4));
        List<String> descending = List.of(made.get(1), made.get(0), made.get(2), made.get(3), made.get(5), made.get(4));
        for (int pageSize : new int[] {1, 4, 100}) {
            for (String field : new String[] {"params.path", "tags.path"}) {
                assertThat(pages(experiment, field + " ASC", pageSize))
                        .as("%s ASC, %d a page", field, pageSize)
                        .containsExactlyElementsOf(ascending);
                assertThat(pages(experiment, field + " DESC", pageSize))
                        .as("%s DESC, %d a page", field, pageSize)
                        .containsExactlyElementsOf(descending);
            }
        }
    }

    @Test
    void shouldOrderRightWhereTheKeyIsCommonInAnotherExperiment() throws Exception {
        String searched = newExperiment(tracking);
        String other = newExperiment(tracking);
        String key = "shared-" + System.nanoTime();
        // the searched experiment's first two runs tie with 1,200 runs of another experiment that come
        // after them in the key's index; its newest run ties too but comes after those
        List<String> made = new ArrayList<>();
        for (long start : new long[] {1, 2}) {
            made.add(scored(searched, key, 5, start));
        }
        try (java.sql.Connection c = dev.skein.common.testing.TestInfra.connect(
                        dev.skein.common.testing.ServiceTestResource.TEST_DATABASE);
                java.sql.PreparedStatement runs = c.prepareStatement("INSERT INTO tracking.runs (run_uuid,"
                        + " experiment_id, status, start_time, artifact_uri) SELECT md5(? || g), ?, 'FINISHED', 1000 + g,"
                        + " 'mlflow-artifacts:/x' FROM generate_series(1, 1200) g");
                java.sql.PreparedStatement values = c.prepareStatement(
                        "INSERT INTO tracking.latest_metrics (run_uuid,"
                                + " key, step, timestamp, value) SELECT md5(? || g), ?, 0, 1, 5 FROM generate_series(1, 1200) g")) {
            runs.setString(1, key);
            runs.setLong(2, Long.parseLong(other));
            runs.executeUpdate();
            values.setString(1, key);
            values.setString(2, key);
            values.executeUpdate();
        }
        made.add(scored(searched, key, 5, 100));
        made.add(scored(searched, key, 1, 3));
        List<String> expected = List.of(made.get(2), made.get(1), made.get(0), made.get(3));
        for (int pageSize : new int[] {1, 2, 100}) {
            assertThat(pages(searched, "metrics.`" + key + "` DESC", pageSize))
                    .as("%d a page", pageSize)
                    .containsExactlyElementsOf(expected);
        }
    }

    private String runStartedAt(String experiment, long start) {
        return tracking.createRun(CreateRun.newBuilder()
                        .setExperimentId(experiment)
                        .setStartTime(start)
                        .build())
                .getRun()
                .getInfo()
                .getRunId();
    }

    private String scored(String experiment, String key, double value, long start) {
        String run = runStartedAt(experiment, start);
        tracking.logMetric(LogMetric.newBuilder()
                .setRunId(run)
                .setKey(key)
                .setValue(value)
                .setTimestamp(1)
                .build());
        return run;
    }

    @Test
    void shouldPageAfterTheLastRunOfEachPageThroughTiesAndRunsWithoutAStartTime() throws Exception {
        String tied = newExperiment(tracking);
        String longPrefix = "q".repeat(200);
        try (java.sql.Connection c = dev.skein.common.testing.TestInfra.connect(
                        dev.skein.common.testing.ServiceTestResource.TEST_DATABASE);
                java.sql.Statement s = c.createStatement()) {
            String run = "md5('" + tied + "-' || g)";
            // 40 runs: four values, start times 5, 6 or none; NaN and no value for a few
            s.execute("INSERT INTO tracking.runs (run_uuid, experiment_id, status, start_time, artifact_uri) SELECT "
                    + run + ", " + tied + ", 'FINISHED', CASE g % 3 WHEN 0 THEN NULL ELSE 4 + g % 3 END,"
                    + " 'mlflow-artifacts:/x' FROM generate_series(1, 40) g");
            s.execute("INSERT INTO tracking.latest_metrics (run_uuid, key, step, timestamp, value) SELECT " + run
                    + ", 'tie', 0, 1, CASE WHEN g % 13 = 0 THEN 'NaN'::float8 ELSE g % 4 END"
                    + " FROM generate_series(1, 40) g WHERE g % 17 <> 0");
            s.execute("INSERT INTO tracking.params (run_uuid, key, value) SELECT " + run + ", 'tie', '" + longPrefix
                    + "' || (g % 4) FROM generate_series(1, 40) g WHERE g % 11 <> 0");
        }
        for (String order : List.of("metrics.tie DESC", "metrics.tie ASC", "params.tie DESC", "params.tie ASC")) {
            List<String> whole = pages(tied, order, 1000);
            assertThat(whole).as(order).hasSize(40).doesNotHaveDuplicates();
            for (int pageSize : new int[] {1, 3, 7}) {
                assertThat(pages(tied, order, pageSize))
                        .as("%s, %d a page", order, pageSize)
                        .containsExactlyElementsOf(whole);
            }
        }
        // a token that says where a metric's page ended must hold a number
        String forged = java.util.Base64.getEncoder()
                .encodeToString("{\"offset\":3,\"snapshot\":1,\"after\":{\"value\":\"x\",\"start\":null,\"run\":\"r\"}}"
                        .getBytes(java.nio.charset.StandardCharsets.UTF_8));
        assertThat(Grpc.fails(
                        ErrorCode.INVALID_PARAMETER_VALUE,
                        () -> Grpc.searchRuns(
                                tracking,
                                SearchRuns.newBuilder()
                                        .addExperimentIds(tied)
                                        .addOrderBy("metrics.tie DESC")
                                        .setPageToken(forged)
                                        .build())))
                .contains("Invalid page token");
    }

    private List<String> pages(String experiment, String orderBy, int pageSize) {
        return pages(List.of(experiment), "", orderBy, pageSize);
    }

    private List<String> pages(List<String> experiments, String filter, String orderBy, int pageSize) {
        SearchRuns.Builder request = SearchRuns.newBuilder()
                .addAllExperimentIds(experiments)
                .setFilter(filter)
                .setMaxResults(pageSize);
        if (orderBy != null) {
            request.addOrderBy(orderBy);
        }
        List<String> seen = new ArrayList<>();
        while (true) {
            SearchRuns.Response page = Grpc.searchRuns(tracking, request.build());
            page.getRunsList().forEach(r -> seen.add(r.getInfo().getRunId()));
            if (!page.hasNextPageToken()) {
                return seen;
            }
            request.setPageToken(page.getNextPageToken());
        }
    }

    @Test
    void shouldSearchSeveralExperimentsAsOneOrderOnEveryPage() throws Exception {
        List<String> experiments = List.of(newExperiment(tracking), newExperiment(tracking), newExperiment(tracking));
        record Row(String id, Long start, String name, boolean finished) {}
        List<Row> rows = new ArrayList<>();
        try (java.sql.Connection c = dev.skein.common.testing.TestInfra.connect(
                        dev.skein.common.testing.ServiceTestResource.TEST_DATABASE);
                java.sql.PreparedStatement insert = c.prepareStatement(
                        "INSERT INTO tracking.runs (run_uuid, experiment_id, name, status, start_time, artifact_uri)"
                                + " VALUES (?, ?, ?, ?, ?, 'mlflow-artifacts:/x')")) {
            for (int g = 0; g < 36; g++) {
                // start times shared across experiments (ties broken by run id) or none; names out of step
                Long start = g % 5 == 0 ? null : (long) (g * 7 % 11);
                Row row = new Row(
                        java.util.UUID.randomUUID().toString().replace("-", ""), start, "n" + (g * 5 % 13), g % 4 != 0);
                insert.setString(1, row.id());
                insert.setLong(2, Long.parseLong(experiments.get(g % 3)));
                insert.setString(3, row.name());
                insert.setString(4, row.finished() ? "FINISHED" : "FAILED");
                insert.setObject(5, start, java.sql.Types.BIGINT);
                insert.executeUpdate();
                rows.add(row);
            }
        }
        java.util.Comparator<Row> tieBreak = java.util.Comparator.comparing(
                        Row::start, java.util.Comparator.nullsLast(java.util.Comparator.<Long>reverseOrder()))
                .thenComparing(Row::id);
        List<String> newestFirst = rows.stream().sorted(tieBreak).map(Row::id).toList();
        List<String> finishedByName = rows.stream()
                .filter(Row::finished)
                .sorted(java.util.Comparator.comparing(Row::name).thenComparing(tieBreak))
                .map(Row::id)
                .toList();
        // an experiment named twice and one that cannot exist change nothing
        List<String> asked = new ArrayList<>(experiments);
        asked.add(experiments.get(1));
        asked.add("not-an-id");
        for (int pageSize : new int[] {1, 4, 1000}) {
            assertThat(pages(asked, "", null, pageSize))
                    .as("newest first, %d a page", pageSize)
                    .containsExactlyElementsOf(newestFirst);
            assertThat(pages(asked, "attributes.status = 'FINISHED'", "attributes.run_name ASC", pageSize))
                    .as("finished by name, %d a page", pageSize)
                    .containsExactlyElementsOf(finishedByName);
        }
    }

    @Test
    void shouldPageThroughEveryRunExactlyOnce() {
        List<String> seen = new ArrayList<>();
        SearchRuns.Builder request =
                SearchRuns.newBuilder().addExperimentIds(exp).setMaxResults(3).addOrderBy("attributes.run_name");
        int pages = 0;
        while (true) {
            SearchRuns.Response page = Grpc.searchRuns(tracking, request.build());
            pages++;
            page.getRunsList().forEach(r -> seen.add(r.getInfo().getRunId()));
            if (!page.hasNextPageToken()) {
                break;
            }
            request.setPageToken(page.getNextPageToken());
        }
        assertThat(pages).isEqualTo(2);
        assertThat(seen).containsExactlyElementsOf(runs(0, 1, 2, 3));
        SearchRuns.Response exact = Grpc.searchRuns(
                tracking,
                SearchRuns.newBuilder().addExperimentIds(exp).setMaxResults(4).build());
        assertThat(exact.getRunsCount()).isEqualTo(4);
        assertThat(exact.hasNextPageToken()).as("no token when nothing follows").isFalse();
    }

    @Test
    void shouldKeepEveryPageStableWhileRunsAreCreated() {
        String experiment = newExperiment(tracking);
        List<String> scored = new ArrayList<>();
        for (int i = 0; i < 9; i++) {
            scored.add(scoredRun(experiment, i));
        }
        SearchRuns.Builder request = SearchRuns.newBuilder()
                .addExperimentIds(experiment)
                .setMaxResults(3)
                .addOrderBy("metrics.score DESC");
        List<String> seen = new ArrayList<>();
        SearchRuns.Response page = Grpc.searchRuns(tracking, request.build());
        page.getRunsList().forEach(r -> seen.add(r.getInfo().getRunId()));
        // runs created while the client pages, all sorting before what it has seen
        List<String> created =
                List.of(scoredRun(experiment, 100), scoredRun(experiment, 101), scoredRun(experiment, 102));
        while (page.hasNextPageToken()) {
            page = Grpc.searchRuns(
                    tracking, request.setPageToken(page.getNextPageToken()).build());
            page.getRunsList().forEach(r -> seen.add(r.getInfo().getRunId()));
        }
        assertThat(seen).containsExactlyElementsOf(reversed(scored));
        // a new search sees them
        List<String> fresh = Grpc.searchRuns(tracking, request.clearPageToken().build()).getRunsList().stream()
                .map(r -> r.getInfo().getRunId())
                .toList();
        assertThat(fresh).containsExactlyElementsOf(reversed(created));
    }

    private static List<String> reversed(List<String> list) {
        List<String> copy = new ArrayList<>(list);
        java.util.Collections.reverse(copy);
        return copy;
    }

    private String scoredRun(String experiment, double score) {
        String run = newRun(tracking, experiment);
        tracking.logMetric(LogMetric.newBuilder()
                .setRunId(run)
                .setKey("score")
                .setValue(score)
                .setTimestamp(1)
                .build());
        return run;
    }

    @Test
    void shouldAnswerALargePageInChunksOfRunsWithTheirDataInOrder() throws Exception {
        String big = newExperiment(tracking);
        try (java.sql.Connection c = dev.skein.common.testing.TestInfra.connect(
                        dev.skein.common.testing.ServiceTestResource.TEST_DATABASE);
                java.sql.Statement s = c.createStatement()) {
            String run = "md5('" + big + "-' || g)";
            s.execute("INSERT INTO tracking.runs (run_uuid, experiment_id, status, start_time, artifact_uri) SELECT "
                    + run + ", " + big + ", 'FINISHED', g, 'mlflow-artifacts:/x' FROM generate_series(1, 450) g");
            s.execute("INSERT INTO tracking.params (run_uuid, key, value) SELECT " + run + ", 'g', g::text"
                    + " FROM generate_series(1, 450) g");
            s.execute("INSERT INTO tracking.latest_metrics (run_uuid, key, step, timestamp, value) SELECT " + run
                    + ", 'm', 0, 1, g FROM generate_series(1, 450) g");
        }
        SearchRuns.Builder request = SearchRuns.newBuilder()
                .addExperimentIds(big)
                .setMaxResults(1000)
                .addOrderBy("metrics.m DESC");
        List<SearchRuns.Response> chunks = new ArrayList<>();
        tracking.searchRuns(request.build()).forEachRemaining(chunks::add);
        assertThat(chunks).hasSize(3).allSatisfy(chunk -> assertThat(chunk.getRunsCount())
                .isLessThanOrEqualTo(200));
        List<Run> all =
                chunks.stream().flatMap(chunk -> chunk.getRunsList().stream()).toList();
        assertThat(all).hasSize(450);
        for (int i = 0; i < all.size(); i++) {
            Run r = all.get(i);
            double value = 450.0 - i;
            String g = Integer.toString(450 - i);
            assertThat(r.getData().getMetricsList()).singleElement().satisfies(m -> assertThat(m.getValue())
                    .isEqualTo(value));
            assertThat(r.getData().getParamsList()).singleElement().satisfies(p -> assertThat(p.getValue())
                    .isEqualTo(g));
        }
        assertThat(chunks).noneMatch(SearchRuns.Response::hasNextPageToken);
        // a page of 300: its token comes with its last chunk only
        chunks.clear();
        tracking.searchRuns(request.setMaxResults(300).build()).forEachRemaining(chunks::add);
        assertThat(chunks).extracting(SearchRuns.Response::getRunsCount).containsExactly(200, 100);
        assertThat(chunks).extracting(SearchRuns.Response::hasNextPageToken).containsExactly(false, true);
        SearchRuns.Response rest = Grpc.searchRuns(
                tracking, request.setPageToken(chunks.get(1).getNextPageToken()).build());
        assertThat(rest.getRunsList())
                .extracting(r -> r.getData().getParams(0).getValue())
                .containsExactlyElementsOf(java.util.stream.IntStream.rangeClosed(1, 150)
                        .mapToObj(i -> Integer.toString(151 - i))
                        .toList());
        assertThat(rest.hasNextPageToken()).isFalse();
    }

    @Test
    void shouldHonourViewTypesAndReturnFullRunData() {
        tracking.deleteRun(DeleteRun.newBuilder().setRunId(runs.get(0)).build());
        assertThat(search("")).doesNotContain(runs.get(0));
        var deleted = Grpc.searchRuns(
                tracking,
                SearchRuns.newBuilder()
                        .addExperimentIds(exp)
                        .setRunViewType(ViewType.DELETED_ONLY)
                        .build());
        assertThat(deleted.getRunsList())
                .extracting(r -> r.getInfo().getRunId())
                .containsExactly(runs.get(0));
        Run full = deleted.getRuns(0);
        assertThat(full.getData().getMetricsCount()).isEqualTo(1);
        assertThat(full.getData().getParamsCount()).isEqualTo(1);
        assertThat(full.getInputs().getDatasetInputsCount()).isEqualTo(1);
        var all = Grpc.searchRuns(
                tracking,
                SearchRuns.newBuilder()
                        .addExperimentIds(exp)
                        .setRunViewType(ViewType.ALL)
                        .build());
        assertThat(all.getRunsCount()).isEqualTo(4);
    }
}
