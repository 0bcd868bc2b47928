package dev.skein.cli.projects;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.skein.cli.Api;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobStatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The kubernetes backend against fabric8's mock API server (CRUD mode): the Job it makes, how its end ends the run. */
@EnableKubernetesMockClient(crud = true)
class KubernetesBackendTest {

    static final Path DOCKER = Path.of("src/test/resources/projects/docker");

    KubernetesClient client;
    KubernetesMockServer server;

    /** The tracking calls a run made, in order. */
    static final class RecordingTracking implements Tracking {
        final Map<String, String> tags = new LinkedHashMap<>();
        final Map<String, String> params = new LinkedHashMap<>();
        final List<RunStatus> ends = new ArrayList<>();
        String experimentId;

        @Override
        public String createRun(String experimentId, String runName, Map<String, String> tags) {
            this.experimentId = experimentId;
            this.tags.putAll(tags);
            return "0123456789abcdef0123456789abcdef";
        }

        @Override
        public void logParams(String runId, Map<String, String> params) {
            this.params.putAll(params);
        }

        @Override
        public synchronized void setTerminated(String runId, RunStatus status) {
            ends.add(status);
        }

        @Override
        public String experimentId(String name) {
            return "42";
        }

        @Override
        public String trackingUri() {
            return "http://skein.example:8080";
        }
    }

    private final RecordingTracking tracking = new RecordingTracking();
    private final ByteArrayOutputStream output = new ByteArrayOutputStream();

    private KubernetesBackend backend() {
        // a client of its own per run (the backend closes it), on the mock server
        return new KubernetesBackend(context -> new KubernetesClientBuilder()
                .withConfig(client.getConfiguration())
                .build());
    }

    private ObjectNode config() {
        return Api.object()
                .put(
                        "kube-job-template-path",
                        DOCKER.resolve("job-template.yaml").toString());
    }

