package dev.skein.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.mlflow.api.proto.Service.CreateExperiment;
import org.mlflow.api.proto.Service.CreateRun;
import org.mlflow.api.proto.Service.Experiment;
import org.mlflow.api.proto.Service.ExperimentTag;
import org.mlflow.api.proto.Service.Metric;
import org.mlflow.api.proto.Service.Param;
import org.mlflow.api.proto.Service.Run;
import org.mlflow.api.proto.Service.RunInfo;
import org.mlflow.api.proto.Service.RunStatus;
import org.mlflow.api.proto.Service.RunTag;
import org.mlflow.api.proto.Service.ViewType;
import org.mlflow.tracking.ActiveRun;
import org.mlflow.tracking.ExperimentsPage;
import org.mlflow.tracking.MlflowClient;
import org.mlflow.tracking.MlflowClientException;
import org.mlflow.tracking.MlflowContext;
import org.mlflow.tracking.MlflowHttpException;
import org.mlflow.tracking.Page;

/** Every tracking method of the official MLflow Java client 2.17.2, against the running suite. */
@ExtendWith(Suite.class)
class MlflowJavaClientIT {

    static MlflowClient client;

    @BeforeAll
    static void connect() {
        client = new MlflowClient(Suite.url());
    }

    @AfterAll
    static void close() {
        client.close();
    }

    private static String name() {
        return "java-client-" + UUID.randomUUID();
    }

    private static Metric metric(String key, double value, long timestamp, long step) {
        return Metric.newBuilder()
                .setKey(key)
                .setValue(value)
                .setTimestamp(timestamp)
                .setStep(step)
                .build();
    }

    @Test
    void experimentsCreateGetRenameTagDeleteRestore() {
        String name = name();
        String id = client.createExperiment(name);
        Experiment e = client.getExperiment(id);
        assertThat(e.getName()).isEqualTo(name);
        assertThat(e.getLifecycleStage()).isEqualTo("active");
        assertThat(e.getArtifactLocation()).isEqualTo("mlflow-artifacts:/" + id);
        assertThat(client.getExperimentByName(name)).contains(e);
        assertThat(client.getExperimentByName("missing-" + UUID.randomUUID())).isEqualTo(Optional.empty());

        String withTags = client.createExperiment(CreateExperiment.newBuilder()
                .setName(name())
                .setArtifactLocation("s3://bucket/exp")
                .addTags(ExperimentTag.newBuilder().setKey("team").setValue("ml"))
                .build());
        assertThat(client.getExperiment(withTags).getTagsList())
                .extracting(ExperimentTag::getValue)
                .containsExactly("ml");
        assertThat(client.getRun(client.createRun(withTags).getRunId())
                        .getInfo()
                        .getArtifactUri())
                .startsWith("s3://bucket/exp/");

        client.setExperimentTag(id, "dataset", "imagenet");
        client.setExperimentTag(id, "dataset", "birds");
        client.setExperimentTag(id, "multiline tag", "a\nb\nc");
        assertThat(client.getExperiment(id).getTagsList())
                .extracting(ExperimentTag::getKey, ExperimentTag::getValue)
                .containsExactlyInAnyOrder(
                        org.assertj.core.groups.Tuple.tuple("dataset", "birds"),
                        org.assertj.core.groups.Tuple.tuple("multiline tag", "a\nb\nc"));

        String renamed = name();
        client.renameExperiment(id, renamed);
        assertThat(client.getExperiment(id).getName()).isEqualTo(renamed);

        client.deleteExperiment(id);
        assertThat(client.getExperiment(id).getLifecycleStage()).isEqualTo("deleted");
        client.restoreExperiment(id);
        assertThat(client.getExperiment(id).getLifecycleStage()).isEqualTo("active");
    }

    @Test
    void duplicateExperimentNamesFailWithMlflowsError() {
        String name = name();
        client.createExperiment(name);
        MlflowHttpException e = catchThrowableOfType(MlflowHttpException.class, () -> client.createExperiment(name));
        assertThat(e.getStatusCode()).isEqualTo(400);
        assertThat(e.getBodyMessage()).contains("RESOURCE_ALREADY_EXISTS");
        MlflowHttpException missing =
                catchThrowableOfType(MlflowHttpException.class, () -> client.getExperiment("987654"));
        assertThat(missing.getStatusCode()).isEqualTo(404);
        assertThat(missing.getBodyMessage()).contains("RESOURCE_DOES_NOT_EXIST");
    }

