package dev.skein.gateway.http;

import com.google.protobuf.UnsafeByteOperations;
import dev.skein.gateway.client.Upstreams;
import dev.skein.gateway.route.RouteTable;
import dev.skein.proto.artifacts.v1.ArtifactServiceGrpc;
import dev.skein.proto.artifacts.v1.Download;
import dev.skein.proto.artifacts.v1.DownloadHeader;
import dev.skein.proto.artifacts.v1.ModelVersionArtifact;
import dev.skein.proto.artifacts.v1.RunArtifact;
import dev.skein.proto.artifacts.v1.UploadChunk;
import dev.skein.proto.artifacts.v1.UploadHeader;
import dev.skein.proto.artifacts.v1.UploadResult;
import dev.skein.proto.common.v1.ErrorCode;
import io.micrometer.core.instrument.Counter;
import io.vertx.core.Context;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jboss.logging.Logger;

/**
 * MLflow's raw-byte artifact endpoints, streamed both ways with flat memory:
 *
 * <ul>
 *   <li>{@code PUT /api/2.0/mlflow-artifacts/artifacts/<path>}: the body is the file. The request is
 *       read only as fast as artifact-service takes it (the HTTP connection is paused while the
 *       gRPC call is not ready), in chunks of {@link #CHUNK} bytes.
 *   <li>{@code GET /api/2.0/mlflow-artifacts/artifacts/<path>}, {@code GET /get-artifact?run_id=&path=}
 *       and {@code GET /model-versions/get-artifact?name=&version=&path=}: the file, with its
 *       Content-Length and Content-Type, or the byte range a {@code Range} header asks for (206). The
 *       next chunk is asked of artifact-service only once the client has taken the last. HEAD, as
 *       Flask: the same status and headers, no body (and no byte of the file read).
 * </ul>
 *
 * Paths come percent-decoded from the raw request path; artifact-service judges them.
 */
final class ArtifactProxy {

    private static final Logger LOG = Logger.getLogger(ArtifactProxy.class);
    private static final Pattern FILE_PATH =
            Pattern.compile("^/(?:api|ajax-api)/2\\.0/mlflow-artifacts/artifacts/(.+)$");
    private static final Pattern RANGE = Pattern.compile("^bytes=(\\d*)-(\\d*)$");
    private static final int CHUNK = 256 * 1024;
    private static final String UPLOAD_ARTIFACT = "/ajax-api/2.0/mlflow/upload-artifact";
    /** MLflow's limit of upload-artifact (10 MiB), also for a body of no declared length. */
    static final long MAX_UPLOAD_ARTIFACT = 10L * 1024 * 1024;

    static final String TOO_LARGE = "Artifact size is too large. Max size is 10MB.";
    private static final DateTimeFormatter HTTP_DATE = DateTimeFormatter.RFC_1123_DATE_TIME.withZone(ZoneOffset.UTC);

    private final Upstreams upstreams;
    private final long maxDiscardedBodySize;
    private final DownloadWriter downloads;
    private final Counter cancelled;

    /** @param cancelled counts the artifact-service calls cancelled (each one HTTP/2 stream reset) */
    ArtifactProxy(Upstreams upstreams, long maxDiscardedBodySize, DownloadWriter downloads, Counter cancelled) {
        this.upstreams = upstreams;
        this.maxDiscardedBodySize = maxDiscardedBodySize;
        this.downloads = downloads;
        this.cancelled = cancelled;
    }

