package dev.skein.artifacts.grpc;

import com.google.protobuf.ByteString;
import dev.skein.artifacts.config.ArtifactConfig;
import dev.skein.artifacts.service.Artifacts;
import dev.skein.common.error.ApiException;
import dev.skein.common.error.GrpcExceptionHandlerProvider;
import dev.skein.common.grpc.CallWrites;
import dev.skein.proto.artifacts.v1.AbortMultipartUpload;
import dev.skein.proto.artifacts.v1.ArtifactServiceGrpc;
import dev.skein.proto.artifacts.v1.CompleteMultipartUpload;
import dev.skein.proto.artifacts.v1.CreateMultipartUpload;
import dev.skein.proto.artifacts.v1.DeleteArtifact;
import dev.skein.proto.artifacts.v1.Download;
import dev.skein.proto.artifacts.v1.DownloadChunk;
import dev.skein.proto.artifacts.v1.FileInfo;
import dev.skein.proto.artifacts.v1.GetPresignedDownloadUrl;
import dev.skein.proto.artifacts.v1.GetPresignedUploadUrl;
import dev.skein.proto.artifacts.v1.ListArtifacts;
import dev.skein.proto.artifacts.v1.ListLoggedModelArtifacts;
import dev.skein.proto.artifacts.v1.ListRunArtifacts;
import dev.skein.proto.artifacts.v1.UploadChunk;
import dev.skein.proto.artifacts.v1.UploadHeader;
import dev.skein.proto.artifacts.v1.UploadResult;
import dev.skein.proto.common.v1.ErrorCode;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.minio.http.Method;
import io.quarkus.grpc.GrpcService;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import java.io.InputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.function.Function;
import java.util.function.Supplier;
import org.jboss.logging.Logger;

/**
 * The gRPC face of artifact-service, on grpc-java's own API so that both byte streams have real flow
 * control: an upload asks for the client's next message only when the store has taken the last, a
 * download pulls the next chunk from the store only when the client can take it. The work itself
 * blocks (store, lookups) and runs on worker threads; failures leave as MLflow-coded statuses.
 */
@GrpcService
public class ArtifactGrpcService extends ArtifactServiceGrpc.ArtifactServiceImplBase {

    private static final Logger LOG = Logger.getLogger(ArtifactGrpcService.class);

    /** Upload messages the pipe lets wait; each is one gateway chunk (256 KiB or less). */
    private static final int UPLOAD_WINDOW = 4;
    /** Entries per listing message. */
    private static final int LIST_CHUNK = 1000;

    private static final Duration UPLOAD_IDLE_TIMEOUT = Duration.ofMinutes(5);

    private final Artifacts artifacts;
    private final Function<Throwable, Throwable> errors;
    private final int chunkSize;
    private final Executor workers = Infrastructure.getDefaultWorkerPool();

    public ArtifactGrpcService(Artifacts artifacts, GrpcExceptionHandlerProvider errors, ArtifactConfig config) {
        this.artifacts = artifacts;
        this.errors = errors::transform;
        this.chunkSize = (int) config.chunkSize().asLongValue();
    }

    // --- byte streams ------------------------------------------------------------------------

    @Override
    public StreamObserver<UploadChunk> upload(StreamObserver<UploadResult> responses) {
        ServerCallStreamObserver<UploadResult> call = (ServerCallStreamObserver<UploadResult>) responses;
        CallWrites writes = CallWrites.of(call);
        call.disableAutoRequest();
        ChunkPipe pipe = new ChunkPipe(call::request, UPLOAD_IDLE_TIMEOUT);
        call.setOnCancelHandler(() -> pipe.fail(new IllegalStateException("the call was cancelled")));
        call.request(UPLOAD_WINDOW);
        return new StreamObserver<>() {
            private boolean started;

            @Override
            public void onNext(UploadChunk chunk) {
                if (!started) {
                    started = true;
                    start(chunk.getHeader());
                }
                if (chunk.hasData() && !chunk.getData().isEmpty()) {
                    pipe.offer(chunk.getData());
                } else {
                    call.request(1);
                }
            }

            private void start(UploadHeader header) {
                workers.execute(() -> {
                    try {
                        long declared = header.hasSize() ? header.getSize() : -1;
                        long size = header.hasRunId()
                                ? artifacts.uploadToRun(header.getRunId(), header.getPath(), pipe, declared)
                                : artifacts.upload(header.getPath(), pipe, declared);
                        UploadResult result = UploadResult.newBuilder()
                                .setPath(header.getPath())
                                .setSize(size)
                                .build();
                        writes.run(() -> {
                            call.onNext(result);
                            call.onCompleted();
                        });
                    } catch (ChunkPipe.CutOff cutOff) {
                        // nobody may be listening any more; the store holds nothing of the upload
                        LOG.debugf("Upload of %s: %s", header.getPath(), cutOff.getMessage());
                        fail(writes, call, new ApiException(ErrorCode.ABORTED, cutOff.getMessage()));
                    } catch (Throwable failure) {
                        fail(writes, call, failure);
                    }
                });
            }

            @Override
            public void onError(Throwable failure) {
                pipe.fail(failure);
            }

            @Override
            public void onCompleted() {
                if (!started) {
                    started = true;
                    fail(writes, call, ApiException.missing("path"));
                }
                pipe.end();
            }
        };
    }

