package dev.skein.gateway.http;

import dev.skein.gateway.client.Upstreams;
import dev.skein.gateway.route.Route;
import dev.skein.gateway.route.RouteTable;
import dev.skein.proto.artifacts.v1.Download;
import dev.skein.proto.common.v1.ErrorCode;
import dev.skein.proto.tracking.v1.GetTraceInfo;
import dev.skein.proto.tracking.v1.TraceServiceGrpc;
import dev.skein.proto.tracking.v1.TraceTag;
import io.grpc.StatusRuntimeException;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.RoutingContext;
import java.util.UUID;
import org.jboss.logging.Logger;

/**
 * {@code GET /ajax-api/2.0/mlflow/get-trace-artifact?request_id=} (MLflow's UI reads a trace's spans
 * with it): the trace's {@code mlflow.artifactLocation} tag is read from tracking-service, and
 * {@value #FILE} under it streamed from artifact-service as an attachment, with flat memory.
 */
final class TraceArtifact {

    static final String PATH = "/ajax-api/2.0/mlflow/get-trace-artifact";

    private static final Logger LOG = Logger.getLogger(TraceArtifact.class);
    private static final String FILE = "traces.json";
    private static final String LOCATION_TAG = "mlflow.artifactLocation";
    private static final String PROXY_SCHEME = "mlflow-artifacts:";

    private final Upstreams upstreams;
    private final DownloadWriter downloads;
    private final Route traceInfo;

    TraceArtifact(Upstreams upstreams, RouteTable routes, DownloadWriter downloads) {
        this.upstreams = upstreams;
        this.downloads = downloads;
        this.traceInfo = routes.all().stream()
                .filter(r -> r.method()
                        .getFullMethodName()
                        .equals(TraceServiceGrpc.getGetTraceInfoMethod().getFullMethodName()))
                .findFirst()
                .orElseThrow(() -> new IllegalStateException("No route to TraceService.GetTraceInfo"));
    }

    /** Serves the request if it is this endpoint; false if it is not. */
    boolean handle(RoutingContext ctx, String actor) {
        if (!ctx.request().path().equals(PATH)
                || (ctx.request().method() != HttpMethod.GET && ctx.request().method() != HttpMethod.HEAD)) {
            return false;
        }
        String requestId = ctx.request().getParam("request_id");
        if (requestId == null || requestId.isEmpty()) {
            Errors.error(ctx, 400, ErrorCode.BAD_REQUEST, "Request must include the \"request_id\" query parameter.");
            return true;
        }
        upstreams
                .call(
                        traceInfo,
                        GetTraceInfo.newBuilder().setRequestId(requestId).build(),
                        actor)
                .subscribe()
                .with(
                        info -> {
                            String location = ((GetTraceInfo.Response) info)
                                    .getTraceInfo().getTagsList().stream()
                                            .filter(t -> t.getKey().equals(LOCATION_TAG))
                                            .map(TraceTag::getValue)
                                            .findFirst()
                                            .orElse(null);
                            String path = proxyPath(location);
                            if (path == null) {
                                Errors.error(
                                        ctx,
                                        400,
                                        ErrorCode.BAD_REQUEST,
                                        "Failed to resolve the proxied run artifact URI: " + location
                                                + ". Trace artifact URI must contain subpath to the trace data directory.");
                                return;
                            }
                            download(ctx, path.isEmpty() ? FILE : path + "/" + FILE, actor);
                        },
                        failure -> Errors.fail(ctx, "GET " + PATH, failure));
        return true;
    }

    /**
     * The path under the proxy root of an {@code mlflow-artifacts:} location ({@code
     * mlflow-artifacts:/1/traces/<id>/artifacts}, or with an authority {@code
     * mlflow-artifacts://host:port/1/…}); null for any other location.
     */
    static String proxyPath(String location) {
        if (location == null || !location.startsWith(PROXY_SCHEME)) {
            return null;
        }
        String rest = location.substring(PROXY_SCHEME.length());
        if (rest.startsWith("//")) {
            int slash = rest.indexOf('/', 2);
            rest = slash < 0 ? "" : rest.substring(slash);
        }
        while (rest.startsWith("/")) {
            rest = rest.substring(1);
        }
        while (rest.endsWith("/")) {
            rest = rest.substring(0, rest.length() - 1);
        }
        return rest.isEmpty() ? null : rest;
    }

    private void download(RoutingContext ctx, String path, String actor) {
        downloads.write(
                ctx,
                Download.newBuilder().setPath(path).build(),
                actor,
                "GET " + PATH + " (" + path + ")",
                (response, header) -> {
                    response.setStatusCode(200)
                            .putHeader(HttpHeaders.CONTENT_TYPE, header.getContentType())
                            .putHeader(HttpHeaders.CONTENT_LENGTH, Long.toString(header.getLength()))
                            .putHeader("Content-Disposition", "attachment; filename=" + FILE)
                            .putHeader("X-Content-Type-Options", "nosniff")
                            .writeHead();
                    return true;
                },
                failure -> {
                    if (failure instanceof StatusRuntimeException sre
                            && Errors.answer(sre, UUID.randomUUID().toString()).code()
                                    == ErrorCode.RESOURCE_DOES_NOT_EXIST) {
                        // MLflow's MlflowTraceDataNotFound
                        Errors.error(ctx, 404, ErrorCode.NOT_FOUND, "Trace data not found for path=" + FILE);
                    } else {
                        Errors.fail(ctx, "GET " + PATH, failure);
                    }
                });
    }
}