    /** Serves the request if it is one of the raw-byte endpoints; false if it is not. */
    boolean handle(RoutingContext ctx, String actor) {
        HttpServerRequest request = ctx.request();
        String path = collapseLeadingSlashes(request.path());
        HttpMethod method = request.method();
        if (path.equals(UPLOAD_ARTIFACT)) {
            if (method == HttpMethod.POST) {
                uploadToRun(ctx, actor);
                return true;
            }
            return false;
        }
        if (path.equals("/get-artifact") || path.equals("/ajax-api/2.0/mlflow/get-artifact")) {
            if (method == HttpMethod.GET || method == HttpMethod.HEAD) {
                String runId = firstOf(request, "run_id", "run_uuid");
                RunArtifact.Builder run = RunArtifact.newBuilder();
                if (runId != null) {
                    run.setRunId(runId);
                }
                if (request.getParam("path") != null) {
                    run.setPath(request.getParam("path"));
                }
                download(ctx, Download.newBuilder().setRun(run), actor);
                return true;
            }
            return false;
        }
        if (path.equals("/model-versions/get-artifact")
                || path.equals("/ajax-api/2.0/mlflow/model-versions/get-artifact")) {
            if (method == HttpMethod.GET || method == HttpMethod.HEAD) {
                ModelVersionArtifact.Builder mv = ModelVersionArtifact.newBuilder();
                if (request.getParam("name") != null) {
                    mv.setName(request.getParam("name"));
                }
                if (request.getParam("version") != null) {
                    mv.setVersion(request.getParam("version"));
                }
                if (request.getParam("path") != null) {
                    mv.setPath(request.getParam("path"));
                }
                download(ctx, Download.newBuilder().setModelVersion(mv), actor);
                return true;
            }
            return false;
        }
        Matcher m = FILE_PATH.matcher(request.path());
        if (!m.matches()) {
            return false;
        }
        String file = RouteTable.decode(m.group(1));
        if (method == HttpMethod.GET || method == HttpMethod.HEAD) {
            download(ctx, Download.newBuilder().setPath(file), actor);
            return true;
        }
        if (method == HttpMethod.PUT) {
            upload(ctx, UploadHeader.newBuilder().setPath(file), Long.MAX_VALUE, "{}", actor);
            return true;
        }
        return false;
    }

    /**
     * The HTTP methods the raw-byte endpoints serve at this path; empty where they serve nothing. A
     * request with another method at such a path is answered 405, as Flask does.
     */
    static Set<String> methodsAt(String path) {
        String p = collapseLeadingSlashes(path);
        if (p.equals(UPLOAD_ARTIFACT)) {
            return Set.of("POST");
        }
        if (p.equals("/get-artifact")
                || p.equals("/ajax-api/2.0/mlflow/get-artifact")
                || p.equals("/model-versions/get-artifact")
                || p.equals("/ajax-api/2.0/mlflow/model-versions/get-artifact")) {
            return Set.of("GET");
        }
        return FILE_PATH.matcher(path).matches() ? Set.of("GET", "PUT") : Set.of();
    }

    /**
     * Whether the gateway serves this path outside {@code /api/} and {@code /ajax-api/}: the UI's
     * downloads. Leading slashes count as one, as in MLflow (Flask), where {@code
     * //model-versions/get-artifact} is the endpoint itself.
     */
    static boolean servesTopLevel(String path) {
        String p = collapseLeadingSlashes(path);
        return p.equals("/get-artifact") || p.equals("/model-versions/get-artifact");
    }

    private static String collapseLeadingSlashes(String path) {
        int i = 0;
        while (i + 1 < path.length() && path.charAt(i) == '/' && path.charAt(i + 1) == '/') {
            i++;
        }
        return path.substring(i);
    }

    private static String firstOf(HttpServerRequest request, String... names) {
        for (String name : names) {
            String v = request.getParam(name);
            if (v != null && !v.isEmpty()) {
                return v;
            }
        }
        return null;
    }

    // --- upload ------------------------------------------------------------------------------

