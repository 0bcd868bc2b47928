package dev.skein.evaluation.service;

import dev.skein.common.error.ApiException;
import dev.skein.common.validation.Inputs;
import dev.skein.evaluation.client.TrackingClient.RunView;
import dev.skein.proto.artifacts.v1.Download;
import dev.skein.proto.artifacts.v1.RunArtifact;
import java.util.Optional;
import java.util.function.Function;

/**
 * Where an evaluation's table is: {@code data} of the spec, judged against the evaluated run. A
 * relative path is under the run's artifacts; {@code runs:/<id>/<path>} and
 * {@code mlflow-artifacts:/<experiment>/…} may name other files, but only of the run's own experiment —
 * whoever may evaluate the run may read its experiment, and no further (the gateway checks the run
 * alone).
 */
final class DataLocation {

    private DataLocation() {}

    /** The download of the table; refuses (INVALID_PARAMETER_VALUE) what it must not read. */
    static Download of(String data, RunView run, Function<String, Optional<RunView>> runs) {
        if (data.startsWith("runs:/")) {
            String rest = data.substring("runs:/".length());
            int slash = rest.indexOf('/');
            if (slash <= 0 || slash == rest.length() - 1) {
                throw ApiException.invalidParameter("data '" + data + "' must be runs:/<run_id>/<path to the table>");
            }
            String runId = rest.substring(0, slash);
            String path = relative(rest.substring(slash + 1), data);
            if (!runId.equals(run.runId())) {
                RunView other = runs.apply(runId)
                        .orElseThrow(() -> ApiException.invalidParameter(
                                "data '" + data + "' names run " + runId + ", which does not exist"));
                sameExperiment(other.experimentId(), run, data);
            }
            return Download.newBuilder()
                    .setRun(RunArtifact.newBuilder().setRunId(runId).setPath(path))
                    .build();
        }
        if (data.startsWith("mlflow-artifacts:/")) {
            String path = relative(data.substring("mlflow-artifacts:/".length()), data);
            int slash = path.indexOf('/');
            sameExperiment(slash < 0 ? path : path.substring(0, slash), run, data);
            return Download.newBuilder().setPath(path).build();
        }
        if (data.contains(":/")) {
            throw ApiException.invalidParameter("data '" + data
                    + "' is not a path under the run's artifacts, a runs:/ URI or an mlflow-artifacts:/ URI");
        }
        return Download.newBuilder()
                .setRun(RunArtifact.newBuilder().setRunId(run.runId()).setPath(relative(data, data)))
                .build();
    }

    private static String relative(String path, String data) {
        String trimmed = path;
        while (trimmed.startsWith("/")) {
            trimmed = trimmed.substring(1);
        }
        String normalized = Inputs.normalizePath(trimmed);
        if (normalized.equals(".") || normalized.equals("..") || normalized.startsWith("../")) {
            throw ApiException.invalidParameter("data '" + data + "' names no file inside the artifacts");
        }
        return normalized;
    }

    private static void sameExperiment(String experimentId, RunView run, String data) {
        if (!experimentId.equals(run.experimentId())) {
            throw ApiException.invalidParameter("data '" + data + "' is outside the experiment of run "
                    + run.runId() + " (experiment " + run.experimentId()
                    + "); only that experiment's artifacts can be evaluated with it");
        }
    }
}
