package dev.skein.cli.projects;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.JobCondition;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.KubernetesClientTimeoutException;
import io.fabric8.kubernetes.client.dsl.LogWatch;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * Runs the command as a Kubernetes Job, as MLflow's kubernetes backend: MLflow's {@code kubernetes_config.json}
 * ({@code kube-context}, {@code repository-uri}, {@code kube-job-template-path}) and job template, whose name,
 * container image, command and environment are filled in. Skein builds no image: the container runs
 * {@code docker_env.image}, else {@code repository-uri}, which must hold the project's files in its working
 * directory. The Job is watched to its {@code Complete} or {@code Failed} condition, its pod's log streamed, and
 * deleted (background propagation) when the run is cancelled.
 */
public final class KubernetesBackend implements Backend {

    /** The Job MLflow's documentation shows, used when the configuration names no template. */
    static final String DEFAULT_TEMPLATE =
            """
            apiVersion: batch/v1
            kind: Job
            metadata:
              name: "{replaced with MLflow Project name}"
              namespace: default
            spec:
              ttlSecondsAfterFinished: 100
              backoffLimit: 0
              template:
                spec:
                  containers:
                  - name: "{replaced with MLflow Project name}"
                    image: "{replaced with URI of Docker image created during Project execution}"
                    command: ["{replaced with MLflow Project entry point command}"]
                    resources:
                      limits:
                        memory: 512Mi
                      requests:
                        memory: 256Mi
                  restartPolicy: Never
            """;

    private final Function<String, KubernetesClient> clients;

    /** Clients from the kube config (the context named by {@code kube-context}, else the current one). */
    public KubernetesBackend() {
        this(context -> {
            // the client logs through SLF4J, which has no binding here: no "No SLF4J providers" lines on the terminal
            if (System.getProperty("slf4j.internal.verbosity") == null) {
                System.setProperty("slf4j.internal.verbosity", "ERROR");
            }
            return new KubernetesClientBuilder()
                    .withConfig(Config.autoConfigure(context))
                    .build();
        });
    }

    public KubernetesBackend(Function<String, KubernetesClient> clients) {
        this.clients = clients;
    }

    @Override
    public String name() {
        return "kubernetes";
    }

    @Override
    public void check(Project project, JsonNode config) {
        image(project, config);
        template(config);
    }

    static String image(Project project, JsonNode config) {
        if (project.env().image() != null) {
            return project.env().image();
        }
        String repository = config.path("repository-uri").asText("");
        if (repository.isBlank()) {
            throw new ProjectException("the kubernetes backend runs an image: give the project a docker_env image,"
                    + " or repository-uri in the backend configuration");
        }
        return repository;
    }

    static Job template(JsonNode config) {
        String path = config.path("kube-job-template-path").asText("");
        try (InputStream in = path.isBlank()
                ? new java.io.ByteArrayInputStream(DEFAULT_TEMPLATE.getBytes(java.nio.charset.StandardCharsets.UTF_8))
                : Files.newInputStream(Path.of(path))) {
            Object parsed = Serialization.unmarshal(in);
            if (!(parsed instanceof Job job)) {
                throw new ProjectException("the job template " + path + " is not a batch/v1 Job");
            }
            if (job.getSpec() == null
                    || job.getSpec().getTemplate() == null
                    || job.getSpec().getTemplate().getSpec() == null
                    || job.getSpec().getTemplate().getSpec().getContainers().isEmpty()) {
                throw new ProjectException("the job template " + path + " has no container");
            }
            return job;
        } catch (IOException e) {
            throw new ProjectException("cannot read the job template " + path + ": " + e.getMessage());
        } catch (KubernetesClientException | IllegalArgumentException e) {
            throw new ProjectException("the job template " + path + " is not a Kubernetes Job: " + e.getMessage());
        }
    }

    /** The Job of a launch: the template with its name, image, command and environment filled in. */
    static Job job(Launch launch) {
        Job template = template(launch.config());
        String projectName = dnsName(
                launch.project().name() == null
                        ? "skein-project"
                        : launch.project().name());
        String jobName = jobName(projectName, launch.runId());
        Job job = new JobBuilder(template)
                .editOrNewMetadata()
                .withName(jobName)
                .addToLabels("app.kubernetes.io/managed-by", "skein")
                .addToLabels("skein.dev/run-id", launch.runId())
                .endMetadata()
                .build();
        Container container =
                job.getSpec().getTemplate().getSpec().getContainers().get(0);
        container.setName(projectName);
        container.setImage(image(launch.project(), launch.config()));
        container.setCommand(ShellSplit.split(launch.command()));
        container.setArgs(null);
        List<EnvVar> env = new ArrayList<>(container.getEnv() == null ? List.of() : container.getEnv());
        Map<String, String> vars = new java.util.LinkedHashMap<>(launch.env());
        // MLflow's KUBE_MLFLOW_TRACKING_URI: the tracking server as the pod reaches it
        String inCluster = vars.remove("KUBE_MLFLOW_TRACKING_URI");
        if (inCluster != null) {
            vars.put("MLFLOW_TRACKING_URI", inCluster);
            vars.put("SKEIN_TRACKING_URI", inCluster);
        }
        for (Map.Entry<String, String> e : vars.entrySet()) {
            env.removeIf(v -> v.getName().equals(e.getKey()));
            if (SECRET_VARS.contains(e.getKey())) {
                // the caller's credentials: from the run's Secret, never in the Job's spec
                env.add(new io.fabric8.kubernetes.api.model.EnvVarBuilder()
                        .withName(e.getKey())
                        .withNewValueFrom()
                        .withNewSecretKeyRef(e.getKey(), jobName, false)
                        .endValueFrom()
                        .build());
            } else {
                env.add(new EnvVar(e.getKey(), e.getValue(), null));
            }
        }
        container.setEnv(env);
        return job;
    }