    /**
     * MLflow's upload-artifact ({@code POST /ajax-api/2.0/mlflow/upload-artifact?run_uuid=&path=}, the
     * web UI's): the raw body is the file, stored under the run's artifact root, at most {@link
     * #MAX_UPLOAD_ARTIFACT} bytes; answered with an empty JSON response as MLflow does. artifact-service
     * judges the path, then refuses an empty body, then looks the run up — MLflow's order.
     */
    private void uploadToRun(RoutingContext ctx, String actor) {
        HttpServerRequest request = ctx.request();
        String runId = request.getParam("run_uuid");
        if (runId == null || runId.isEmpty()) {
            refuse(ctx, "Request must specify run_uuid.");
            return;
        }
        String file = request.getParam("path");
        if (file == null || file.isEmpty()) {
            refuse(ctx, "Request must specify path.");
            return;
        }
        upload(ctx, UploadHeader.newBuilder().setRunId(runId).setPath(file), MAX_UPLOAD_ARTIFACT, "", actor);
    }

    /** A 400 {@code INVALID_PARAMETER_VALUE} before the body was read: it is not read any further. */
    private void refuse(RoutingContext ctx, String message) {
        boolean stillReading = !ctx.request().isEnded();
        if (stillReading) {
            Errors.announceClose(ctx);
        }
        Errors.error(ctx, 400, ErrorCode.INVALID_PARAMETER_VALUE, message);
        if (stillReading) {
            Errors.stopReading(ctx, maxDiscardedBodySize);
        }
    }

    /** The body is the file: streamed to artifact-service, at most {@code maxBytes}; {@code answer} on success. */
    private void upload(RoutingContext ctx, UploadHeader.Builder header, long maxBytes, String answer, String actor) {
        HttpServerRequest request = ctx.request();
        HttpServerResponse response = ctx.response();
        Context context = ctx.vertx().getOrCreateContext();
        String length = request.getHeader(HttpHeaders.CONTENT_LENGTH);
        if (length != null) {
            try {
                header.setSize(Long.parseLong(length.trim()));
            } catch (NumberFormatException e) {
                Errors.closeWith(ctx, 400, ErrorCode.INVALID_PARAMETER_VALUE, "Invalid Content-Length: " + length);
                return;
            }
            if (header.getSize() > maxBytes) {
                // a declared length past the limit is refused before artifact-service is called
                refuse(ctx, TOO_LARGE);
                return;
            }
        }
        boolean[] finished = {false};
        Upstreams.Sink<UploadChunk> sink = upstreams.upload(
                upstreams.artifacts(), ArtifactServiceGrpc.getUploadMethod(), actor, new Upstreams.ResultHandler<>() {
                    @Override
                    public void onReady() {
                        context.runOnContext(v -> {
                            if (!finished[0] && !request.isEnded()) {
                                request.resume();
                            }
                        });
                    }

                    @Override
                    public void onResult(UploadResult result) {
                        context.runOnContext(v -> {
                            finished[0] = true;
                            if (!response.ended()) {
                                response.putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                                        .end(answer);
                            }
                        });
                    }

                    @Override
                    public void onError(Throwable failure) {
                        context.runOnContext(v -> {
                            if (response.ended() || response.closed()) {
                                // answered already (refused), or the client went away: nobody to tell
                                LOG.debugf("Upload %s ended after its answer: %s", request.path(), failure);
                                return;
                            }
                            boolean stillReading = !finished[0] && !request.isEnded();
                            finished[0] = true;
                            if (stillReading) {
                                // the answer is known before the body was read
                                Errors.announceClose(ctx);
                            }
                            Errors.fail(ctx, "PUT " + request.path(), failure);
                            if (stillReading) {
                                Errors.stopReading(ctx, maxDiscardedBodySize);
                            }
                        });
                    }
                });
        sink.send(UploadChunk.newBuilder().setHeader(header).build());
        Buffer[] pending = {Buffer.buffer(CHUNK)};
        long[] received = {0};
        request.handler(data -> {
            if (finished[0]) {
                return;
            }
            received[0] += data.length();
            if (received[0] > maxBytes) {
                finished[0] = true;
                cancelled.increment();
                sink.cancel("The body is larger than " + maxBytes + " bytes");
                refuse(ctx, TOO_LARGE);
                return;
            }
            pending[0].appendBuffer(data);
            if (pending[0].length() >= CHUNK) {
                sink.send(chunk(pending[0]));
                pending[0] = Buffer.buffer(CHUNK);
                if (!sink.isReady()) {
                    request.pause();
                }
            }
        });
        request.endHandler(v -> {
            if (finished[0]) {
                return;
            }
            if (pending[0].length() > 0) {
                sink.send(chunk(pending[0]));
            }
            sink.finish();
        });
        request.exceptionHandler(failure -> {
            if (!finished[0]) {
                finished[0] = true;
                cancelled.increment();
                sink.cancel("The HTTP client went away: " + failure);
            }
        });
        response.closeHandler(v -> {
            if (!finished[0]) {
                finished[0] = true;
                cancelled.increment();
                sink.cancel("The HTTP client went away");
            }
        });
        request.resume();
    }

