package dev.skein.evaluation.client;

import com.google.protobuf.ByteString;
import dev.skein.evaluation.config.EvaluationConfig;
import dev.skein.proto.artifacts.v1.ArtifactServiceGrpc;
import dev.skein.proto.artifacts.v1.Download;
import dev.skein.proto.artifacts.v1.DownloadChunk;
import dev.skein.proto.artifacts.v1.UploadChunk;
import dev.skein.proto.artifacts.v1.UploadHeader;
import dev.skein.proto.artifacts.v1.UploadResult;
import io.grpc.Channel;
import io.grpc.Context;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.quarkus.grpc.GrpcClient;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;

/**
 * artifact-service as evaluation needs it: a table read as a stream (never whole in memory) and
 * small files (plots, CSVs) written under a run's artifacts. Blocking: called from worker threads.
 */
@ApplicationScoped
public class ArtifactClient {

    static final int CHUNK = 256 * 1024;

    private final ArtifactServiceGrpc.ArtifactServiceBlockingStub blocking;
    private final ArtifactServiceGrpc.ArtifactServiceStub async;
    private final ArtifactServiceGrpc.ArtifactServiceStub plain;
    private final long timeoutMillis;

    public ArtifactClient(@GrpcClient("artifact") Channel channel, EvaluationConfig config) {
        this.blocking = ArtifactServiceGrpc.newBlockingStub(channel).withInterceptors(Upstream.ACTOR_HEADER);
        this.plain = ArtifactServiceGrpc.newStub(channel);
        this.async = plain.withInterceptors(Upstream.ACTOR_HEADER);
        this.timeoutMillis = config.transferTimeout().toMillis();
    }

    /**
     * The file's bytes as they arrive. Closing the stream early cancels the download. A file that does
     * not exist fails with artifact-service's RESOURCE_DOES_NOT_EXIST (an {@code ApiException}).
     */
    public InputStream open(Download request) {
        Context.CancellableContext call = Context.current().withCancellation();
        Iterator<DownloadChunk> chunks;
        Context previous = call.attach();
        try {
            chunks = blocking.withDeadlineAfter(timeoutMillis, TimeUnit.MILLISECONDS)
                    .download(request);
        } finally {
            call.detach(previous);
        }
        return new ChunkStream(chunks, call, describe(request));
    }

    private static String describe(Download request) {
        return request.hasRun()
                ? "read " + request.getRun().getPath() + " of run "
                        + request.getRun().getRunId()
                : "read " + request.getPath();
    }

    /** Writes {@code content} as {@code path} under the run's artifact root. */
    public void upload(String runId, String path, byte[] content) {
        upload(runId, path, content, async);
    }

    /** As {@link #upload(String, String, byte[])}, for {@code actor} (a user's request served here). */
    public void upload(String runId, String path, byte[] content, String actor) {
        upload(runId, path, content, plain.withInterceptors(Upstream.actorHeader(actor)));
    }

    private void upload(String runId, String path, byte[] content, ArtifactServiceGrpc.ArtifactServiceStub stub) {
        try {
            upload(runId, path, new ByteArrayInputStream(content), content.length, stub);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a byte array does not fail
        }
    }

    /** Writes a local file as {@code path} under the run's artifact root, read a chunk at a time. */
    public void upload(String runId, String path, Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            upload(runId, path, in, Files.size(file), async);
        }
    }

    private void upload(
            String runId, String path, InputStream content, long size, ArtifactServiceGrpc.ArtifactServiceStub stub)
            throws IOException {
        CompletableFuture<UploadResult> done = new CompletableFuture<>();
        ClientCallStreamObserver<UploadChunk> out = (ClientCallStreamObserver<UploadChunk>)
                stub.withDeadlineAfter(timeoutMillis, TimeUnit.MILLISECONDS).upload(new StreamObserver<>() {
                    @Override
                    public void onNext(UploadResult value) {
                        done.complete(value);
                    }

                    @Override
                    public void onError(Throwable t) {
                        done.completeExceptionally(t);
                    }

                    @Override
                    public void onCompleted() {
                        done.complete(null);
                    }
                });
        out.onNext(UploadChunk.newBuilder()
                .setHeader(
                        UploadHeader.newBuilder().setRunId(runId).setPath(path).setSize(size))
                .build());
        byte[] buffer = new byte[CHUNK];
        int n;
        try {
            while ((n = content.readNBytes(buffer, 0, CHUNK)) > 0) {
                // gRPC would queue every chunk in memory: wait while the transport is not ready for more
                while (!out.isReady() && !done.isDone()) {
                    if (Thread.currentThread().isInterrupted()) {
                        // parkNanos would return at once, for ever: give up the call
                        out.cancel("the evaluation was interrupted", null);
                        throw new UpstreamUnavailable("Interrupted writing " + path, null);
                    }
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
                }
                if (done.isDone()) {
                    break; // the call ended early (an error): its outcome is read below
                }
                out.onNext(UploadChunk.newBuilder()
                        .setData(ByteString.copyFrom(buffer, 0, n))
                        .build());
            }
        } catch (IOException | RuntimeException e) {
            out.cancel("reading the file to upload failed", e);
            throw e;
        }
        out.onCompleted();
        try {
            done.get(timeoutMillis + 1000, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof StatusRuntimeException s) {
                throw Upstream.failure("write " + path + " of run " + runId, s);
            }
            throw new UpstreamUnavailable("Cannot write " + path + " of run " + runId, e.getCause());
        } catch (TimeoutException e) {
            throw new UpstreamUnavailable("Cannot write " + path + " of run " + runId + ": no answer", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new UpstreamUnavailable("Interrupted writing " + path, e);
        }
    }

    /** A download's chunks as an InputStream; gRPC failures surface as the clients' exceptions. */
    private static final class ChunkStream extends InputStream {
        private final Iterator<DownloadChunk> chunks;
        private final Context.CancellableContext call;
        private final String what;
        private ByteString current = ByteString.EMPTY;
        private int position;
        private boolean closed;

        ChunkStream(Iterator<DownloadChunk> chunks, Context.CancellableContext call, String what) {
            this.chunks = chunks;
            this.call = call;
            this.what = what;
        }

        private boolean fill() {
            while (position >= current.size()) {
                boolean more;
                try {
                    more = chunks.hasNext();
                } catch (StatusRuntimeException e) {
                    throw Upstream.failure(what, e);
                }
                if (!more) {
                    return false;
                }
                DownloadChunk chunk = chunks.next();
                current = chunk.getData();
                position = 0;
            }
            return true;
        }

        @Override
        public int read() throws IOException {
            if (closed || !fill()) {
                return -1;
            }
            return current.byteAt(position++) & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) {
                return 0;
            }
            if (closed || !fill()) {
                return -1;
            }
            int n = Math.min(len, current.size() - position);
            current.copyTo(b, position, off, n);
            position += n;
            return n;
        }

        @Override
        public void close() {
            if (!closed) {
                closed = true;
                call.cancel(null);
            }
        }
    }
}
