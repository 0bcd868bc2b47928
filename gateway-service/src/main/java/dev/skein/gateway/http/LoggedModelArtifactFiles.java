package dev.skein.gateway.http;

import dev.skein.gateway.route.RouteTable;
import dev.skein.proto.artifacts.v1.Download;
import dev.skein.proto.artifacts.v1.LoggedModelArtifact;
import dev.skein.proto.common.v1.ErrorCode;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.RoutingContext;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * MLflow 3's download of a logged model's file, {@code GET
 * /ajax-api/2.0/mlflow/logged-models/<model_id>/artifacts/files?artifact_file_path=<path>} (its web UI's):
 * the file under the model's artifact location, streamed as the other downloads are, with ranges.
 * artifact-service finds the location through tracking-service and judges the path. The listing,
 * {@code …/artifacts/directories}, is a JSON route of the route table.
 */
final class LoggedModelArtifactFiles {

    private static final Pattern PATH =
            Pattern.compile("^/ajax-api/2\\.0/mlflow/logged-models/([^/]+)/artifacts/files$");

    private final ArtifactProxy artifacts;

    LoggedModelArtifactFiles(ArtifactProxy artifacts) {
        this.artifacts = artifacts;
    }

    /** Whether this endpoint is at the path (it serves GET, and HEAD as Flask does). */
    static boolean servesPath(String path) {
        return PATH.matcher(path).matches();
    }

    /** Serves the request if it is this endpoint; false if it is not. */
    boolean handle(RoutingContext ctx, String actor) {
        Matcher m = PATH.matcher(ctx.request().path());
        if (!m.matches()
                || (ctx.request().method() != HttpMethod.GET && ctx.request().method() != HttpMethod.HEAD)) {
            return false;
        }
        String file = ctx.request().getParam("artifact_file_path");
        if (file == null || file.isEmpty()) {
            // MLflow's words and code (BAD_REQUEST, 400)
            Errors.error(
                    ctx,
                    400,
                    ErrorCode.BAD_REQUEST,
                    "Request must include the \"artifact_file_path\" query parameter.");
            return true;
        }
        artifacts.download(
                ctx,
                Download.newBuilder()
                        .setLoggedModel(LoggedModelArtifact.newBuilder()
                                .setModelId(RouteTable.decode(m.group(1)))
                                .setPath(file)),
                actor);
        return true;
    }
}