    @Test
    void searchExperimentsWithFiltersOrderingAndEveryPage() {
        String prefix = "page-" + UUID.randomUUID() + "-";
        for (int i = 0; i < 5; i++) {
            client.createExperiment(prefix + i);
        }
        ExperimentsPage first =
                client.searchExperiments("name LIKE '" + prefix + "%'", ViewType.ACTIVE_ONLY, 2, List.of("name DESC"));
        List<String> names = new ArrayList<>();
        Page<Experiment> page = first;
        int pages = 0;
        while (true) {
            pages++;
            page.getItems().forEach(e -> names.add(e.getName()));
            if (!page.hasNextPage()) {
                break;
            }
            page = page.getNextPage();
        }
        assertThat(pages).isEqualTo(3);
        assertThat(names).containsExactly(prefix + 4, prefix + 3, prefix + 2, prefix + 1, prefix + 0);
        assertThat(client.searchExperiments("name = '" + prefix + "3'").getItems())
                .hasSize(1);
        assertThat(client.searchExperiments().getItems())
                .extracting(Experiment::getName)
                .contains("Default");
    }

    @Test
    void runLifecycleParamsMetricsTagsAndLatestValues() {
        String exp = client.createExperiment(name());
        long start = System.currentTimeMillis();
        RunInfo created = client.createRun(exp);
        String run = created.getRunId();
        assertThat(created.getRunUuid()).isEqualTo(run);
        assertThat(created.getStatus()).isEqualTo(RunStatus.RUNNING);
        assertThat(created.getUserId()).isNotEmpty();
        assertThat(created.getArtifactUri()).isEqualTo("mlflow-artifacts:/" + exp + "/" + run + "/artifacts");

        client.logParam(run, "min_samples_leaf", "2");
        client.logParam(run, "max_depth", "3");
        client.logMetric(run, "accuracy_score", 0.9733333333333334);
        client.logMetric(run, "zero_one_loss", 123.456789123456789);
        client.logMetric(run, "multi", 1.0, 1000, 1);
        client.logMetric(run, "multi", 2.0, 2000, -5);
        client.logMetric(run, "multi", -3.0, 3000, 4);
        client.logMetric(run, "multi", 4.0, 2999, 4);
        client.logMetric(run, "nan_metric", Double.NaN);
        client.logMetric(run, "pos_inf", Double.POSITIVE_INFINITY);
        client.logMetric(run, "neg_inf", Double.NEGATIVE_INFINITY);
        client.setTag(run, "user_email", "some@email.com");
        client.setTerminated(run, RunStatus.FINISHED);
        long end = System.currentTimeMillis();

        Run got = client.getRun(run);
        assertThat(got.getInfo().getStatus()).isEqualTo(RunStatus.FINISHED);
        assertThat(got.getInfo().getStartTime()).isBetween(start, got.getInfo().getEndTime());
        assertThat(got.getInfo().getEndTime()).isLessThanOrEqualTo(end);
        assertThat(got.getData().getParamsList())
                .extracting(Param::getKey, Param::getValue)
                .containsExactlyInAnyOrder(
                        org.assertj.core.groups.Tuple.tuple("min_samples_leaf", "2"),
                        org.assertj.core.groups.Tuple.tuple("max_depth", "3"));
        Map<String, Double> latest = new java.util.HashMap<>();
        got.getData().getMetricsList().forEach(m -> latest.put(m.getKey(), m.getValue()));
        assertThat(latest).hasSize(6);
        assertThat(latest.get("accuracy_score")).isEqualTo(0.9733333333333334);
        assertThat(latest.get("zero_one_loss")).isEqualTo(123.456789123456789);
        assertThat(latest.get("multi")).isEqualTo(-3.0);
        assertThat(latest.get("nan_metric")).isNaN();
        assertThat(latest.get("pos_inf")).isEqualTo(Double.POSITIVE_INFINITY);
        assertThat(latest.get("neg_inf")).isEqualTo(Double.NEGATIVE_INFINITY);
        assertThat(got.getData().getTagsList())
                .extracting(RunTag::getKey)
                .containsExactlyInAnyOrder("user_email", "mlflow.runName");

        List<Metric> history = client.getMetricHistory(run, "multi");
        assertThat(history).extracting(Metric::getValue).containsExactly(1.0, 2.0, -3.0, 4.0);
        assertThat(history).extracting(Metric::getTimestamp).containsExactly(1000L, 2000L, 3000L, 2999L);
        assertThat(history).extracting(Metric::getStep).containsExactly(1L, -5L, 4L, 4L);

        assertThat(client.listRunInfos(exp)).extracting(RunInfo::getRunId).containsExactly(run);
        MlflowClientException changed =
                catchThrowableOfType(MlflowClientException.class, () -> client.logParam(run, "max_depth", "4"));
        assertThat(changed.getMessage()).contains("INVALID_PARAMETER_VALUE");
    }

