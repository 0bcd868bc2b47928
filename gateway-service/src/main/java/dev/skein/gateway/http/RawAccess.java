package dev.skein.gateway.http;

import dev.skein.gateway.route.RouteTable;
import dev.skein.proto.api.v1.Access;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the endpoints outside the route table — artifact bytes, trace and logged-model files, OTLP
 * ingest — touch, for the permission check before they run: MLflow's rules (a run's artifacts by its
 * experiment, a model version's by the registered model, a proxied path by the experiment id it
 * starts with).
 */
final class RawAccess {

    record Target(Access.Resource resource, Access.Level level, List<String> values) {}

    private static final Pattern FILE_PATH =
            Pattern.compile("^/(?:api|ajax-api)/2\\.0/mlflow-artifacts/artifacts/(.+)$");
    private static final Pattern LOGGED_MODEL_FILES =
            Pattern.compile("^/ajax-api/2\\.0/mlflow/logged-models/([^/]+)/artifacts/files$");

    private RawAccess() {}

    /** The target of the request if it is one of those endpoints, else null. */
    static Target of(HttpServerRequest request) {
        String path = request.path().replaceFirst("^/+", "/");
        HttpMethod method = request.method();
        boolean reading = method == HttpMethod.GET || method == HttpMethod.HEAD;
        if (path.equals("/ajax-api/2.0/mlflow/upload-artifact") && method == HttpMethod.POST) {
            return new Target(Access.Resource.RUN, Access.Level.UPDATE, params(request, "run_uuid", "run_id"));
        }
        if ((path.equals("/get-artifact") || path.equals("/ajax-api/2.0/mlflow/get-artifact")) && reading) {
            return new Target(Access.Resource.RUN, Access.Level.READ, params(request, "run_id", "run_uuid"));
        }
        if ((path.equals("/model-versions/get-artifact")
                        || path.equals("/ajax-api/2.0/mlflow/model-versions/get-artifact"))
                && reading) {
            return new Target(Access.Resource.REGISTERED_MODEL, Access.Level.READ, params(request, "name"));
        }
        if (path.equals(TraceArtifact.PATH) && reading) {
            return new Target(Access.Resource.TRACE, Access.Level.READ, params(request, "request_id"));
        }
        if (path.equals(OtlpTraces.PATH) && method == HttpMethod.POST) {
            String experiment = request.getHeader(OtlpTraces.EXPERIMENT_HEADER);
            return new Target(
                    Access.Resource.EXPERIMENT,
                    Access.Level.UPDATE,
                    experiment == null || experiment.isEmpty() ? List.of() : List.of(experiment));
        }
        Matcher files = LOGGED_MODEL_FILES.matcher(request.path());
        if (files.matches() && reading) {
            return new Target(
                    Access.Resource.LOGGED_MODEL, Access.Level.READ, List.of(RouteTable.decode(files.group(1))));
        }
        Matcher file = FILE_PATH.matcher(request.path());
        if (file.matches() && (reading || method == HttpMethod.PUT)) {
            return new Target(
                    Access.Resource.ARTIFACT_PATH,
                    reading ? Access.Level.READ : Access.Level.UPDATE,
                    List.of(RouteTable.decode(file.group(1))));
        }
        return null;
    }

    /** The first of these query parameters that is set. */
    private static List<String> params(HttpServerRequest request, String... names) {
        List<String> values = new ArrayList<>();
        for (String name : names) {
            String v = request.getParam(name);
            if (v != null && !v.isEmpty()) {
                values.add(v);
                break;
            }
        }
        return values;
    }
}
