package dev.skein.artifacts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.skein.common.error.GrpcErrors;
import dev.skein.common.testing.TestInfra;
import dev.skein.proto.artifacts.v1.ArtifactServiceGrpc;
import dev.skein.proto.artifacts.v1.DeleteArtifact;
import dev.skein.proto.artifacts.v1.Download;
import dev.skein.proto.artifacts.v1.DownloadChunk;
import dev.skein.proto.artifacts.v1.DownloadHeader;
import dev.skein.proto.artifacts.v1.FileInfo;
import dev.skein.proto.artifacts.v1.ListArtifacts;
import dev.skein.proto.artifacts.v1.ListLoggedModelArtifacts;
import dev.skein.proto.artifacts.v1.LoggedModelArtifact;
import dev.skein.proto.artifacts.v1.UploadChunk;
import dev.skein.proto.artifacts.v1.UploadHeader;
import dev.skein.proto.artifacts.v1.UploadResult;
import dev.skein.proto.common.v1.ErrorCode;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.minio.ListObjectsArgs;
import io.minio.MinioAsyncClient;
import io.minio.Result;
import io.minio.messages.Item;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.junit.QuarkusTest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

@QuarkusTest
class ArtifactServiceTest {

    private static final int MIB = 1024 * 1024;

    @GrpcClient("artifacts")
    ArtifactServiceGrpc.ArtifactServiceBlockingStub blocking;

    @GrpcClient("artifacts")
    io.grpc.Channel channel;

    private final MinioAsyncClient s3 = MinioAsyncClient.builder()
            .endpoint(TestInfra.s3().endpoint())
            .credentials(TestInfra.s3().accessKey(), TestInfra.s3().secretKey())
            .region("us-east-1")
            .build();

    /** Streams {@code size} pseudo-random bytes (from {@code seed}) as gRPC flow control allows. */
    private final class Sender implements ClientResponseObserver<UploadChunk, UploadResult> {
        private final UploadHeader header;
        private final long size;
        private final long pauseAfter;
        private final Random random;
        private final MessageDigest sha;
        private final CompletableFuture<UploadResult> result = new CompletableFuture<>();
        private final CompletableFuture<Void> paused = new CompletableFuture<>();
        private ClientCallStreamObserver<UploadChunk> call;
        private boolean headerSent;
        private boolean done;
        private long sent;

        Sender(UploadHeader header, long size, long pauseAfter, long seed) throws Exception {
            this.header = header;
            this.size = size;
            this.pauseAfter = pauseAfter;
            this.random = new Random(seed);
            this.sha = MessageDigest.getInstance("SHA-256");
        }

        @Override
        public void beforeStart(ClientCallStreamObserver<UploadChunk> requestStream) {
            call = requestStream;
            call.setOnReadyHandler(this::pump);
        }

        private synchronized void pump() {
            while (!done && call.isReady()) {
                if (!headerSent) {
                    headerSent = true;
                    call.onNext(UploadChunk.newBuilder().setHeader(header).build());
                } else if (sent >= pauseAfter) {
                    // hold here; the test looks at the store, then cuts the call off
                    paused.complete(null);
                    return;
                } else if (sent == size) {
                    done = true;
                    call.onCompleted();
                } else {
                    byte[] chunk = new byte[(int) Math.min(64 * 1024, size - sent)];
                    random.nextBytes(chunk);
                    sha.update(chunk);
                    sent += chunk.length;
                    call.onNext(UploadChunk.newBuilder()
                            .setData(ByteString.copyFrom(chunk))
                            .build());
                }
            }
        }

        @Override
        public void onNext(UploadResult value) {
            result.complete(value);
        }

        @Override
        public void onError(Throwable t) {
            result.completeExceptionally(t);
        }

        @Override
        public void onCompleted() {}

        synchronized void cutOff() {
            done = true;
            call.cancel("the test gives up midway", null);
        }

        String sha256() {
            return HexFormat.of().formatHex(sha.digest());
        }
    }

    private Sender upload(String path, long size, Long declared, long pauseAfter) throws Exception {
        UploadHeader.Builder header = UploadHeader.newBuilder().setPath(path);
        if (declared != null) {
            header.setSize(declared);
        }
        Sender sender = new Sender(header.build(), size, pauseAfter, path.hashCode());
        ArtifactServiceGrpc.newStub(channel).upload(sender);
        return sender;
    }