    @Override
    public void download(Download request, StreamObserver<DownloadChunk> responses) {
        PullSender.start(responses, new DownloadSource(request), workers, errors);
    }

    /** The header first, then the range's bytes in chunks. */
    private final class DownloadSource implements PullSender.Source<DownloadChunk> {
        private final Download request;
        private InputStream in;
        private boolean headerSent;
        private long remaining;

        DownloadSource(Download request) {
            this.request = request;
        }

        @Override
        public DownloadChunk next() throws Exception {
            if (!headerSent) {
                headerSent = true;
                Artifacts.Opened opened = artifacts.open(request);
                remaining =
                        opened.header().getUnsatisfiable() ? 0 : opened.header().getLength();
                if (remaining > 0) {
                    in = artifacts.read(opened);
                }
                return DownloadChunk.newBuilder().setHeader(opened.header()).build();
            }
            if (remaining <= 0) {
                return null;
            }
            byte[] buffer = new byte[(int) Math.min(chunkSize, remaining)];
            int n = in.readNBytes(buffer, 0, buffer.length);
            if (n <= 0) {
                throw new java.io.IOException("The object ended " + remaining + " bytes early");
            }
            remaining -= n;
            return DownloadChunk.newBuilder()
                    .setData(ByteString.copyFrom(buffer, 0, n))
                    .build();
        }

        @Override
        public void close() throws Exception {
            if (in != null) {
                in.close();
            }
        }
    }

    // --- listings ----------------------------------------------------------------------------

    @Override
    public void listArtifacts(ListArtifacts request, StreamObserver<ListArtifacts.Response> responses) {
        PullSender.start(
                responses,
                new ListingSource<>(
                        () -> artifacts.listProxy(
                                request.hasPath() ? request.getPath() : null,
                                request.hasMaxResults() ? request.getMaxResults() : null,
                                request.hasPageToken() ? request.getPageToken() : null),
                        (files, token) -> {
                            ListArtifacts.Response.Builder b =
                                    ListArtifacts.Response.newBuilder().addAllFiles(files);
                            if (token != null) {
                                b.setNextPageToken(token);
                            }
                            return b.build();
                        }),
                workers,
                errors);
    }

    @Override
    public void listRunArtifacts(ListRunArtifacts request, StreamObserver<ListRunArtifacts.Response> responses) {
        String runId = request.hasRunId() && !request.getRunId().isEmpty()
                ? request.getRunId()
                : request.hasRunUuid() ? request.getRunUuid() : null;
        String[] rootUri = {null};
        PullSender.start(
                responses,
                new ListingSource<>(
                        () -> {
                            if (runId == null || runId.isEmpty()) {
                                throw ApiException.missing("run_id");
                            }
                            Artifacts.RunListing listing = artifacts.listRun(
                                    runId,
                                    request.hasPath() ? request.getPath() : null,
                                    request.hasMaxResults() ? request.getMaxResults() : null,
                                    request.hasPageToken() ? request.getPageToken() : null);
                            rootUri[0] = listing.rootUri();
                            return listing.page();
                        },
                        (files, token) -> {
                            ListRunArtifacts.Response.Builder b = ListRunArtifacts.Response.newBuilder()
                                    .setRootUri(rootUri[0])
                                    .addAllFiles(files);
                            if (token != null) {
                                b.setNextPageToken(token);
                            }
                            return b.build();
                        }),
                workers,
                errors);
    }

    @Override
    public void listLoggedModelArtifacts(
            ListLoggedModelArtifacts request, StreamObserver<ListLoggedModelArtifacts.Response> responses) {
        String[] rootUri = {null};
        PullSender.start(
                responses,
                new ListingSource<>(
                        () -> {
                            Artifacts.RunListing listing = artifacts.listLoggedModel(
                                    request.hasModelId() ? request.getModelId() : null,
                                    request.hasArtifactDirectoryPath() ? request.getArtifactDirectoryPath() : null);
                            rootUri[0] = listing.rootUri();
                            return listing.page();
                        },
                        (files, token) -> ListLoggedModelArtifacts.Response.newBuilder()
                                .setRootUri(rootUri[0])
                                .addAllFiles(files)
                                .build()),
                workers,
                errors);
    }

