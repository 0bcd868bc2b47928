package dev.skein.gateway.http;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import dev.skein.gateway.client.Upstreams;
import dev.skein.gateway.route.Route;
import dev.skein.gateway.route.RouteTable;
import dev.skein.proto.common.v1.ErrorCode;
import dev.skein.proto.tracking.v1.LogSpans;
import dev.skein.proto.tracking.v1.TraceServiceGrpc;
import io.grpc.Channel;
import io.grpc.MethodDescriptor;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.io.ByteArrayInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Base64;
import java.util.HexFormat;
import java.util.zip.GZIPInputStream;
import java.util.zip.Inflater;
import java.util.zip.InflaterInputStream;

/**
 * OTLP/HTTP trace ingest at {@value #PATH}, as MLflow 3's server serves it ({@code
 * mlflow/server/otel_api.py}): an {@code ExportTraceServiceRequest} whose spans go to the
 * experiment in header {@value #EXPERIMENT_HEADER}, answered with an {@code
 * ExportTraceServiceResponse}. MLflow takes only {@code application/x-protobuf}; Skein also takes
 * OTLP's JSON encoding ({@code application/json}, ids in hex) and answers it in JSON. Bodies may be
 * gzip or deflate (zlib or raw) encoded.
 *
 * <p>Errors: a request that cannot be read is answered as MLflow's FastAPI answers it, {@code
 * {"detail": ...}} with 400 (422 for the missing header); spans the store refuses get MLflow's
 * {@code {"error_code", "message"}} with the code's status, as every other endpoint of the gateway
 * (and as MLflow's server answers an {@code MlflowException} there): 400 for invalid spans, 404 for
 * an unknown experiment, 503 with {@code Retry-After} while tracking-service is unavailable; an
 * internal failure is answered with a request id only.
 *
 * <p>Limits: the body is limited before it is read (skein.gateway.otlp.max-body-size) and its bytes
 * are held in the gateway's body budget until the call to tracking-service has finished. A compressed
 * body is inflated as a stream, its inflated bytes counted against the same limit (413 once past it)
 * and the same budget; inflating and parsing run on a worker thread, never on the event loop.
 */
final class OtlpTraces {

    static final String PATH = "/v1/traces";
    static final String EXPERIMENT_HEADER = "x-mlflow-experiment-id";
    static final String PROTOBUF = "application/x-protobuf";
    static final String JSON = "application/json";

    /**
     * tracking-service's default {@code quarkus.grpc.server.max-inbound-message-size}: a LogSpans
     * call larger than it would be refused there, so no OTLP body may decode to more.
     */
    static final long TRACKING_MAX_INBOUND_MESSAGE = 64L * 1024 * 1024;

    /** Room left under that limit for what LogSpans adds to the spans (the experiment id, field tags). */
    private static final long MESSAGE_HEADROOM = 64 * 1024;

    private static final JsonFormat.Parser JSON_PARSER = JsonFormat.parser().ignoringUnknownFields();
    private static final JsonFormat.Printer JSON_PRINTER = JsonFormat.printer();

    private final Upstreams upstreams;
    private final RequestBodies bodies;
    private final Route logSpans;
    private final long maxBodyBytes;