    /**
     * The Job's name: the project's name cut short enough that {@code -<first 12 characters of the run id>} always
     * fits in a DNS label's 63 characters, so two runs of a long-named project never share a name.
     */
    static String jobName(String projectName, String runId) {
        String suffix = dnsName(runId.substring(0, Math.min(12, runId.length())));
        String prefix = projectName;
        int room = 63 - 1 - suffix.length();
        if (prefix.length() > room) {
            prefix = prefix.substring(0, room).replaceAll("-+$", "");
        }
        return prefix.isEmpty() ? suffix : prefix + "-" + suffix;
    }

    /** The variables that go through the run's Secret (named as the Job, owned by it) rather than the Job's env. */
    static final java.util.Set<String> SECRET_VARS =
            java.util.Set.of("MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD", "MLFLOW_TRACKING_TOKEN");

    /** The run's Secret: the credentials among the launch's variables, or null if there are none. */
    static io.fabric8.kubernetes.api.model.Secret secret(Launch launch, String namespace, String name) {
        Map<String, String> data = new java.util.TreeMap<>();
        launch.env().forEach((k, v) -> {
            if (SECRET_VARS.contains(k)) {
                data.put(
                        k,
                        java.util.Base64.getEncoder()
                                .encodeToString(v.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
            }
        });
        if (data.isEmpty()) {
            return null;
        }
        return new io.fabric8.kubernetes.api.model.SecretBuilder()
                .withNewMetadata()
                .withName(name)
                .withNamespace(namespace)
                .addToLabels("app.kubernetes.io/managed-by", "skein")
                .addToLabels("skein.dev/run-id", launch.runId())
                .endMetadata()
                .withType("Opaque")
                .withData(data)
                .build();
    }

    /** A DNS-1123 label: lower case letters, digits and dashes, at most 63 characters. */
    static String dnsName(String name) {
        String s = name.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9-]+", "-").replaceAll("^-+", "");
        if (s.length() > 63) {
            s = s.substring(0, 63);
        }
        s = s.replaceAll("-+$", "");
        return s.isEmpty() ? "skein-project" : s;
    }

    @Override
    public Submitted submit(Launch launch) {
        Job job = job(launch);
        KubernetesClient client =
                clients.apply(launch.config().path("kube-context").asText(null));
        String namespace = job.getMetadata().getNamespace() != null
                ? job.getMetadata().getNamespace()
                : client.getNamespace() != null ? client.getNamespace() : "default";
        job.getMetadata().setNamespace(namespace);
        String name = job.getMetadata().getName();
        io.fabric8.kubernetes.api.model.Secret secret = secret(launch, namespace, name);
        Job created;
        try {
            if (secret != null) {
                client.secrets().inNamespace(namespace).resource(secret).create();
            }
            created = client.batch()
                    .v1()
                    .jobs()
                    .inNamespace(namespace)
                    .resource(job)
                    .create();
        } catch (KubernetesClientException e) {
            if (secret != null) {
                try {
                    client.secrets().inNamespace(namespace).withName(name).delete();
                } catch (KubernetesClientException ignored) {
                    // it may never have been made
                }
            }
            client.close();
            throw new ProjectException(
                    "cannot create the Job " + namespace + "/" + name + " on " + client.getMasterUrl() + ": "
                            + e.getMessage() + (e.getCause() == null ? "" : " (" + e.getCause() + ")"));
        }
        if (secret != null) {
            // owned by the Job: deleted with it by the cluster's garbage collector
            try {
                client.secrets()
                        .inNamespace(namespace)
                        .withName(name)
                        .edit(s -> new io.fabric8.kubernetes.api.model.SecretBuilder(s)
                                .editMetadata()
                                .addNewOwnerReference()
                                .withApiVersion("batch/v1")
                                .withKind("Job")
                                .withName(name)
                                .withUid(created.getMetadata().getUid())
                                .endOwnerReference()
                                .endMetadata()
                                .build());
            } catch (KubernetesClientException e) {
                launch.out()
                        .println("=== Could not make the Job own the Secret " + namespace + "/" + name
                                + " (delete it once the run ends): " + e.getMessage() + " ===");
            }
        }
        launch.out()
                .println("=== Created Job " + namespace + "/" + name + " (image "
                        + job.getSpec()
                                .getTemplate()
                                .getSpec()
                                .getContainers()
                                .get(0)
                                .getImage() + ") ===");
        launch.out().flush();
        return new JobRun(client, namespace, name, launch);
    }

    private static final class JobRun implements Submitted {
        private final KubernetesClient client;
        private final String namespace;
        private final String name;
        private final Launch launch;
        private volatile String condition = "not ended";
        private volatile boolean cancelled;
        private static final java.time.Duration RECHECK = java.time.Duration.ofSeconds(10);

        JobRun(KubernetesClient client, String namespace, String name, Launch launch) {
            this.client = client;
            this.namespace = namespace;
            this.name = name;
            this.launch = launch;
        }

        @Override
        public RunStatus waitFor() {
            CompletableFuture<List<Pod>> started = client.pods()
                    .inNamespace(namespace)
                    .withLabel("job-name", name)
                    .informOnCondition(pods -> pods.stream().anyMatch(JobRun::hasRun));
            CompletableFuture<LogWatch> logs = started.thenApply(pods -> client.pods()
                    .inNamespace(namespace)
                    .withName(pods.stream()
                            .filter(JobRun::hasRun)
                            .findFirst()
                            .orElseThrow()
                            .getMetadata()
                            .getName())
                    .watchLog(launch.out()));
            try {
                Job ended = ended();
                RunStatus status;
                if (ended == null || cancelled) {
                    condition = "the Job was deleted";
                    status = RunStatus.KILLED;
                } else {
                    JobCondition c = terminal(ended);
                    condition = "Job " + c.getType()
                            + (c.getReason() == null ? "" : " (" + c.getReason() + ")")
                            + (c.getMessage() == null ? "" : ": " + c.getMessage());
                    status = "Complete".equals(c.getType()) ? RunStatus.FINISHED : RunStatus.FAILED;
                }
                finishLogs(logs);
                return status;
            } catch (KubernetesClientException e) {
                if (cancelled) {
                    return RunStatus.KILLED;
                }
                throw new ProjectException("lost the Job " + namespace + "/" + name + ": " + e.getMessage());
            } finally {
                started.cancel(true);
                client.close();
            }
        }

        /**
         * The Job once it ended (null: deleted). Watched, and looked at again every {@link #RECHECK}: a watch can miss
         * an event (a deletion between its list and its watch, a dropped connection), which must not hold the run.
         */
        private Job ended() {
            var job = client.batch().v1().jobs().inNamespace(namespace).withName(name);
            while (true) {
                try {
                    return job.waitUntilCondition(
                            j -> j == null || terminal(j) != null, RECHECK.toMillis(), TimeUnit.MILLISECONDS);
                } catch (KubernetesClientTimeoutException notYet) {
                    Job now = job.get();
                    if (now == null
                            || terminal(now) != null
                            || (cancelled && now.getMetadata().getDeletionTimestamp() != null)) {
                        return cancelled ? null : now;
                    }
                }
            }
        }

        private void finishLogs(CompletableFuture<LogWatch> logs) {
            LogWatch watch = logs.getNow(null);
            if (watch == null) {
                logs.cancel(true);
                return;
            }
            try {
                // the pod's log ends with its container; give a late stream a moment, never block the run's end
                watch.onClose().toCompletableFuture().get(10, TimeUnit.SECONDS);
            } catch (Exception ignored) {
                // the log is a courtesy: the Job's condition is the run's status
            } finally {
                watch.close();
            }
        }

        private static boolean hasRun(Pod pod) {
            String phase = pod.getStatus() == null ? null : pod.getStatus().getPhase();
            return "Running".equals(phase) || "Succeeded".equals(phase) || "Failed".equals(phase);
        }

        static JobCondition terminal(Job job) {
            if (job.getStatus() == null || job.getStatus().getConditions() == null) {
                return null;
            }
            return job.getStatus().getConditions().stream()
                    .filter(c -> "True".equals(c.getStatus())
                            && ("Complete".equals(c.getType()) || "Failed".equals(c.getType())))
                    .findFirst()
                    .orElse(null);
        }

        @Override
        public void cancel() {
            cancelled = true;
            client.batch()
                    .v1()
                    .jobs()
                    .inNamespace(namespace)
                    .withName(name)
                    .withPropagationPolicy(io.fabric8.kubernetes.api.model.DeletionPropagation.BACKGROUND)
                    .delete();
        }

        @Override
        public String describe() {
            return condition;
        }
    }
}
