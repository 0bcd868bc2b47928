package dev.skein.evaluation.service;

import com.google.protobuf.Value;
import dev.skein.common.actor.Actors;
import dev.skein.common.error.ApiException;
import dev.skein.evaluation.audit.PythonFloats;
import dev.skein.evaluation.client.ArtifactClient;
import dev.skein.evaluation.client.TrackingClient;
import dev.skein.evaluation.client.UpstreamUnavailable;
import dev.skein.evaluation.config.EvaluationConfig;
import dev.skein.proto.common.v1.ErrorCode;
import dev.skein.proto.evaluation.v1.CreatePromptlabRun;
import dev.skein.proto.evaluation.v1.PromptlabParam;
import dev.skein.proto.tracking.v1.CreateRun;
import dev.skein.proto.tracking.v1.Param;
import dev.skein.proto.tracking.v1.Run;
import dev.skein.proto.tracking.v1.RunStatus;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.jboss.logging.Logger;

/**
 * MLflow 2.17's {@code create-promptlab-run}, as its server does it: the run is created (the request's tags, name,
 * start time), the model parameters, {@code model_route} and {@code prompt_template} logged as params with the tags
 * {@code mlflow.loggedArtifacts} and {@code mlflow.runSourceType = PROMPT_ENGINEERING}, the prompt's model logged
 * ({@code mlflow.log-model.history}) and written under {@code model/} with {@code eval_results_table.json}; the run
 * then ends FINISHED — or FAILED when a step after its creation failed, as MLflow's. The answer is the run, as
 * {@code runs/get}'s. Bad input is refused before anything is written.
 */
@ApplicationScoped
public class PromptlabRuns {

    private static final Logger LOG = Logger.getLogger(PromptlabRuns.class);
    private static final DateTimeFormatter UTC_CREATED = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSSSSS");

    private final TrackingClient tracking;
    private final ArtifactClient artifacts;
    private final String pythonVersion;

    public PromptlabRuns(TrackingClient tracking, ArtifactClient artifacts, EvaluationConfig config) {
        this.tracking = tracking;
        this.artifacts = artifacts;
        this.pythonVersion = config.promptlabPythonVersion();
    }

    /** Checks the request now, then makes the run on a worker thread (the clients block). */
    public Uni<Run> create(CreatePromptlabRun r, String actor) {
        required("experiment_id", r.getExperimentId());
        required("prompt_template", r.getPromptTemplate());
        if (r.getPromptParametersCount() == 0) {
            throw missing("prompt_parameters");
        }
        required("model_route", r.getModelRoute());
        required("model_input", r.getModelInput());
        required("mlflow_version", r.getMlflowVersion());
        if (!r.getMlflowVersion().matches("[0-9]+(\\.[0-9A-Za-z]+){1,4}")) {
            // it is written into the model's requirements: a version, nothing a pip file would read as an option
            throw ApiException.invalidParameter(
                    "mlflow_version must be a version such as 2.17.2, not '" + r.getMlflowVersion() + "'");
        }
        List<PromptlabModel.Param> promptParameters = params("prompt_parameters", r.getPromptParametersList());
        List<PromptlabModel.Param> modelParameters = params("model_parameters", r.getModelParametersList());
        List<PromptlabModel.Param> outputParameters =
                params("model_output_parameters", r.getModelOutputParametersList());
        return Uni.createFrom()
                .item(() -> make(r, promptParameters, modelParameters, outputParameters, actor))
                .runSubscriptionOn(Infrastructure.getDefaultWorkerPool())
                .onFailure(UpstreamUnavailable.class)
                .transform(e -> new ApiException(ErrorCode.TEMPORARILY_UNAVAILABLE, e.getMessage()));
    }