    private CompletableFuture<ProjectRun.Outcome> start(ObjectNode config) {
        ProjectRun run = new ProjectRun(tracking, backend(), new PrintStream(output, true, StandardCharsets.UTF_8));
        ProjectRun.Request request = new ProjectRun.Request(
                DOCKER.toString(),
                null,
                "main",
                Map.of("data", "s3://bucket/train.csv", "alpha", "0.3"),
                null,
                "forecasts",
                "nightly",
                config,
                false,
                null,
                "alice",
                Map.of("MLFLOW_TRACKING_TOKEN", "tok"),
                Path.of(""));
        return CompletableFuture.supplyAsync(() -> {
            try {
                return run.run(request);
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
    }

    private Job createdJob() {
        return client.batch()
                .v1()
                .jobs()
                .inNamespace("ml-jobs")
                .withName("docker-sample-0123456789ab")
                .waitUntilCondition(j -> j != null, 1, TimeUnit.MINUTES);
    }

    private void end(Job job, String condition) {
        job.setStatus(new JobStatusBuilder()
                .addNewCondition()
                .withType(condition)
                .withStatus("True")
                .withReason(condition.equals("Failed") ? "BackoffLimitExceeded" : null)
                .endCondition()
                .build());
        client.batch().v1().jobs().inNamespace("ml-jobs").resource(job).updateStatus();
    }

    @Test
    void shouldRunTheDockerImageWithTheCommandAndTheRunsVariablesAndFinishTheRunWhenTheJobCompletes() throws Exception {
        CompletableFuture<ProjectRun.Outcome> outcome = start(config());
        Job job = createdJob();

        var container = job.getSpec().getTemplate().getSpec().getContainers().get(0);
        assertThat(container.getName()).isEqualTo("docker-sample");
        assertThat(container.getImage()).isEqualTo("registry.example.com/team/trainer:1.2");
        assertThat(container.getCommand())
                .containsExactly("python", "train.py", "--alpha", "0.3", "--data", "s3://bucket/train.csv");
        Map<String, String> env = container.getEnv().stream()
                .filter(v -> v.getValue() != null)
                .collect(Collectors.toMap(EnvVar::getName, EnvVar::getValue));
        assertThat(env)
                .containsEntry("TEAM", "forecasting")
                .containsEntry("MLFLOW_TRACKING_URI", "http://skein.example:8080")
                .containsEntry("MLFLOW_RUN_ID", "0123456789abcdef0123456789abcdef")
                .containsEntry("MLFLOW_EXPERIMENT_ID", "42")
                .doesNotContainKey("MLFLOW_TRACKING_TOKEN");
        // the token is in the run's Secret, which the Job owns, and reaches the container from there
        EnvVar token = container.getEnv().stream()
                .filter(v -> v.getName().equals("MLFLOW_TRACKING_TOKEN"))
                .findFirst()
                .orElseThrow();
        assertThat(token.getValueFrom().getSecretKeyRef().getName()).isEqualTo("docker-sample-0123456789ab");
        assertThat(token.getValueFrom().getSecretKeyRef().getKey()).isEqualTo("MLFLOW_TRACKING_TOKEN");
        var secret = client.secrets()
                .inNamespace("ml-jobs")
                .withName("docker-sample-0123456789ab")
                .waitUntilCondition(
                        s -> s != null
                                && s.getMetadata().getOwnerReferences() != null
                                && !s.getMetadata().getOwnerReferences().isEmpty(),
                        1,
                        TimeUnit.MINUTES);
        assertThat(new String(
                        java.util.Base64.getDecoder().decode(secret.getData().get("MLFLOW_TRACKING_TOKEN")),
                        StandardCharsets.UTF_8))
                .isEqualTo("tok");
        assertThat(secret.getMetadata().getOwnerReferences().get(0).getKind()).isEqualTo("Job");
        assertThat(secret.getMetadata().getOwnerReferences().get(0).getUid())
                .isEqualTo(job.getMetadata().getUid());
        assertThat(job.getMetadata().getLabels()).containsEntry("skein.dev/run-id", "0123456789abcdef0123456789abcdef");
        assertThat(job.getSpec().getTemplate().getSpec().getRestartPolicy()).isEqualTo("Never");
        assertThat(tracking.tags)
                .containsEntry("mlflow.source.type", "PROJECT")
                .containsEntry("mlflow.project.entryPoint", "main")
                .containsEntry("mlflow.project.backend", "kubernetes")
                .containsEntry("mlflow.project.env", "docker")
                .containsEntry("mlflow.docker.image.uri", "registry.example.com/team/trainer:1.2")
                .containsEntry("mlflow.user", "alice");
        assertThat(tracking.params).containsEntry("alpha", "0.3").containsEntry("data", "s3://bucket/train.csv");
        assertThat(outcome).isNotDone();

        end(job, "Complete");

        assertThat(outcome.get(1, TimeUnit.MINUTES).status()).isEqualTo(RunStatus.FINISHED);
        assertThat(tracking.ends).containsExactly(RunStatus.FINISHED);
        assertThat(output.toString(StandardCharsets.UTF_8)).contains("Created Job ml-jobs/docker-sample-0123456789ab");
    }

    @Test
    void shouldStreamThePodsLogOnceItRuns() throws Exception {
        server.expect()
                .get()
                .withPath(
                        "/api/v1/namespaces/ml-jobs/pods/docker-sample-0123456789ab-x7k2p/log?pretty=false&follow=true")
                .andReturn(200, "epoch 1 loss 0.5\nepoch 2 loss 0.25\n")
                .always();
        CompletableFuture<ProjectRun.Outcome> outcome = start(config());
        Job job = createdJob();

        client.pods()
                .inNamespace("ml-jobs")
                .resource(new PodBuilder()
                        .withNewMetadata()
                        .withName("docker-sample-0123456789ab-x7k2p")
                        .addToLabels("job-name", "docker-sample-0123456789ab")
                        .endMetadata()
                        .withNewStatus()
                        .withPhase("Running")
                        .endStatus()
                        .build())
                .create();
        while (!output.toString(StandardCharsets.UTF_8).contains("epoch 2 loss 0.25")) {
            Thread.sleep(50);
        }
        end(job, "Complete");

        assertThat(outcome.get(1, TimeUnit.MINUTES).status()).isEqualTo(RunStatus.FINISHED);
        assertThat(output.toString(StandardCharsets.UTF_8)).contains("epoch 1 loss 0.5\nepoch 2 loss 0.25");
    }

    @Test
    void shouldFailTheRunWhenTheJobFails() throws Exception {
        CompletableFuture<ProjectRun.Outcome> outcome = start(config());

        end(createdJob(), "Failed");

        ProjectRun.Outcome ended = outcome.get(1, TimeUnit.MINUTES);
        assertThat(ended.status()).isEqualTo(RunStatus.FAILED);
        assertThat(ended.detail()).contains("Job Failed (BackoffLimitExceeded)");
        assertThat(tracking.ends).containsExactly(RunStatus.FAILED);
    }

    @Test
    void shouldDeleteTheJobWhenTheRunIsCancelled() throws Exception {
        Project project = Project.load(DOCKER);
        Backend.Submitted submitted = backend()
                .submit(new Backend.Launch(
                        project,
                        "main",
                        "python train.py",
                        DOCKER,
                        "fedcba9876543210",
                        Map.of("MLFLOW_RUN_ID", "fedcba9876543210"),
                        config(),
                        new PrintStream(output, true, StandardCharsets.UTF_8)));
        CompletableFuture<RunStatus> status = CompletableFuture.supplyAsync(() -> {
            try {
                return submitted.waitFor();
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        assertThat(client.batch().v1().jobs().inNamespace("ml-jobs").list().getItems())
                .hasSize(1);

        submitted.cancel();

        assertThat(status.get(1, TimeUnit.MINUTES)).isEqualTo(RunStatus.KILLED);
        assertThat(client.batch().v1().jobs().inNamespace("ml-jobs").list().getItems())
                .isEmpty();
    }

    @Test
    void shouldRefuseAProjectWithoutAnImageBeforeCreatingARun() {
        ProjectRun run = new ProjectRun(tracking, backend(), new PrintStream(output, true, StandardCharsets.UTF_8));
        ProjectRun.Request request = new ProjectRun.Request(
                "src/test/resources/projects/sample",
                null,
                "main",
                Map.of("epochs", "1"),
                "1",
                null,
                null,
                Api.object(),
                false,
                null,
                "alice",
                Map.of(),
                Path.of(""));

        assertThatThrownBy(() -> run.run(request)).hasMessageContaining("give the project a docker_env image");
        assertThat(tracking.tags).isEmpty();
        assertThat(client.batch().v1().jobs().inAnyNamespace().list().getItems())
                .isEmpty();
    }

    @Test
    void shouldUseTheRepositoryUriAndTheDefaultTemplateForAProjectWithoutDockerEnv() {
        Project project = Project.load(Path.of("src/test/resources/projects/sample"));
        Job job = KubernetesBackend.job(new Backend.Launch(
                project,
                "main",
                "bash train.sh 0.5 1 'two words'",
                Path.of("."),
                "abc",
                Map.of(
                        "MLFLOW_RUN_ID",
                        "abc",
                        "MLFLOW_TRACKING_URI",
                        "http://127.0.0.1:8080",
                        "KUBE_MLFLOW_TRACKING_URI",
                        "http://skein-gateway.skein:8080"),
                Api.object().put("repository-uri", "registry.example.com/sample:latest"),
                System.out));

        assertThat(job.getMetadata().getName()).isEqualTo("sample-project-abc");
        assertThat(job.getMetadata().getNamespace()).isEqualTo("default");
        var container = job.getSpec().getTemplate().getSpec().getContainers().get(0);
        assertThat(container.getImage()).isEqualTo("registry.example.com/sample:latest");
        assertThat(container.getCommand()).containsExactly("bash", "train.sh", "0.5", "1", "two words");
        // MLflow's KUBE_MLFLOW_TRACKING_URI: the gateway as the pod reaches it
        assertThat(container.getEnv())
                .extracting(EnvVar::getName, EnvVar::getValue)
                .contains(
                        org.assertj.core.groups.Tuple.tuple("MLFLOW_TRACKING_URI", "http://skein-gateway.skein:8080"),
                        org.assertj.core.groups.Tuple.tuple("MLFLOW_RUN_ID", "abc"))
                .noneMatch(t -> "KUBE_MLFLOW_TRACKING_URI".equals(t.toArray()[0]));
    }

    @Test
    void shouldKeepTheRunIdInTheJobNameOfALongNamedProject() {
        String longName = KubernetesBackend.dnsName("a".repeat(49) + "-" + "b".repeat(30));
        String first = KubernetesBackend.jobName(longName, "0123456789ab0000000000000000aaaa");
        String second = KubernetesBackend.jobName(longName, "ba9876543210ffffffffffffffffbbbb");

        assertThat(first)
                .hasSizeLessThanOrEqualTo(63)
                .endsWith("-0123456789ab")
                .isEqualTo("a".repeat(49) + "-0123456789ab");
        assertThat(second).hasSizeLessThanOrEqualTo(63).endsWith("-ba9876543210");
        assertThat(first).isNotEqualTo(second).matches("[a-z0-9]([-a-z0-9]*[a-z0-9])?");
        assertThat(KubernetesBackend.jobName("short", "0123456789abcdef")).isEqualTo("short-0123456789ab");
    }
}
