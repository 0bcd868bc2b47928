package dev.skein.artifacts.store;

import com.google.common.collect.ImmutableMultimap;
import com.google.common.collect.Multimap;
import dev.skein.artifacts.config.ArtifactConfig;
import dev.skein.common.error.ApiException;
import dev.skein.proto.common.v1.ErrorCode;
import io.minio.BucketExistsArgs;
import io.minio.GetObjectArgs;
import io.minio.GetPresignedObjectUrlArgs;
import io.minio.ListObjectsArgs;
import io.minio.MakeBucketArgs;
import io.minio.MinioAsyncClient;
import io.minio.PutObjectArgs;
import io.minio.RemoveObjectsArgs;
import io.minio.Result;
import io.minio.StatObjectArgs;
import io.minio.StatObjectResponse;
import io.minio.UploadPartResponse;
import io.minio.credentials.AwsConfigProvider;
import io.minio.credentials.AwsEnvironmentProvider;
import io.minio.credentials.ChainedProvider;
import io.minio.credentials.IamAwsProvider;
import io.minio.credentials.Provider;
import io.minio.credentials.StaticProvider;
import io.minio.errors.ErrorResponseException;
import io.minio.http.Method;
import io.minio.messages.DeleteError;
import io.minio.messages.DeleteObject;
import io.minio.messages.Item;
import io.minio.messages.Part;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * The S3-compatible object store, through the MinIO SDK. Every method blocks: callers run them on
 * worker threads. Store failures become MLflow errors here — a missing object RESOURCE_DOES_NOT_EXIST,
 * an unreachable store TEMPORARILY_UNAVAILABLE — so no SDK exception leaves this class.
 */
@ApplicationScoped
public class ObjectStore {

    private static final Logger LOG = Logger.getLogger(ObjectStore.class);
    private static final long MIB = 1024 * 1024;
    private static final int MAX_PARTS = 10_000;
    private static final Set<String> MISSING = Set.of("NoSuchKey", "NoSuchObject", "NoSuchBucket", "NotFound");

    /** A stored file. */
    public record ObjectInfo(long size, String etag, long lastModified) {}

    /** A direct child of a listed directory: a file with its size, or a directory. */
    public record Entry(String name, boolean dir, long size) {}

    private final MinioAsyncClient client;
    private final MinioAsyncClient presigner;
    private final String region;
    private final long partSize;

    /** A client of the store at {@code endpoint}, path-style or virtual-host style as configured. */
    static MinioAsyncClient client(String endpoint, Provider credentials, String region, Optional<Boolean> pathStyle) {
        MinioAsyncClient c = MinioAsyncClient.builder()
                .endpoint(endpoint)
                .credentialsProvider(credentials)
                .region(region)
                .build();
        pathStyle.ifPresent(path -> {
            if (path) {
                c.disableVirtualStyleEndpoint();
            } else {
                c.enableVirtualStyleEndpoint();
            }
        });
        return c;
    }

    public ObjectStore(ArtifactConfig config) {
        ArtifactConfig.S3 s3 = config.s3();
        this.region = s3.region();
        Provider credentials = credentials(s3.accessKey(), s3.secretKey());
        this.client = client(s3.endpoint(), credentials, region, s3.pathStyle());
        // Presigning is local computation; with the region given it makes no call to the store.
        this.presigner = s3.publicEndpoint()
                .map(endpoint -> client(endpoint, credentials, region, s3.pathStyle()))
                .orElse(client);
        this.partSize = config.partSize().asLongValue();
        if (partSize < 5 * MIB) {
            throw new IllegalArgumentException("skein.artifacts.part-size must be at least 5M (S3's smallest part)");
        }
    }

    /**
     * The configured keys, or — with neither configured — the AWS default chain, asked at each request
     * (so rotated and expiring credentials are picked up): {@code AWS_ACCESS_KEY_ID}/{@code
     * AWS_SECRET_ACCESS_KEY}(/{@code AWS_SESSION_TOKEN}), the profile in {@code ~/.aws/credentials}
     * ({@code AWS_SHARED_CREDENTIALS_FILE}, {@code AWS_PROFILE}), then a web identity token
     * ({@code AWS_WEB_IDENTITY_TOKEN_FILE} + {@code AWS_ROLE_ARN}: EKS service accounts), a container
     * role or an instance role. One key without the other is a mistake, refused at start.
     */
    static Provider credentials(Optional<String> accessKey, Optional<String> secretKey) {
        Optional<String> access = accessKey.filter(k -> !k.isBlank());
        Optional<String> secret = secretKey.filter(k -> !k.isBlank());
        if (access.isPresent() && secret.isPresent()) {
            return new StaticProvider(access.get(), secret.get(), null);
        }
        if (access.isPresent() || secret.isPresent()) {
            throw new IllegalArgumentException("skein.artifacts.s3.access-key and secret-key go together: set both, or"
                    + " neither to use the AWS default credentials (environment, profile, web identity, role)");
        }
        return new ChainedProvider(
                new AwsEnvironmentProvider(), new AwsConfigProvider(null, null), new IamAwsProvider(null, null));
    }