    private UploadResult uploaded(Sender sender) throws Exception {
        try {
            return sender.result.get(2, TimeUnit.MINUTES);
        } catch (ExecutionException e) {
            throw (Exception) e.getCause();
        }
    }

    private record Downloaded(DownloadHeader header, byte[] data) {}

    private Downloaded download(Download request) {
        Iterator<DownloadChunk> chunks = blocking.download(request);
        DownloadHeader header = chunks.next().getHeader();
        ByteString data = ByteString.EMPTY;
        while (chunks.hasNext()) {
            data = data.concat(chunks.next().getData());
        }
        return new Downloaded(header, data.toByteArray());
    }

    private String sha256(Download request) throws Exception {
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        Iterator<DownloadChunk> chunks = blocking.download(request);
        long size = chunks.next().getHeader().getTotalSize();
        long got = 0;
        while (chunks.hasNext()) {
            ByteString data = chunks.next().getData();
            got += data.size();
            sha.update(data.asReadOnlyByteBuffer());
        }
        assertThat(got).isEqualTo(size);
        return HexFormat.of().formatHex(sha.digest());
    }

    private List<String> keys(String prefix) throws Exception {
        List<String> keys = new ArrayList<>();
        for (Result<Item> r : s3.listObjects(ListObjectsArgs.builder()
                .bucket(TestResources.BUCKET)
                .prefix(prefix)
                .recursive(true)
                .build())) {
            keys.add(r.get().objectName());
        }
        return keys;
    }

    /**
     * What S3Proxy keeps on disk whose path mentions {@code name}: objects, and the parts of
     * multipart uploads in progress (S3Proxy does not implement ListMultipartUploads).
     */
    private static List<Path> onDisk(String name) throws Exception {
        Path bucket = TestInfra.s3().dataDir().resolve(TestResources.BUCKET);
        try (Stream<Path> files = Files.walk(bucket)) {
            return files.filter(p -> p.toString().contains(name)).toList();
        }
    }

    private static ErrorCode code(Throwable e) {
        return GrpcErrors.errorCode((StatusRuntimeException) e);
    }

    @Test
    void shouldStoreALargeFileAsMultipartAndStreamItBackIntact() throws Exception {
        String dir = "t-" + UUID.randomUUID();
        long size = 20L * MIB + 123; // three parts of 8 MiB
        Sender sender = upload(dir + "/big.bin", size, size, Long.MAX_VALUE);
        assertThat(uploaded(sender).getSize()).isEqualTo(size);
        assertThat(sha256(Download.newBuilder().setPath(dir + "/big.bin").build()))
                .isEqualTo(sender.sha256());
        assertThat(keys("mlartifacts/" + dir)).containsExactly("mlartifacts/" + dir + "/big.bin");
        // completed: no parts left on the side
        assertThat(onDisk(dir)).allMatch(p -> p.toString().contains("/mlartifacts/"));

        // the same without a declared size (a chunked HTTP upload)
        Sender unsized = upload(dir + "/unsized.bin", 9L * MIB, null, Long.MAX_VALUE);
        assertThat(uploaded(unsized).getSize()).isEqualTo(9L * MIB);
        assertThat(sha256(Download.newBuilder().setPath(dir + "/unsized.bin").build()))
                .isEqualTo(unsized.sha256());
    }

    @Test
    void shouldServeByteRanges() throws Exception {
        String path = "r-" + UUID.randomUUID() + "/ten.txt";
        uploaded(upload(path, 10, 10L, Long.MAX_VALUE));
        byte[] whole = download(Download.newBuilder().setPath(path).build()).data();
        assertThat(whole).hasSize(10);

        Downloaded middle = download(
                Download.newBuilder().setPath(path).setFirst(2).setLast(5).build());
        assertThat(middle.header().getPartial()).isTrue();
        assertThat(middle.header().getFirst()).isEqualTo(2);
        assertThat(middle.header().getLength()).isEqualTo(4);
        assertThat(middle.data()).containsExactly(java.util.Arrays.copyOfRange(whole, 2, 6));

        Downloaded tail =
                download(Download.newBuilder().setPath(path).setSuffixLength(3).build());
        assertThat(tail.data()).containsExactly(java.util.Arrays.copyOfRange(whole, 7, 10));

        Downloaded past =
                download(Download.newBuilder().setPath(path).setFirst(10).build());
        assertThat(past.header().getUnsatisfiable()).isTrue();
        assertThat(past.data()).isEmpty();
        assertThat(past.header().getTotalSize()).isEqualTo(10);
    }