    @SuppressWarnings("unchecked")
    OtlpTraces(Upstreams upstreams, RequestBodies bodies, long maxBodyBytes) {
        if (maxBodyBytes > TRACKING_MAX_INBOUND_MESSAGE - MESSAGE_HEADROOM) {
            throw new IllegalStateException("skein.gateway.otlp.max-body-size (" + maxBodyBytes
                    + " bytes) must stay under tracking-service's gRPC inbound message limit ("
                    + TRACKING_MAX_INBOUND_MESSAGE + " bytes) with " + MESSAGE_HEADROOM
                    + " bytes to spare: the spans of a larger body could not be sent on");
        }
        if (bodies.budget().capacity() < maxBodyBytes) {
            throw new IllegalStateException("skein.gateway.request-body-budget ("
                    + bodies.budget().capacity() + " bytes) is smaller than skein.gateway.otlp.max-body-size ("
                    + maxBodyBytes + " bytes)");
        }
        this.upstreams = upstreams;
        this.bodies = bodies;
        this.maxBodyBytes = maxBodyBytes;
        this.budgetCapacity = bodies.budget().capacity();
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
                false,
                RouteTable.access(TraceServiceGrpc.getLogSpansMethod()));
    }

    /** Serves the request if it is this endpoint; false if it is not. */
    boolean handle(RoutingContext ctx, String actor) {
        if (!ctx.request().path().equals(PATH)) {
            return false;
        }
        if (ctx.request().method() != HttpMethod.POST) {
            ctx.response().putHeader(HttpHeaders.ALLOW, "POST");
            refuse(ctx, 405, "Method Not Allowed");
            return true;
        }
        String experimentId = ctx.request().getHeader(EXPERIMENT_HEADER);
        if (experimentId == null) {
            // FastAPI's answer to a missing required header
            JsonObject missing = new JsonObject()
                    .put("type", "missing")
                    .put("loc", new JsonArray().add("header").add(EXPERIMENT_HEADER))
                    .put("msg", "Field required")
                    .putNull("input");
            bodies.discard(ctx, () -> answer(ctx, 422, new JsonObject().put("detail", new JsonArray().add(missing))));
            return true;
        }
        String contentType = ctx.request().getHeader(HttpHeaders.CONTENT_TYPE);
        String mediaType =
                contentType == null ? null : contentType.split(";")[0].trim().toLowerCase();
        if (!PROTOBUF.equals(mediaType) && !JSON.equals(mediaType)) {
            refuse(ctx, 400, "Invalid Content-Type: " + contentType + ". Expected: " + PROTOBUF + " or " + JSON);
            return true;
        }
        String encoding = ctx.request().getHeader(HttpHeaders.CONTENT_ENCODING);
        String coding = encoding == null ? "identity" : encoding.trim().toLowerCase();
        if (!coding.equals("identity") && !coding.equals("gzip") && !coding.equals("deflate")) {
            refuse(ctx, 400, "Unsupported Content-Encoding: " + encoding);
            return true;
        }
        boolean protobuf = PROTOBUF.equals(mediaType);
        bodies.readHeld(ctx, maxBodyBytes, (raw, lease) -> ctx.vertx()
                .executeBlocking(() -> decode(raw, coding, protobuf, experimentId, lease), false)
                .onComplete(decoded -> {
                    if (decoded.failed()) {
                        lease.close();
                        refuseUndecodable(ctx, coding, protobuf, decoded.cause());
                        return;
                    }
                    upstreams
                            .call(logSpans, decoded.result(), actor)
                            .onTermination()
                            .invoke(lease::close)
                            .subscribe()
                            .with(done -> answer(ctx, protobuf), failure -> Errors.fail(ctx, "POST " + PATH, failure));
                }));
        return true;
    }

    /**
     * The LogSpans call a body makes (on a worker thread: inflating and parsing take time in
     * proportion to the body). Inflated bytes are counted against the limit and reserved in the
     * body's lease as they come out, before they are parsed.
     */
    private LogSpans decode(byte[] raw, String coding, boolean protobuf, String experimentId, BodyBudget.Lease lease)
            throws IOException {
        ExportTraceServiceRequest request;
        try (InputStream body = coding.equals("identity")
                ? new ByteArrayInputStream(raw)
                : new Inflated(inflater(raw, coding), maxBodyBytes, lease)) {
            if (protobuf) {
                request = ExportTraceServiceRequest.parseFrom(body);
            } else {
                byte[] json = coding.equals("identity") ? raw : body.readAllBytes();
                // decoding JSON holds several trees of it at once: reserve that too, before it is made;
                // a body whose trees could never fit in the whole budget is too large, not early
                long decoding = (long) json.length * JSON_DECODING_COPIES;
                if (lease.held() + decoding > budgetCapacity) {
                    throw new JsonTooLarge(budgetCapacity / (JSON_DECODING_COPIES + 1));
                }
                if (!lease.grow(decoding)) {
                    throw new NoBudget();
                }
                request = fromJson(json);
            }
        }
        if (request.getResourceSpansCount() == 0) {
            throw new NoSpans();
        }
        LogSpans.Builder call = LogSpans.newBuilder().setExperimentId(experimentId);
        for (ResourceSpans rs : request.getResourceSpansList()) {
            for (ScopeSpans ss : rs.getScopeSpansList()) {
                call.addAllSpans(ss.getSpansList());
            }
        }
        LogSpans message = call.build();
        if (message.getSerializedSize() > TRACKING_MAX_INBOUND_MESSAGE - MESSAGE_HEADROOM) {
            // only a JSON body can decode to more protobuf bytes than it has
            throw new TooLarge();
        }
        return message;
    }

    /**
     * What decoding an OTLP JSON body holds besides the body, in multiples of it (an estimate from the
     * decoder's steps: a Vert.x tree, its re-encoded text, protobuf's JSON tree and the message).
     */
    private static final int JSON_DECODING_COPIES = 6;

    private final long budgetCapacity;

    private static InputStream inflater(byte[] raw, String coding) {
        if (coding.equals("gzip")) {
            try {
                return new GZIPInputStream(new ByteArrayInputStream(raw), 8192);
            } catch (IOException notGzip) {
                throw new Undecompressable(notGzip);
            }
        }
        // HTTP's deflate is zlib (RFC 1950), but some clients send raw deflate, which MLflow takes too
        boolean zlib = raw.length >= 2 && (raw[0] & 0x0f) == 8 && (((raw[0] & 0xff) << 8) | (raw[1] & 0xff)) % 31 == 0;
        Inflater inflater = new Inflater(!zlib);
        return new InflaterInputStream(new ByteArrayInputStream(raw), inflater, 8192) {
            @Override
            public void close() throws IOException {
                try {
                    super.close();
                } finally {
                    inflater.end(); // its native memory now, not at garbage collection
                }
            }
        };
    }

    private void refuseUndecodable(RoutingContext ctx, String coding, boolean protobuf, Throwable failure) {
        if (failure instanceof TooLarge) {
            Errors.error(
                    ctx,
                    413,
                    ErrorCode.INVALID_PARAMETER_VALUE,
                    "Request body must be at most " + maxBodyBytes + " bytes once decompressed");
        } else if (failure instanceof JsonTooLarge json) {
            Errors.error(
                    ctx,
                    413,
                    ErrorCode.INVALID_PARAMETER_VALUE,
                    "An OTLP JSON body must be at most " + json.most
                            + " bytes (decompressed); send larger batches as application/x-protobuf");
        } else if (failure instanceof NoBudget) {
            ctx.response().putHeader(HttpHeaders.RETRY_AFTER, "1");
            Errors.error(
                    ctx,
                    503,
                    ErrorCode.TEMPORARILY_UNAVAILABLE,
                    "The gateway is receiving too many request bodies at once; retry shortly");
        } else if (failure instanceof Undecompressable) {
            detail(ctx, 400, "Failed to decompress " + coding + " payload");
        } else if (failure instanceof NoSpans) {
            detail(ctx, 400, "Invalid OpenTelemetry protobuf format - no spans found");
        } else if (failure instanceof IOException || failure instanceof IllegalArgumentException) {
            detail(ctx, 400, "Invalid OpenTelemetry " + (protobuf ? "protobuf" : "JSON") + " format");
        } else {
            Errors.fail(ctx, "POST " + PATH, failure);
        }
    }

    private static void answer(RoutingContext ctx, boolean protobuf) {
        if (ctx.response().ended()) {
            return;
        }
        ExportTraceServiceResponse answer = ExportTraceServiceResponse.getDefaultInstance();
        if (protobuf) {
            ctx.response().putHeader(HttpHeaders.CONTENT_TYPE, PROTOBUF).end(Buffer.buffer(answer.toByteArray()));
        } else {
            ctx.response().putHeader(HttpHeaders.CONTENT_TYPE, JSON).end(print(answer));
        }
    }

    /** Refuses a request before its body is read: the body is read and dropped, then the answer sent. */
    private void refuse(RoutingContext ctx, int status, String message) {
        bodies.discard(ctx, () -> detail(ctx, status, message));
    }

    private static void detail(RoutingContext ctx, int status, String message) {
        answer(ctx, status, new JsonObject().put("detail", message));
    }

    private static void answer(RoutingContext ctx, int status, JsonObject body) {
        if (ctx.response().ended() || ctx.response().headWritten()) {
            return;
        }
        ctx.response()
                .setStatusCode(status)
                .putHeader(HttpHeaders.CONTENT_TYPE, JSON)
                .end(body.encode());
    }

    private static String print(Message m) {
        try {
            return JSON_PRINTER.print(m);
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The inflated body passed the limit. Unchecked: protobuf's parser lets it through as it is. */
    static final class TooLarge extends RuntimeException {
        TooLarge() {
            super(null, null, false, false);
        }
    }

    /** A JSON body whose decoding could never fit in the body budget: the most that could. */
    static final class JsonTooLarge extends RuntimeException {
        final long most;

        JsonTooLarge(long most) {
            super(null, null, false, false);
            this.most = most;
        }
    }

    /** The gateway's body budget cannot take the inflated bytes. */
    static final class NoBudget extends RuntimeException {
        NoBudget() {
            super(null, null, false, false);
        }
    }

    /** The body is not valid gzip or deflate. */
    static final class Undecompressable extends RuntimeException {
        Undecompressable(IOException cause) {
            super(null, cause, false, false);
        }
    }

    private static final class NoSpans extends RuntimeException {
        NoSpans() {
            super(null, null, false, false);
        }
    }

    /**
     * An inflating stream with a hard cap: past {@code max} inflated bytes it fails with {@link
     * TooLarge}; each chunk is reserved in {@code lease} before it is handed on ({@link NoBudget} if
     * the budget cannot take it). Nothing is allocated ahead of the bytes that come out.
     */
    static final class Inflated extends FilterInputStream {

        private final long max;
        private final BodyBudget.Lease lease;
        private long count;

        Inflated(InputStream inflating, long max, BodyBudget.Lease lease) {
            super(inflating);
            this.max = max;
            this.lease = lease;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) {
            int n;
            try {
                n = in.read(b, off, (int) Math.min(len, max - count + 1));
            } catch (IOException e) {
                throw new Undecompressable(e);
            }
            if (n <= 0) {
                return n;
            }
            count += n;
            if (count > max) {
                throw new TooLarge();
            }
            if (!lease.grow(n)) {
                throw new NoBudget();
            }
            return n;
        }

        /** Skipped bytes are inflated too: they count like the others (they are not held, but cost the same). */
        @Override
        public long skip(long n) {
            byte[] scratch = new byte[(int) Math.min(n, 8192)];
            long skipped = 0;
            while (skipped < n) {
                int r = read(scratch, 0, (int) Math.min(scratch.length, n - skipped));
                if (r < 0) {
                    break;
                }
                skipped += r;
            }
            return skipped;
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
        if (node instanceof JsonObject o && o.getValue(field) instanceof JsonArray a) {
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