    private static UploadChunk chunk(Buffer data) {
        return UploadChunk.newBuilder()
                .setData(UnsafeByteOperations.unsafeWrap(data.getBytes()))
                .build();
    }

    // --- download ----------------------------------------------------------------------------

    void download(RoutingContext ctx, Download.Builder request, String actor) {
        String range = ctx.request().getHeader("Range");
        if (range != null) {
            Matcher m = RANGE.matcher(range.trim());
            // a malformed or multi-part range is ignored, as HTTP allows: the whole file is sent
            if (m.matches() && !(m.group(1).isEmpty() && m.group(2).isEmpty())) {
                try {
                    if (m.group(1).isEmpty()) {
                        request.setSuffixLength(Long.parseLong(m.group(2)));
                    } else {
                        request.setFirst(Long.parseLong(m.group(1)));
                        if (!m.group(2).isEmpty()) {
                            request.setLast(Long.parseLong(m.group(2)));
                        }
                    }
                } catch (NumberFormatException tooLong) {
                    request.clearFirst().clearLast().clearSuffixLength();
                }
            }
        }
        String what = ctx.request().method() + " " + ctx.request().path();
        downloads.write(
                ctx, request.build(), actor, what, ArtifactProxy::start, failure -> Errors.fail(ctx, what, failure));
    }

    /** Writes the status and headers; false if the answer is complete already (416). */
    private static boolean start(HttpServerResponse response, DownloadHeader header) {
        if (header.getUnsatisfiable()) {
            response.putHeader(HttpHeaders.CONTENT_RANGE, "bytes */" + header.getTotalSize());
            Errors.error(
                    response,
                    416,
                    ErrorCode.INVALID_PARAMETER_VALUE,
                    "Range not satisfiable: the file has " + header.getTotalSize() + " bytes");
            return false;
        }
        response.setStatusCode(header.getPartial() ? 206 : 200)
                .putHeader(HttpHeaders.CONTENT_TYPE, header.getContentType())
                .putHeader(HttpHeaders.CONTENT_LENGTH, Long.toString(header.getLength()))
                .putHeader("Content-Disposition", "attachment; filename=" + header.getName())
                .putHeader("X-Content-Type-Options", "nosniff")
                .putHeader(HttpHeaders.ACCEPT_RANGES, "bytes")
                .putHeader(
                        HttpHeaders.ETAG,
                        header.getEtag().startsWith("\"") ? header.getEtag() : "\"" + header.getEtag() + "\"")
                .putHeader(HttpHeaders.LAST_MODIFIED, HTTP_DATE.format(Instant.ofEpochMilli(header.getLastModified())));
        if (header.getPartial()) {
            response.putHeader(
                    HttpHeaders.CONTENT_RANGE,
                    "bytes " + header.getFirst() + "-" + (header.getFirst() + header.getLength() - 1) + "/"
                            + header.getTotalSize());
        }
        response.writeHead();
        return true;
    }
}