    @Test
    void shouldListDirectChildrenWholeOrInPages() throws Exception {
        String dir = "l-" + UUID.randomUUID();
        for (int i = 0; i < 25; i++) {
            uploaded(upload(dir + String.format("/f%02d.txt", i), i, (long) i, Long.MAX_VALUE));
        }
        uploaded(upload(dir + "/sub/deeper/x.txt", 1, 1L, Long.MAX_VALUE));

        List<FileInfo> all = new ArrayList<>();
        blocking.listArtifacts(ListArtifacts.newBuilder().setPath(dir).build()).forEachRemaining(r -> {
            all.addAll(r.getFilesList());
            assertThat(r.hasNextPageToken()).isFalse();
        });
        assertThat(all).hasSize(26);
        assertThat(all)
                .contains(FileInfo.newBuilder().setPath("sub").setIsDir(true).build());
        assertThat(all)
                .contains(FileInfo.newBuilder()
                        .setPath("f07.txt")
                        .setIsDir(false)
                        .setFileSize(7)
                        .build());

        List<String> paged = new ArrayList<>();
        String token = null;
        int pages = 0;
        do {
            ListArtifacts.Builder request =
                    ListArtifacts.newBuilder().setPath(dir).setMaxResults(10);
            if (token != null) {
                request.setPageToken(token);
            }
            token = null;
            for (Iterator<ListArtifacts.Response> it = blocking.listArtifacts(request.build()); it.hasNext(); ) {
                ListArtifacts.Response r = it.next();
                r.getFilesList().forEach(f -> paged.add(f.getPath()));
                if (r.hasNextPageToken()) {
                    token = r.getNextPageToken();
                }
            }
            pages++;
        } while (token != null);
        assertThat(pages).isEqualTo(3);
        assertThat(paged)
                .doesNotHaveDuplicates()
                .containsExactlyInAnyOrderElementsOf(
                        all.stream().map(FileInfo::getPath).toList());

        assertThatThrownBy(() -> blocking.listArtifacts(ListArtifacts.newBuilder()
                                .setPath(dir)
                                .setPageToken("!not-a-token!")
                                .build())
                        .next())
                .satisfies(e -> assertThat(code(e)).isEqualTo(ErrorCode.INVALID_PARAMETER_VALUE));
    }

    @Test
    void shouldDeleteADirectoryAndNothingBesideIt() throws Exception {
        String dir = "d-" + UUID.randomUUID();
        uploaded(upload(dir + "/gone/a.txt", 3, 3L, Long.MAX_VALUE));
        uploaded(upload(dir + "/gone/b/c.txt", 3, 3L, Long.MAX_VALUE));
        uploaded(upload(dir + "/gone.txt", 3, 3L, Long.MAX_VALUE));
        uploaded(upload(dir + "/gone-too-not/x.txt", 3, 3L, Long.MAX_VALUE));

        blocking.deleteArtifact(
                DeleteArtifact.newBuilder().setPath(dir + "/gone").build());

        assertThat(keys("mlartifacts/" + dir + "/"))
                .containsExactlyInAnyOrder(
                        "mlartifacts/" + dir + "/gone.txt", "mlartifacts/" + dir + "/gone-too-not/x.txt");
        // deleting what is not there is not an error
        blocking.deleteArtifact(
                DeleteArtifact.newBuilder().setPath(dir + "/gone").build());
        assertThatThrownBy(() -> download(
                        Download.newBuilder().setPath(dir + "/gone/a.txt").build()))
                .satisfies(e -> assertThat(code(e)).isEqualTo(ErrorCode.RESOURCE_DOES_NOT_EXIST));
    }

