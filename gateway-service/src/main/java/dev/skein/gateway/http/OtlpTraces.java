package dev.skein.gateway.http;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import dev.skein.common.error.GrpcErrors;
import dev.skein.gateway.client.Upstreams;
import dev.skein.gateway.route.Route;
import dev.skein.proto.common.v1.ErrorCode;
import dev.skein.proto.tracking.v1.LogSpans;
import dev.skein.proto.tracking.v1.TraceServiceGrpc;
import io.grpc.Channel;
import io.grpc.MethodDescriptor;
import io.grpc.StatusRuntimeException;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Base64;
import java.util.HexFormat;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.zip.GZIPInputStream;
import java.util.zip.InflaterInputStream;

/**
 * OTLP/HTTP trace ingest at {@value #PATH}, as MLflow 3's server serves it ({@code
 * mlflow/server/otel_api.py}): an {@code ExportTraceServiceRequest} whose spans go to the
 * experiment in header {@value #EXPERIMENT_HEADER}, answered with an {@code
 * ExportTraceServiceResponse}. MLflow takes only {@code application/x-protobuf}; Skein also takes
 * OTLP's JSON encoding ({@code application/json}, ids in hex) and answers it in JSON. Bodies may be
 * gzip or deflate encoded. Errors are MLflow's (FastAPI's): {@code {"detail": ...}} with 400 for an
 * unreadable request, 422 for a missing header or spans that cannot be logged.
 *
 * <p>The body is limited before it is read (skein.gateway.otlp.max-body-size), and again after
 * decompression, so a small compressed body cannot expand past the same limit.
 */
final class OtlpTraces {

    static final String PATH = "/v1/traces";
    static final String EXPERIMENT_HEADER = "x-mlflow-experiment-id";
    static final String PROTOBUF = "application/x-protobuf";
    static final String JSON = "application/json";

    private static final JsonFormat.Parser JSON_PARSER = JsonFormat.parser().ignoringUnknownFields();
    private static final JsonFormat.Printer JSON_PRINTER = JsonFormat.printer();

    private final Upstreams upstreams;
    private final Route logSpans;
    private final long maxBodyBytes;

    @SuppressWarnings("unchecked")
    OtlpTraces(Upstreams upstreams, long maxBodyBytes) {
        this.upstreams = upstreams;
        this.maxBodyBytes = maxBodyBytes;
        Channel tracking = upstreams.services().get(TraceServiceGrpc.getServiceDescriptor());
        if (tracking == null) {
            throw new IllegalStateException("No upstream serves TraceService");
        }
        this.logSpans = new Route(
                "POST",
                PATH,
                (MethodDescriptor<Message, Message>) (MethodDescriptor<?, ?>) TraceServiceGrpc.getLogSpansMethod(),
                LogSpans.getDefaultInstance(),
                tracking,
                maxBodyBytes,
                false);
    }

    /**
     * Serves the request if it is this endpoint; false if it is not. {@code readBody} reads the body
     * within a limit (the gateway's bounded, budgeted reader) and then hands it on.
     */
    boolean handle(RoutingContext ctx, String actor, BiConsumer<Long, Consumer<byte[]>> readBody) {
        if (!ctx.request().path().equals(PATH)) {
            return false;
        }
        if (ctx.request().method() != HttpMethod.POST) {
            ctx.response().putHeader(HttpHeaders.ALLOW, "POST");
            detail(ctx, 405, "Method Not Allowed");
            return true;
        }
        String experimentId = ctx.request().getHeader(EXPERIMENT_HEADER);
        if (experimentId == null) {
            // FastAPI's answer to a missing required header
            ctx.response()
                    .setStatusCode(422)
                    .putHeader(HttpHeaders.CONTENT_TYPE, JSON)
                    .end(new JsonObject()
                            .put(
                                    "detail",
                                    new io.vertx.core.json.JsonArray()
                                            .add(new JsonObject()
                                                    .put("type", "missing")
                                                    .put(
                                                            "loc",
                                                            new io.vertx.core.json.JsonArray()
                                                                    .add("header")
                                                                    .add(EXPERIMENT_HEADER))
                                                    .put("msg", "Field required")
                                                    .putNull("input")))
                            .encode());
            return true;
        }
        String contentType = ctx.request().getHeader(HttpHeaders.CONTENT_TYPE);
        String mediaType =
                contentType == null ? null : contentType.split(";")[0].trim().toLowerCase();
        if (!PROTOBUF.equals(mediaType) && !JSON.equals(mediaType)) {
            detail(ctx, 400, "Invalid Content-Type: " + contentType + ". Expected: " + PROTOBUF + " or " + JSON);
            return true;
        }
        String encoding = ctx.request().getHeader(HttpHeaders.CONTENT_ENCODING);
        String coding = encoding == null ? "identity" : encoding.trim().toLowerCase();
        if (!coding.equals("identity") && !coding.equals("gzip") && !coding.equals("deflate")) {
            detail(ctx, 400, "Unsupported Content-Encoding: " + encoding);
            return true;
        }
        readBody.accept(maxBodyBytes, raw -> {
            ExportTraceServiceRequest request;
            try {
                byte[] body = decompress(raw, coding);
                request = PROTOBUF.equals(mediaType) ? ExportTraceServiceRequest.parseFrom(body) : fromJson(body);
            } catch (TooLarge e) {
                detail(ctx, 413, "Request body exceeds " + maxBodyBytes + " bytes once decompressed");
                return;
            } catch (IOException | IllegalArgumentException e) {
                detail(
                        ctx,
                        400,
                        "Invalid OpenTelemetry " + (PROTOBUF.equals(mediaType) ? "protobuf" : "JSON") + " format");
                return;
            }
            if (request.getResourceSpansCount() == 0) {
                detail(ctx, 400, "Invalid OpenTelemetry protobuf format - no spans found");
                return;
            }
            LogSpans.Builder call = LogSpans.newBuilder().setExperimentId(experimentId);
            for (ResourceSpans rs : request.getResourceSpansList()) {
                for (ScopeSpans ss : rs.getScopeSpansList()) {
                    call.addAllSpans(ss.getSpansList());
                }
            }
            upstreams
                    .call(logSpans, call.build(), actor)
                    .subscribe()
                    .with(
                            done -> {
                                if (ctx.response().ended()) {
                                    return;
                                }
                                ExportTraceServiceResponse answer = ExportTraceServiceResponse.getDefaultInstance();
                                if (PROTOBUF.equals(mediaType)) {
                                    ctx.response()
                                            .putHeader(HttpHeaders.CONTENT_TYPE, PROTOBUF)
                                            .end(Buffer.buffer(answer.toByteArray()));
                                } else {
                                    ctx.response()
                                            .putHeader(HttpHeaders.CONTENT_TYPE, JSON)
                                            .end(print(answer));
                                }
                            },
                            failure -> {
                                // MLflow answers spans its store refuses with 422; internal failures stay MLflow errors
                                if (failure instanceof StatusRuntimeException sre
                                        && GrpcErrors.errorCode(sre) != null
                                        && GrpcErrors.errorCode(sre) != ErrorCode.INTERNAL_ERROR) {
                                    detail(
                                            ctx,
                                            422,
                                            "Failed to log OpenTelemetry spans: "
                                                    + sre.getStatus().getDescription());
                                } else {
                                    Errors.fail(ctx, "POST " + PATH, failure);
                                }
                            });
        });
        return true;
    }

