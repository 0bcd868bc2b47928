package dev.skein.gateway.http;

import com.google.protobuf.Message;
import dev.skein.gateway.client.Upstreams;
import dev.skein.proto.artifacts.v1.ArtifactServiceGrpc;
import dev.skein.proto.artifacts.v1.Download;
import dev.skein.proto.artifacts.v1.DownloadChunk;
import dev.skein.proto.artifacts.v1.DownloadHeader;
import io.micrometer.core.instrument.Counter;
import io.vertx.core.Context;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import java.util.function.BiPredicate;
import java.util.function.Consumer;
import org.jboss.logging.Logger;

/**
 * Writes an artifact-service {@code Download} stream as an HTTP response, with flat memory: the next
 * chunk is asked for only once the client has taken the last. The response ends with its last byte
 * (not when the call ends), so a client that leaves once it has everything cannot cut a finished
 * call; the call is cancelled only if the client goes while the response is still under way, or once
 * a HEAD request has its headers. Used by every artifact download the gateway serves (the artifact
 * proxy, get-artifact, get-trace-artifact).
 */
final class DownloadWriter {

    private static final Logger LOG = Logger.getLogger(DownloadWriter.class);

    private final Upstreams upstreams;
    private final Counter cancelled;

    /** @param cancelled counts the artifact-service calls cancelled (each one HTTP/2 stream reset) */
    DownloadWriter(Upstreams upstreams, Counter cancelled) {
        this.upstreams = upstreams;
        this.cancelled = cancelled;
    }

    /**
     * @param what the request, for logs
     * @param head writes the status and headers from the file's header; false if that completed the
     *     answer already (a 416, say), and nothing more is written
     * @param failedBeforeHead answers a failure that came before the head was written
     */
    void write(
            RoutingContext ctx,
            Download request,
            String actor,
            String what,
            BiPredicate<HttpServerResponse, DownloadHeader> head,
            Consumer<Throwable> failedBeforeHead) {
        HttpServerResponse response = ctx.response();
        Context context = ctx.vertx().getOrCreateContext();
        // bytes of the body still to come
        long[] remaining = {-1};
        boolean headOnly = ctx.request().method() == HttpMethod.HEAD;
        Runnable[] cancelCall = {null};
        Runnable cancel = upstreams.stream(
                upstreams.artifacts(),
                ArtifactServiceGrpc.getDownloadMethod(),
                request,
                actor,
                new Upstreams.ChunkHandler() {
                    @Override
                    public void onChunk(Message message, Runnable next) {
                        context.runOnContext(v -> {
                            if (response.ended() || response.closed()) {
                                return;
                            }
                            DownloadChunk chunk = (DownloadChunk) message;
                            if (chunk.hasHeader()) {
                                if (!head.test(response, chunk.getHeader())) {
                                    return;
                                }
                                if (headOnly) {
                                    // HEAD: the file's status and headers are the answer; no byte is read
                                    response.end();
                                    cancelled.increment();
                                    cancelCall[0].run();
                                    return;
                                }
                                remaining[0] = chunk.getHeader().getLength();
                            }
                            Buffer data = chunk.hasData()
                                    ? Buffer.buffer(chunk.getData().toByteArray())
                                    : null;
                            if (data != null) {
                                remaining[0] -= data.length();
                            }
                            if (remaining[0] == 0) {
                                // the client has everything: whatever it does next cannot cut the call
                                if (data != null) {
                                    response.end(data);
                                } else {
                                    response.end();
                                }
                                return;
                            }
                            Backpressure.write(response, data, next);
                        });
                    }

                    @Override
                    public void onEnd() {
                        context.runOnContext(v -> {
                            if (!response.ended() && !response.closed()) {
                                response.end();
                            }
                        });
                    }

                    @Override
                    public void onError(Throwable failure) {
                        context.runOnContext(v -> {
                            if (response.ended() || response.closed()) {
                                // the client has its answer, or went away (then the call was cancelled)
                                LOG.debugf("Download %s ended after its answer: %s", what, failure);
                            } else if (response.headWritten()) {
                                LOG.warnf("Download %s failed midway, cutting the response: %s", what, failure);
                                response.reset();
                            } else {
                                failedBeforeHead.accept(failure);
                            }
                        });
                    }
                });
        cancelCall[0] = cancel;
        // only a response still under way has a call worth cancelling
        response.closeHandler(v -> {
            if (!response.ended()) {
                cancelled.increment();
                cancel.run();
            }
        });
    }
}