    /** Makes one response message from a chunk of entries and, on the last one, the next page token. */
    @FunctionalInterface
    private interface ChunkBuilder<T> {
        T build(List<FileInfo> files, String nextPageToken);
    }

    /** A listing in messages of up to {@link #LIST_CHUNK} entries; always at least one message. */
    private static final class ListingSource<T> implements PullSender.Source<T> {
        private final Supplier<Artifacts.Page> open;
        private final ChunkBuilder<T> builder;
        private Artifacts.Page page;
        private boolean finished;

        ListingSource(Supplier<Artifacts.Page> open, ChunkBuilder<T> builder) {
            this.open = open;
            this.builder = builder;
        }

        @Override
        public T next() {
            if (finished) {
                return null;
            }
            if (page == null) {
                page = open.get();
            }
            List<FileInfo> files = new ArrayList<>();
            while (files.size() < LIST_CHUNK && page.hasNext()) {
                files.add(page.next());
            }
            if (page.hasNext()) {
                return builder.build(files, null);
            }
            finished = true;
            return builder.build(files, page.nextPageToken());
        }
    }

    // --- unary -------------------------------------------------------------------------------

    @Override
    public void deleteArtifact(DeleteArtifact request, StreamObserver<DeleteArtifact.Response> responses) {
        unary(responses, () -> {
            artifacts.delete(request.hasPath() ? request.getPath() : null);
            return DeleteArtifact.Response.getDefaultInstance();
        });
    }

    @Override
    public void createMultipartUpload(
            CreateMultipartUpload request, StreamObserver<CreateMultipartUpload.Response> responses) {
        unary(responses, () -> artifacts.createMultipartUpload(request));
    }

    @Override
    public void completeMultipartUpload(
            CompleteMultipartUpload request, StreamObserver<CompleteMultipartUpload.Response> responses) {
        unary(responses, () -> {
            artifacts.completeMultipartUpload(request);
            return CompleteMultipartUpload.Response.getDefaultInstance();
        });
    }

    @Override
    public void abortMultipartUpload(
            AbortMultipartUpload request, StreamObserver<AbortMultipartUpload.Response> responses) {
        unary(responses, () -> {
            artifacts.abortMultipartUpload(
                    request.getArtifactPath(),
                    request.hasPath() ? request.getPath() : null,
                    request.hasUploadId() ? request.getUploadId() : null);
            return AbortMultipartUpload.Response.getDefaultInstance();
        });
    }

    @Override
    public void getPresignedUploadUrl(
            GetPresignedUploadUrl request, StreamObserver<GetPresignedUploadUrl.Response> responses) {
        unary(responses, () -> GetPresignedUploadUrl.Response.newBuilder()
                .setPresignedUrl(artifacts.presignedUrl(
                        Method.PUT,
                        request.hasRunId() ? request.getRunId() : null,
                        request.getPath(),
                        request.hasExpiration() ? request.getExpiration() : null))
                .build());
    }

    @Override
    public void getPresignedDownloadUrl(
            GetPresignedDownloadUrl request, StreamObserver<GetPresignedDownloadUrl.Response> responses) {
        unary(responses, () -> GetPresignedDownloadUrl.Response.newBuilder()
                .setPresignedUrl(artifacts.presignedUrl(
                        Method.GET,
                        request.hasRunId() ? request.getRunId() : null,
                        request.getPath(),
                        request.hasExpiration() ? request.getExpiration() : null))
                .build());
    }

    private <T> void unary(StreamObserver<T> responses, Supplier<T> work) {
        CallWrites writes = CallWrites.of(responses);
        // a cancelled call's writes are dropped (CallWrites); without a handler grpc-java would throw
        ((ServerCallStreamObserver<T>) responses).setOnCancelHandler(() -> {});
        workers.execute(() -> {
            T response;
            try {
                response = work.get();
            } catch (Throwable failure) {
                fail(writes, responses, failure);
                return;
            }
            writes.run(() -> {
                responses.onNext(response);
                responses.onCompleted();
            });
        });
    }

    /** Ends a call with the MLflow-coded status of a failure, on the call's thread. */
    private void fail(CallWrites writes, StreamObserver<?> responses, Throwable failure) {
        Throwable status = errors.apply(failure);
        writes.run(() -> {
            try {
                responses.onError(status);
            } catch (IllegalStateException alreadyClosed) {
                // the call ended meanwhile: nobody is listening
            }
        });
    }
}