    private static void detail(RoutingContext ctx, int status, String message) {
        if (ctx.response().ended()) {
            return;
        }
        ctx.response()
                .setStatusCode(status)
                .putHeader(HttpHeaders.CONTENT_TYPE, JSON)
                .end(new JsonObject().put("detail", message).encode());
    }

    private static String print(Message m) {
        try {
            return JSON_PRINTER.print(m);
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException(e);
        }
    }

    private static final class TooLarge extends IOException {
        TooLarge() {
            super(null, null);
        }
    }

    private byte[] decompress(byte[] raw, String coding) throws IOException {
        if (coding.equals("identity")) {
            return raw;
        }
        try (InputStream in = coding.equals("gzip")
                ? new GZIPInputStream(new ByteArrayInputStream(raw))
                : new InflaterInputStream(new ByteArrayInputStream(raw))) {
            ByteArrayOutputStream out = new ByteArrayOutputStream(raw.length * 4);
            byte[] chunk = new byte[64 * 1024];
            int n;
            while ((n = in.read(chunk)) > 0) {
                if (out.size() + (long) n > maxBodyBytes) {
                    throw new TooLarge();
                }
                out.write(chunk, 0, n);
            }
            return out.toByteArray();
        }
    }

    /**
     * OTLP's JSON encoding: protobuf's JSON mapping except that trace and span ids are hex, not
     * base64. They are turned to base64 first, then protobuf's own parser reads the request.
     */
    static ExportTraceServiceRequest fromJson(byte[] body) throws IOException {
        JsonObject root;
        try {
            root = new JsonObject(Buffer.buffer(body));
        } catch (io.vertx.core.json.DecodeException | ClassCastException e) {
            throw new IllegalArgumentException("not a JSON object", e);
        }
        for (Object rs : array(root, "resourceSpans")) {
            for (Object ss : array(rs, "scopeSpans")) {
                for (Object span : array(ss, "spans")) {
                    hexIdsToBase64(span);
                    for (Object link : array(span, "links")) {
                        hexIdsToBase64(link);
                    }
                }
            }
        }
        ExportTraceServiceRequest.Builder b = ExportTraceServiceRequest.newBuilder();
        JSON_PARSER.merge(root.encode(), b);
        return b.build();
    }

    private static Iterable<Object> array(Object node, String field) {
        if (node instanceof JsonObject o && o.getValue(field) instanceof io.vertx.core.json.JsonArray a) {
            return a;
        }
        return java.util.List.of();
    }

    private static void hexIdsToBase64(Object node) {
        if (!(node instanceof JsonObject o)) {
            return;
        }
        for (String field : new String[] {"traceId", "spanId", "parentSpanId"}) {
            if (o.getValue(field) instanceof String hex && !hex.isEmpty()) {
                o.put(field, Base64.getEncoder().encodeToString(HexFormat.of().parseHex(hex)));
            }
        }
    }
}