    private Run make(
            CreatePromptlabRun r,
            List<PromptlabModel.Param> promptParameters,
            List<PromptlabModel.Param> modelParameters,
            List<PromptlabModel.Param> outputParameters,
            String actor) {
        String user = Actors.known(actor);
        CreateRun.Builder create = CreateRun.newBuilder()
                .setExperimentId(r.getExperimentId())
                // the signed-in user; without authentication what the request says (MLflow: "unknown")
                .setUserId(user != null ? user : r.hasUserId() ? r.getUserId() : Actors.UNKNOWN)
                .setStartTime(r.hasStartTime() ? r.getStartTime() : System.currentTimeMillis())
                .addAllTags(r.getTagsList());
        if (r.hasRunName()) {
            create.setRunName(r.getRunName());
        }
        Run run = tracking.createRun(create.build(), actor);
        String runId = run.getInfo().getRunId();
        RunStatus end = RunStatus.FINISHED;
        try {
            List<Param> params = new ArrayList<>();
            modelParameters.forEach(p -> params.add(param(p.key(), p.value())));
            params.add(param("model_route", r.getModelRoute()));
            params.add(param("prompt_template", r.getPromptTemplate()));
            Map<String, String> tags = new LinkedHashMap<>();
            tags.put("mlflow.loggedArtifacts", PromptlabModel.loggedArtifacts());
            tags.put("mlflow.runSourceType", "PROMPT_ENGINEERING");
            tracking.logBatch(runId, params, tags, actor);
            PromptlabModel.Prompt prompt = new PromptlabModel.Prompt(
                    runId,
                    r.getPromptTemplate(),
                    promptParameters,
                    r.getModelRoute(),
                    modelParameters,
                    r.getModelInput(),
                    r.hasModelOutput() ? r.getModelOutput() : null,
                    outputParameters,
                    r.getMlflowVersion(),
                    pythonVersion,
                    LocalDateTime.now(ZoneOffset.UTC).format(UTC_CREATED),
                    UUID.randomUUID().toString().replace("-", ""));
            tracking.logModel(runId, PromptlabModel.historyJson(prompt), actor);
            PromptlabModel.files(prompt).forEach((path, content) -> artifacts.upload(runId, path, content, actor));
        } catch (RuntimeException e) {
            // as MLflow's: a run that could not be completed ends FAILED (and is still the answer)
            LOG.warnf("prompt-lab run %s failed: %s", runId, e.getMessage());
            end = RunStatus.FAILED;
        }
        tracking.endRun(runId, end, actor);
        return tracking.getRun(runId, actor);
    }

    private static Param param(String key, String value) {
        return Param.newBuilder().setKey(key).setValue(value).build();
    }

    private static void required(String name, String value) {
        if (value == null || value.isEmpty()) {
            throw missing(name);
        }
    }

    private static ApiException missing(String name) {
        return ApiException.invalidParameter("CreatePromptlabRun request must specify " + name + ".");
    }

    private static List<PromptlabModel.Param> params(String field, List<PromptlabParam> given) {
        List<PromptlabModel.Param> out = new ArrayList<>(given.size());
        for (PromptlabParam p : given) {
            if (!p.hasKey() || p.getKey().isEmpty()) {
                throw ApiException.invalidParameter("Each of " + field + " must have a key.");
            }
            out.add(new PromptlabModel.Param(p.getKey(), str(p.getValue())));
        }
        return out;
    }

    /** Python's {@code str()} of a JSON value, as MLflow logs {@code Param(key, str(value))}. */
    static String str(Value v) {
        return switch (v.getKindCase()) {
            case STRING_VALUE -> v.getStringValue();
            case BOOL_VALUE -> v.getBoolValue() ? "True" : "False";
            case NUMBER_VALUE -> {
                double d = v.getNumberValue();
                // JSON's 100 is Python's int 100 (a number read here as a double: whole ones print as ints)
                yield d == Math.rint(d) && Math.abs(d) < 1e16 ? Long.toString((long) d) : PythonFloats.repr(d);
            }
            case NULL_VALUE, KIND_NOT_SET -> "None";
            default ->
                throw ApiException.invalidParameter("A parameter's value must be a string, a number or a boolean.");
        };
    }
}