    @Test
    void setTerminatedOverloadsDeleteAndRestore() {
        String exp = client.createExperiment(name());
        String a = client.createRun(exp).getRunId();
        String b = client.createRun(CreateRun.newBuilder()
                        .setExperimentId(exp)
                        .setRunName("named")
                        .build())
                .getRunId();
        String c = client.createRun().getRunId();
        client.setTerminated(a);
        client.setTerminated(b, RunStatus.KILLED, 42);
        assertThat(client.getRun(a).getInfo().getStatus()).isEqualTo(RunStatus.FINISHED);
        assertThat(client.getRun(b).getInfo().getStatus()).isEqualTo(RunStatus.KILLED);
        assertThat(client.getRun(b).getInfo().getEndTime()).isEqualTo(42);
        assertThat(client.getRun(b).getInfo().getRunName()).isEqualTo("named");
        assertThat(client.getRun(c).getInfo().getExperimentId()).isEqualTo("0");

        client.deleteRun(a);
        assertThat(client.getRun(a).getInfo().getLifecycleStage()).isEqualTo("deleted");
        assertThat(client.searchRuns(List.of(exp), "", ViewType.DELETED_ONLY))
                .extracting(RunInfo::getRunId)
                .containsExactly(a);
        client.restoreRun(a);
        assertThat(client.getRun(a).getInfo().getLifecycleStage()).isEqualTo("active");
    }

    @Test
    void deleteTagWithMlflowsErrors() {
        String run = client.createRun(client.createExperiment(name())).getRunId();
        client.setTag(run, "tag0", "val0");
        client.setTag(run, "tag1", "val1");
        client.deleteTag(run, "tag0");
        assertThat(client.getRun(run).getData().getTagsList())
                .extracting(RunTag::getKey)
                .doesNotContain("tag0");
        MlflowClientException again =
                catchThrowableOfType(MlflowClientException.class, () -> client.deleteTag(run, "tag0"));
        assertThat(again.getMessage()).contains("No tag with name: tag0 in run with id " + run);
        MlflowClientException noRun =
                catchThrowableOfType(MlflowClientException.class, () -> client.deleteTag("fakeRunId", "fakeTag"));
        assertThat(noRun.getMessage()).contains("Run with id=fakeRunId not found");
    }

    @Test
    void logBatchOfMetricsParamsAndTags() {
        String run = client.createRun(client.createExperiment(name())).getRunId();
        client.logBatch(
                run,
                List.of(
                        metric("met1", 0.081, 10, 0),
                        metric("metric3", 1.0, 1000, 1),
                        metric("metric3", 2.0, 2000, 3),
                        metric("metric3", 3.0, 0, -2)),
                List.of(Param.newBuilder().setKey("p1").setValue("a b").build()),
                List.of(
                        RunTag.newBuilder().setKey("t1").setValue("x").build(),
                        RunTag.newBuilder()
                                .setKey("mlflow.runName")
                                .setValue("myRun")
                                .build()));
        Run got = client.getRun(run);
        assertThat(got.getData().getMetricsList())
                .extracting(Metric::getKey, Metric::getValue)
                .containsExactlyInAnyOrder(
                        org.assertj.core.groups.Tuple.tuple("met1", 0.081),
                        org.assertj.core.groups.Tuple.tuple("metric3", 2.0));
        assertThat(got.getData().getParamsList()).extracting(Param::getValue).containsExactly("a b");
        assertThat(got.getInfo().getRunName()).isEqualTo("myRun");
    }

    @Test
    void readsBackA30000PointHistoryWhole() {
        String run = client.createRun(client.createExperiment(name())).getRunId();
        for (int batch = 0; batch < 30; batch++) {
            List<Metric> metrics = new ArrayList<>();
            for (int i = 0; i < 1000; i++) {
                long step = batch * 1000L + i;
                metrics.add(metric("long", step, step, step));
            }
            client.logBatch(run, metrics, List.of(), List.of());
        }
        List<Metric> history = client.getMetricHistory(run, "long");
        assertThat(history).hasSize(30_000);
        for (int i = 0; i < history.size(); i++) {
            assertThat(history.get(i).getStep()).isEqualTo(i);
            assertThat(history.get(i).getValue()).isEqualTo(i);
        }
    }