    /**
     * Creates the bucket if it does not exist yet. Replicas starting together (and a readiness probe
     * beside the start-up check) may race to create it: the loser's "already yours" is success.
     */
    public synchronized void ensureBucket(String bucket) {
        if (bucketExists(bucket)) {
            return;
        }
        try {
            client.makeBucket(MakeBucketArgs.builder()
                            .bucket(bucket)
                            .region(region)
                            .build())
                    .get();
            LOG.infof("Created bucket %s", bucket);
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof ErrorResponseException r
                    && r.errorResponse().code().equals("BucketAlreadyOwnedByYou"))) {
                throw translate(e.getCause() == null ? e : e.getCause());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ApiException(ErrorCode.TEMPORARILY_UNAVAILABLE, "Interrupted while calling the object store");
        } catch (Exception e) {
            throw translate(e);
        }
    }

    public boolean bucketExists(String bucket) {
        return await(() ->
                client.bucketExists(BucketExistsArgs.builder().bucket(bucket).build()));
    }

    /**
     * Stores a stream as one object, reading it to its end, and returns its size. A stream that fits
     * in one part is a single PUT, a longer one an S3 multipart upload, aborted if anything fails so
     * no parts are left behind. The next part is read while the last one is sent (the SDK copies a
     * part before sending it), so two parts are in memory at most. {@code declaredSize} (or -1)
     * chooses the part size and is checked against what arrived.
     */
    public long put(Location at, InputStream in, long declaredSize) throws IOException {
        byte[] buffer = new byte[(int) partSizeFor(declaredSize)];
        int n = readFully(in, buffer);
        if (n < buffer.length) {
            checkSize(declaredSize, n);
            await(() -> client.putObject(PutObjectArgs.builder().bucket(at.bucket()).object(at.key()).stream(
                            new ByteArrayInputStream(buffer, 0, n), n, -1)
                    .build()));
            return n;
        }
        String uploadId = createMultipartUpload(at);
        CompletableFuture<UploadPartResponse> sending = null;
        try {
            List<Part> parts = new ArrayList<>();
            long total = 0;
            int length = n;
            while (length > 0) {
                int number = parts.size() + (sending == null ? 1 : 2);
                if (number > MAX_PARTS) {
                    throw ApiException.invalidParameter("The file is larger than " + MAX_PARTS + " parts of "
                            + buffer.length + " bytes; give its size (Content-Length) when uploading it");
                }
                if (sending != null) {
                    parts.add(new Part(number - 1, await(sending).etag()));
                }
                int partLength = length;
                // returns once the SDK has copied (and hashed) the part; sending goes on meanwhile
                sending = start(() -> client.uploadPartAsync(
                        at.bucket(),
                        region,
                        at.key(),
                        new ByteArrayInputStream(buffer, 0, partLength),
                        partLength,
                        uploadId,
                        number,
                        null,
                        null));
                total += length;
                length = readFully(in, buffer);
            }
            parts.add(new Part(parts.size() + 1, await(sending).etag()));
            sending = null;
            checkSize(declaredSize, total);
            completeMultipartUpload(at, uploadId, parts);
            return total;
        } catch (IOException | RuntimeException e) {
            if (sending != null) {
                // a part still on its way would outlive the abort: let it land first
                sending.handle((r, f) -> null).join();
            }
            abortQuietly(at, uploadId);
            throw e;
        }
    }

    /** The part size for a file of this size (-1: unknown): the configured one, larger if needed. */
    long partSizeFor(long size) {
        if (size <= 0) {
            return partSize;
        }
        long needed = (size + MAX_PARTS - 1) / MAX_PARTS;
        long rounded = (needed + MIB - 1) / MIB * MIB;
        return Math.max(partSize, rounded);
    }

    private static void checkSize(long declared, long received) {
        if (declared >= 0 && declared != received) {
            throw ApiException.invalidParameter(
                    "The upload ended after " + received + " bytes; " + declared + " were announced");
        }
    }

    private static int readFully(InputStream in, byte[] buffer) throws IOException {
        int n = 0;
        while (n < buffer.length) {
            int r = in.read(buffer, n, buffer.length - n);
            if (r < 0) {
                break;
            }
            n += r;
        }
        return n;
    }

    /** The object at a location, if there is one. */
    public Optional<ObjectInfo> stat(Location at) {
        try {
            StatObjectResponse s = await(() -> client.statObject(StatObjectArgs.builder()
                    .bucket(at.bucket())
                    .object(at.key())
                    .build()));
            return Optional.of(new ObjectInfo(
                    s.size(), s.etag(), s.lastModified().toInstant().toEpochMilli()));
        } catch (ApiException e) {
            if (e.code() == ErrorCode.RESOURCE_DOES_NOT_EXIST) {
                return Optional.empty();
            }
            throw e;
        }
    }

    /** Reads {@code length} bytes of an object from {@code offset}; the caller closes the stream. */
    public InputStream open(Location at, long offset, long length) {
        return await(() -> client.getObject(GetObjectArgs.builder()
                .bucket(at.bucket())
                .object(at.key())
                .offset(offset)
                .length(length)
                .build()));
    }

    /** Whether anything is stored under a directory. */
    public boolean hasChildren(Location dir) {
        return list(dir, null, 1, true).hasNext();
    }

    /**
     * The direct children of a directory in key order, after {@code startAfter} (a child name, or
     * null), fetched from the store a page at a time as they are iterated.
     */
    public Iterator<Entry> children(Location dir, String startAfter) {
        return list(dir, startAfter, 1000, false);
    }

    private Iterator<Entry> list(Location dir, String startAfter, int pageSize, boolean recursive) {
        String prefix = dir.dirPrefix();
        ListObjectsArgs.Builder args = ListObjectsArgs.builder()
                .bucket(dir.bucket())
                .prefix(prefix)
                .recursive(recursive)
                .maxKeys(pageSize);
        if (startAfter != null) {
            args.startAfter(prefix + startAfter);
        }
        Iterator<Result<Item>> items = client.listObjects(args.build()).iterator();
        return new Iterator<>() {
            private Entry next;

            @Override
            public boolean hasNext() {
                while (next == null) {
                    boolean more = sync(items::hasNext);
                    if (!more) {
                        return false;
                    }
                    Item item = sync(() -> items.next().get());
                    String name = item.objectName().substring(prefix.length());
                    boolean isDir = item.isDir() || name.endsWith("/");
                    if (isDir) {
                        name = name.substring(0, name.length() - 1);
                    }
                    // directory markers (the listed directory's own) and names already returned
                    // (a directory reappears when a page starts inside it) are skipped
                    if (name.isEmpty() || (startAfter != null && name.compareTo(startAfter) <= 0)) {
                        continue;
                    }
                    next = new Entry(name, isDir, isDir ? 0 : item.size());
                }
                return true;
            }

            @Override
            public Entry next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                Entry e = next;
                next = null;
                return e;
            }
        };
    }

    /** Deletes the object at a location and every object under it as a directory; returns how many. */
    public int deleteTree(Location at) {
        int deleted = 0;
        if (!at.key().isEmpty() && stat(at).isPresent()) {
            deleted += delete(at.bucket(), List.of(at.key()));
        }
        Iterator<Result<Item>> items = client.listObjects(ListObjectsArgs.builder()
                        .bucket(at.bucket())
                        .prefix(at.dirPrefix())
                        .recursive(true)
                        .build())
                .iterator();
        List<String> batch = new ArrayList<>();
        while (sync(items::hasNext)) {
            batch.add(sync(() -> items.next().get()).objectName());
            if (batch.size() == 1000) {
                deleted += delete(at.bucket(), batch);
                batch = new ArrayList<>();
            }
        }
        if (!batch.isEmpty()) {
            deleted += delete(at.bucket(), batch);
        }
        return deleted;
    }

    private int delete(String bucket, List<String> keys) {
        Iterable<Result<DeleteError>> errors = client.removeObjects(RemoveObjectsArgs.builder()
                .bucket(bucket)
                .objects(keys.stream().map(DeleteObject::new).toList())
                .build());
        for (Result<DeleteError> r : errors) {
            DeleteError e = sync(r::get);
            throw new IllegalStateException("Deleting " + e.objectName() + " failed: " + e.code() + " " + e.message());
        }
        return keys.size();
    }

    /** A presigned URL for one request ({@code GET} or {@code PUT}) on a location. */
    public String presign(Method method, Location at, Duration expiry, Map<String, String> query) {
        return sync(() -> presigner.getPresignedObjectUrl(GetPresignedObjectUrlArgs.builder()
                .method(method)
                .bucket(at.bucket())
                .object(at.key())
                .region(region)
                .expiry((int) expiry.toSeconds(), TimeUnit.SECONDS)
                .extraQueryParams(query)
                .build()));
    }

    public String createMultipartUpload(Location at) {
        return await(() -> client.createMultipartUploadAsync(at.bucket(), region, at.key(), headers(), null))
                .result()
                .uploadId();
    }

    public void completeMultipartUpload(Location at, String uploadId, List<Part> parts) {
        await(() -> client.completeMultipartUploadAsync(
                at.bucket(), region, at.key(), uploadId, parts.toArray(new Part[0]), null, null));
    }

    public void abortMultipartUpload(Location at, String uploadId) {
        await(() -> client.abortMultipartUploadAsync(at.bucket(), region, at.key(), uploadId, null, null));
    }

    private void abortQuietly(Location at, String uploadId) {
        try {
            abortMultipartUpload(at, uploadId);
        } catch (RuntimeException e) {
            LOG.warnf("Aborting multipart upload %s of %s failed: %s", uploadId, at, e.getMessage());
        }
    }

    private static Multimap<String, String> headers() {
        return ImmutableMultimap.of("Content-Type", "application/octet-stream");
    }

    // --- failures ----------------------------------------------------------------------------

    @FunctionalInterface
    private interface StoreCall<T> {
        CompletableFuture<T> call() throws Exception;
    }

    @FunctionalInterface
    private interface Getter<T> {
        T get() throws Exception;
    }

    /** Runs a store call to its end, turning its failure into the MLflow error it means. */
    private static <T> T await(StoreCall<T> call) {
        return sync(() -> call.call().get());
    }

    /** Starts a store call; a failure to start it is the MLflow error it means. */
    private static <T> CompletableFuture<T> start(StoreCall<T> call) {
        return sync(call::call);
    }

    private static <T> T await(CompletableFuture<T> running) {
        return sync(running::get);
    }

    /** Runs a blocking store call, turning its failure into the MLflow error it means. */
    private static <T> T sync(Getter<T> call) {
        try {
            return call.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ApiException(ErrorCode.TEMPORARILY_UNAVAILABLE, "Interrupted while calling the object store");
        } catch (ExecutionException e) {
            throw translate(e.getCause() == null ? e : e.getCause());
        } catch (Exception e) {
            throw translate(e);
        }
    }

    private static RuntimeException translate(Throwable failure) {
        Throwable t = failure;
        while ((t instanceof java.util.concurrent.CompletionException || t instanceof ExecutionException)
                && t.getCause() != null) {
            t = t.getCause();
        }
        if (t instanceof ApiException api) {
            return api;
        }
        if (t instanceof ErrorResponseException e) {
            String code = e.errorResponse().code();
            if (MISSING.contains(code)) {
                return ApiException.notFound(
                        "No such artifact: " + e.errorResponse().objectName());
            }
            if (code.equals("NoSuchUpload")) {
                return ApiException.notFound("No such multipart upload (it was completed, aborted or never made)");
            }
            if (Set.of("InvalidPart", "InvalidPartOrder", "EntityTooSmall", "InvalidArgument", "MalformedXML")
                    .contains(code)) {
                return ApiException.invalidParameter("The object store refused the request: " + code + " ("
                        + e.errorResponse().message() + ")");
            }
            LOG.errorf("Object store error %s: %s", code, e.errorResponse().message());
            return new ApiException(ErrorCode.INTERNAL_ERROR, "The object store failed the request (" + code + ")");
        }
        if (t instanceof IOException) {
            LOG.warnf("Object store unreachable: %s", t.toString());
            return new ApiException(ErrorCode.TEMPORARILY_UNAVAILABLE, "The object store is unavailable, try again");
        }
        if (t instanceof RuntimeException r) {
            return r;
        }
        return new IllegalStateException("Object store call failed", t);
    }
}