    @Test
    void shouldLeaveNothingBehindWhenAnUploadIsCutOff() throws Exception {
        String dir = "c-" + UUID.randomUUID();
        // cut off after 20 MiB of 30, once two parts are in the store
        Sender cut = upload(dir + "/cut.bin", 30L * MIB, 30L * MIB, 20L * MIB);
        cut.paused.get(1, TimeUnit.MINUTES);
        long until = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (onDisk(dir).stream().noneMatch(p -> p.getFileName().toString().equals("cut.bin-2"))
                && System.nanoTime() < until) {
            Thread.sleep(100);
        }
        assertThat(onDisk(dir)).as("parts in the store").isNotEmpty();
        cut.cutOff();
        assertThatThrownBy(() -> uploaded(cut)).isInstanceOf(StatusRuntimeException.class);
        // an upload that ends short of its announced size is refused
        Sender short_ = upload(dir + "/short.bin", 9L * MIB, 10L * MIB, Long.MAX_VALUE);
        assertThatThrownBy(() -> uploaded(short_))
                .satisfies(e -> assertThat(code(e)).isEqualTo(ErrorCode.INVALID_PARAMETER_VALUE))
                .hasMessageContaining("10485760 were announced");

        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!onDisk(dir).isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(200);
        }
        assertThat(onDisk(dir)).isEmpty();
        assertThat(keys("mlartifacts/" + dir)).isEmpty();
    }

    @Test
    void shouldRefusePathsOutsideTheRoot() throws Exception {
        for (String path : List.of("../escape.txt", "a/../../escape.txt", "%2e%2e/escape.txt", "/abs.txt", "a\\b")) {
            assertThatThrownBy(() -> uploaded(upload(path, 5, 5L, Long.MAX_VALUE)))
                    .as(path)
                    .satisfies(e -> assertThat(code(e)).isEqualTo(ErrorCode.INVALID_PARAMETER_VALUE));
            assertThatThrownBy(
                            () -> download(Download.newBuilder().setPath(path).build()))
                    .as(path)
                    .satisfies(e -> assertThat(code(e)).isEqualTo(ErrorCode.INVALID_PARAMETER_VALUE));
        }
        assertThat(keys("escape")).isEmpty();
        assertThat(keys("abs")).isEmpty();
    }

    @Test
    void shouldJudgeLoggedModelPathsBeforeAskingTrackingServiceForTheModel() {
        // tracking-service does not run in these tests: a path that gets past the check is looked up,
        // and the lookup answers TEMPORARILY_UNAVAILABLE (never a 500); a bad one never gets that far
        for (String path : List.of("../escape.txt", "a/../../escape.txt", "%2e%2e/escape.txt", "/abs.txt")) {
            assertThatThrownBy(() -> download(Download.newBuilder()
                            .setLoggedModel(LoggedModelArtifact.newBuilder()
                                    .setModelId("m-0a1b2c")
                                    .setPath(path))
                            .build()))
                    .as(path)
                    .satisfies(e -> assertThat(code(e)).isEqualTo(ErrorCode.INVALID_PARAMETER_VALUE))
                    .hasMessageContaining("Invalid path");
            assertThatThrownBy(() -> blocking.listLoggedModelArtifacts(ListLoggedModelArtifacts.newBuilder()
                                    .setModelId("m-0a1b2c")
                                    .setArtifactDirectoryPath(path)
                                    .build())
                            .hasNext())
                    .as(path)
                    .satisfies(e -> assertThat(code(e)).isEqualTo(ErrorCode.INVALID_PARAMETER_VALUE));
        }
        assertThatThrownBy(() -> download(Download.newBuilder()
                        .setLoggedModel(LoggedModelArtifact.newBuilder()
                                .setModelId("m-0a1b2c")
                                .setPath("MLmodel"))
                        .build()))
                .satisfies(e -> assertThat(code(e)).isEqualTo(ErrorCode.TEMPORARILY_UNAVAILABLE));
        assertThatThrownBy(() -> blocking.listLoggedModelArtifacts(ListLoggedModelArtifacts.newBuilder()
                                .setModelId("m-0a1b2c")
                                .build())
                        .hasNext())
                .satisfies(e -> assertThat(code(e)).isEqualTo(ErrorCode.TEMPORARILY_UNAVAILABLE));
    }
}