    @Test
    void searchRunsWithFiltersOrderingAndEveryPage() {
        String exp = client.createExperiment(name());
        List<String> runs = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            String run = client.createRun(exp).getRunId();
            client.logMetric(run, "accuracy_score", i / 10.0);
            client.logParam(run, "min_samples_leaf", i % 2 == 0 ? "2" : "4");
            client.setTag(run, "test", i < 3 ? "works" : "also works");
            runs.add(run);
        }
        assertThat(client.searchRuns(List.of(exp), "metrics.accuracy_score < 0"))
                .isEmpty();
        assertThat(client.searchRuns(List.of(exp), "metrics.accuracy_score >= 0.5"))
                .extracting(RunInfo::getRunId)
                .containsExactlyInAnyOrder(runs.get(5), runs.get(6));
        assertThat(client.searchRuns(List.of(exp), "params.min_samples_leaf = '2' and tag.test = 'works'"))
                .extracting(RunInfo::getRunId)
                .containsExactlyInAnyOrder(runs.get(0), runs.get(2));
        assertThat(client.searchRuns(List.of(exp), "params.min_samples_leaf != '2'", ViewType.ACTIVE_ONLY))
                .hasSize(3);

        List<String> ordered = new ArrayList<>();
        Page<Run> page =
                client.searchRuns(List.of(exp), "", ViewType.ACTIVE_ONLY, 3, List.of("metrics.accuracy_score DESC"));
        List<Integer> sizes = new ArrayList<>();
        while (true) {
            sizes.add(page.getPageSize());
            page.getItems().forEach(r -> ordered.add(r.getInfo().getRunId()));
            if (!page.hasNextPage()) {
                assertThat(page.getNextPageToken()).isEmpty();
                break;
            }
            page = page.getNextPage();
        }
        assertThat(sizes).containsExactly(3, 3, 1);
        List<String> expected = new ArrayList<>(runs);
        java.util.Collections.reverse(expected);
        assertThat(ordered).containsExactlyElementsOf(expected);

        var byToken = client.searchRuns(List.of(exp), "", ViewType.ACTIVE_ONLY, 5, List.of("metrics.accuracy_score"));
        var rest = client.searchRuns(
                List.of(exp),
                "",
                ViewType.ACTIVE_ONLY,
                5,
                List.of("metrics.accuracy_score"),
                byToken.getNextPageToken().orElseThrow());
        assertThat(rest.getItems()).extracting(r -> r.getInfo().getRunId()).containsExactly(runs.get(5), runs.get(6));
    }

    @Test
    void mlflowContextAndActiveRuns() {
        String expName = name();
        String exp = client.createExperiment(expName);
        MlflowContext context = new MlflowContext(client).setExperimentName(expName);
        assertThat(context.getExperimentId()).isEqualTo(exp);
        ActiveRun run = context.startRun("context-run");
        run.logParams(Map.of("a", "1", "b", "2"));
        run.logMetrics(Map.of("x", 1.0, "y", 2.0), 7);
        run.setTags(Map.of("k", "v"));
        run.logMetric("z", 3.0);
        run.endRun();
        Run got = client.getRun(run.getId());
        assertThat(got.getInfo().getRunName()).isEqualTo("context-run");
        assertThat(got.getInfo().getStatus()).isEqualTo(RunStatus.FINISHED);
        assertThat(got.getData().getMetricsList()).extracting(Metric::getKey).containsExactlyInAnyOrder("x", "y", "z");
        assertThat(got.getData().getTagsList())
                .extracting(RunTag::getKey)
                .contains("k", "mlflow.runName", "mlflow.user", "mlflow.source.type");

        String[] failedId = new String[1];
        try {
            context.withActiveRun(r -> {
                failedId[0] = r.getId();
                throw new IllegalStateException("training crashed");
            });
        } catch (IllegalStateException expected) {
            // withActiveRun rethrows after marking the run FAILED
        }
        assertThat(client.getRun(failedId[0]).getInfo().getStatus()).isEqualTo(RunStatus.FAILED);
    }
}
