package dev.skein.artifacts.service;

import dev.skein.artifacts.client.Owners;
import dev.skein.artifacts.config.ArtifactConfig;
import dev.skein.artifacts.store.ArtifactPaths;
import dev.skein.artifacts.store.ArtifactRoots;
import dev.skein.artifacts.store.Location;
import dev.skein.artifacts.store.ObjectStore;
import dev.skein.common.error.ApiException;
import dev.skein.common.validation.Inputs;
import dev.skein.proto.artifacts.v1.CompleteMultipartUpload;
import dev.skein.proto.artifacts.v1.CreateMultipartUpload;
import dev.skein.proto.artifacts.v1.Download;
import dev.skein.proto.artifacts.v1.DownloadHeader;
import dev.skein.proto.artifacts.v1.FileInfo;
import dev.skein.proto.artifacts.v1.MultipartUploadCredential;
import dev.skein.proto.artifacts.v1.MultipartUploadPart;
import io.minio.http.Method;
import io.minio.messages.Part;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.io.InputStream;
import java.io.PushbackInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * MLflow's artifact operations on the object store: the proxy's files under {@code mlflow-artifacts:/},
 * a run's files under its artifact URI, a model version's under its storage location. Every method
 * blocks (it calls the store and the owning services): the gRPC layer runs them on worker threads.
 */
@ApplicationScoped
public class Artifacts {

    public static final int MAX_PAGE = 10_000;
    static final long MAX_EXPIRATION_SECONDS = 604_800;
    static final int MAX_PARTS = 10_000;
    /** MLflow's limit of upload-artifact: 10 MiB. */
    static final long MAX_RUN_UPLOAD = 10L * 1024 * 1024;

    private final ObjectStore store;
    private final ArtifactRoots roots;
    private final Owners owners;
    private final Duration defaultExpiry;

    public Artifacts(ObjectStore store, ArtifactRoots roots, Owners owners, ArtifactConfig config) {
        this.store = store;
        this.roots = roots;
        this.owners = owners;
        this.defaultExpiry = config.presignedUrlExpiry();
    }

    // --- the proxy: mlflow-artifacts:/ ---------------------------------------------------------

    /** Stores a file under the proxy root, reading the stream to its end; returns its size. */
    public long upload(String path, InputStream in, long declaredSize) throws IOException {
        Location at = roots.proxyRoot().child(ArtifactPaths.requireNonRoot(path, "path"));
        return store.put(at, in, declaredSize);
    }

    /** Deletes a file or a directory under the proxy root. */
    public void delete(String path) {
        store.deleteTree(roots.proxyRoot().child(ArtifactPaths.requireNonRoot(path, "path")));
    }

    /** A page of a proxy directory's children (base names). */
    public Page listProxy(String path, Integer maxResults, String pageToken) {
        String dir = ArtifactPaths.normalize(path);
        return list(roots.proxyRoot().child(dir), "", maxResults, pageToken);
    }

    // --- runs ----------------------------------------------------------------------------------

    /** A run's artifact URI and a page of a directory's children, paths relative to that URI. */
    public RunListing listRun(String runId, String path, Integer maxResults, String pageToken) {
        String rootUri = owners.runArtifactUri(runId);
        String dir = ArtifactPaths.normalize(path);
        return new RunListing(rootUri, list(roots.resolve(rootUri).child(dir), dir, maxResults, pageToken));
    }

    public record RunListing(String rootUri, Page page) {}

    // --- logged models (MLflow 3) ---------------------------------------------------------------

    /**
     * A logged model's artifact location and every child of a directory under it, paths relative to
     * that location, as MLflow 3's ListLoggedModelArtifacts answers (unpaged).
     */
    public RunListing listLoggedModel(String modelId, String path) {
        Inputs.required(modelId, "model_id");
        String dir = ArtifactPaths.normalize(path);
        String rootUri = owners.loggedModelArtifactUri(modelId);
        return new RunListing(rootUri, list(roots.resolve(rootUri).child(dir), dir, null, null));
    }

    /**
     * MLflow's upload-artifact: stores a file under a run's artifact root, reading the stream to its
     * end; returns its size. As MLflow, the path is judged first, then an empty body is refused, then
     * the run is looked up.
     */
    public long uploadToRun(String runId, String path, InputStream in, long declaredSize) throws IOException {
        String file = ArtifactPaths.requireNonRoot(path, "path");
        if (declaredSize > MAX_RUN_UPLOAD) {
            throw ApiException.invalidParameter("Artifact size is too large. Max size is 10MB.");
        }
        PushbackInputStream body = new PushbackInputStream(in, 1);
        int first = body.read();
        if (first < 0) {
            throw ApiException.invalidParameter("Request must specify data.");
        }
        body.unread(first);
        Inputs.required(runId, "run_uuid");
        Location at = roots.resolve(owners.runArtifactUri(runId)).child(file);
        return store.put(at, body, declaredSize);
    }

    public String presignedUrl(Method method, String runId, String path, Long expirationSeconds) {
        Inputs.required(runId, "run_id");
        Duration expiry = defaultExpiry;
        if (expirationSeconds != null) {
            if (expirationSeconds < 1 || expirationSeconds > MAX_EXPIRATION_SECONDS) {
                throw ApiException.invalidParameter("expiration must be between 1 and " + MAX_EXPIRATION_SECONDS
                        + " seconds, got " + expirationSeconds);
            }
            expiry = Duration.ofSeconds(expirationSeconds);
        }
        String file = ArtifactPaths.requireNonRoot(path, "path");
        Location at = roots.resolve(owners.runArtifactUri(runId)).child(file);
        return store.presign(method, at, expiry, Map.of());
    }

    // --- downloads -----------------------------------------------------------------------------

    /** A file to stream: where it is and the header that describes what will be sent. */
    public record Opened(Location at, DownloadHeader header) {}

    /** Finds the file a download names and settles the byte range to send. */
    public Opened open(Download request) {
        Location at =
                switch (request.getTargetCase()) {
                    case PATH -> roots.proxyRoot().child(ArtifactPaths.requireNonRoot(request.getPath(), "path"));
                    case RUN -> {
                        Inputs.required(request.getRun().getRunId(), "run_id");
                        String file =
                                ArtifactPaths.requireNonRoot(request.getRun().getPath(), "path");
                        yield roots.resolve(
                                        owners.runArtifactUri(request.getRun().getRunId()))
                                .child(file);
                    }
                    case MODEL_VERSION -> {
                        var mv = request.getModelVersion();
                        Inputs.required(mv.getName(), "name");
                        Inputs.required(mv.getVersion(), "version");
                        String file = ArtifactPaths.requireNonRoot(mv.getPath(), "path");
                        yield roots.resolve(owners.modelVersionUri(mv.getName(), mv.getVersion()))
                                .child(file);
                    }
                    case LOGGED_MODEL -> {
                        var lm = request.getLoggedModel();
                        Inputs.required(lm.getModelId(), "model_id");
                        String file = ArtifactPaths.requireNonRoot(lm.getPath(), "artifact_file_path");
                        yield roots.resolve(owners.loggedModelArtifactUri(lm.getModelId()))
                                .child(file);
                    }
                    case TARGET_NOT_SET -> throw ApiException.missing("path");
                };
        var info = store.stat(at)
                .orElseThrow(() -> store.hasChildren(at)
                        ? ApiException.invalidParameter(
                                "'" + ArtifactPaths.baseName(at.key()) + "' is a directory, not a file")
                        : ApiException.notFound("No such artifact: " + describe(request)));
        String name = ArtifactPaths.baseName(at.key());
        DownloadHeader.Builder header = DownloadHeader.newBuilder()
                .setName(name)
                .setContentType(MimeTypes.of(name))
                .setTotalSize(info.size())
                .setEtag(info.etag())
                .setLastModified(info.lastModified());
        long size = info.size();
        long first = 0;
        long last = size - 1;
        if (request.hasSuffixLength() || request.hasFirst()) {
            if (request.hasSuffixLength()) {
                first = Math.max(0, size - request.getSuffixLength());
            } else {
                first = request.getFirst();
                if (request.hasLast()) {
                    last = Math.min(last, request.getLast());
                }
            }
            boolean satisfiable = request.hasSuffixLength()
                    ? request.getSuffixLength() > 0 && size > 0
                    : first < size && first <= last;
            if (!satisfiable) {
                return new Opened(at, header.setUnsatisfiable(true).build());
            }
            header.setPartial(true);
        }
        return new Opened(
                at,
                header.setFirst(first).setLength(Math.max(0, last - first + 1)).build());
    }

    private static String describe(Download request) {
        return switch (request.getTargetCase()) {
            case PATH -> request.getPath();
            case RUN ->
                request.getRun().getPath() + " of run " + request.getRun().getRunId();
            case MODEL_VERSION ->
                request.getModelVersion().getPath() + " of model '"
                        + request.getModelVersion().getName() + "' version "
                        + request.getModelVersion().getVersion();
            case LOGGED_MODEL ->
                request.getLoggedModel().getPath() + " of logged model "
                        + request.getLoggedModel().getModelId();
            case TARGET_NOT_SET -> "";
        };
    }

    /** The bytes of an opened file's range. */
    public InputStream read(Opened opened) {
        return store.open(
                opened.at(), opened.header().getFirst(), opened.header().getLength());
    }

    // --- multipart uploads ---------------------------------------------------------------------

    public CreateMultipartUpload.Response createMultipartUpload(CreateMultipartUpload r) {
        Location at = multipartTarget(r.getArtifactPath(), r.hasPath() ? r.getPath() : null);
        if (!r.hasNumParts()) {
            throw ApiException.missing("num_parts");
        }
        if (r.getNumParts() < 1 || r.getNumParts() > MAX_PARTS) {
            throw ApiException.invalidParameter(
                    "num_parts must be between 1 and " + MAX_PARTS + ", got " + r.getNumParts());
        }
        String uploadId = store.createMultipartUpload(at);
        CreateMultipartUpload.Response.Builder response =
                CreateMultipartUpload.Response.newBuilder().setUploadId(uploadId);
        for (int part = 1; part <= r.getNumParts(); part++) {
            response.addCredentials(MultipartUploadCredential.newBuilder()
                    .setPartNumber(part)
                    .setUrl(store.presign(
                            Method.PUT,
                            at,
                            defaultExpiry,
                            Map.of("partNumber", Integer.toString(part), "uploadId", uploadId))));
        }
        return response.build();
    }

    public void completeMultipartUpload(CompleteMultipartUpload r) {
        Location at = multipartTarget(r.getArtifactPath(), r.hasPath() ? r.getPath() : null);
        String uploadId = requireUploadId(r.hasUploadId() ? r.getUploadId() : null);
        if (r.getPartsCount() == 0) {
            throw ApiException.missing("parts");
        }
        List<Part> parts = new ArrayList<>();
        for (MultipartUploadPart p : r.getPartsList()) {
            if (!p.hasPartNumber() || p.getPartNumber() < 1 || p.getPartNumber() > MAX_PARTS) {
                throw ApiException.invalidParameter("Each part needs a part_number between 1 and " + MAX_PARTS);
            }
            if (!p.hasEtag() || p.getEtag().isEmpty()) {
                throw ApiException.invalidParameter("Part " + p.getPartNumber() + " has no etag");
            }
            parts.add(new Part((int) p.getPartNumber(), p.getEtag()));
        }
        parts.sort(Comparator.comparingInt(Part::partNumber));
        store.completeMultipartUpload(at, uploadId, parts);
    }

    public void abortMultipartUpload(String artifactPath, String path, String uploadId) {
        store.abortMultipartUpload(multipartTarget(artifactPath, path), requireUploadId(uploadId));
    }

    /** {@code <artifact_path>/<basename(path)>} under the proxy root: MLflow's multipart target. */
    private Location multipartTarget(String artifactPath, String path) {
        Inputs.required(path, "path");
        String dir = ArtifactPaths.normalize(artifactPath);
        String base = path.substring(path.lastIndexOf('/') + 1);
        String file = ArtifactPaths.requireNonRoot(base, "path");
        return roots.proxyRoot().child(ArtifactPaths.join(dir, file));
    }

    private static String requireUploadId(String uploadId) {
        Inputs.required(uploadId, "upload_id");
        return uploadId;
    }

    // --- listings ------------------------------------------------------------------------------

    /**
     * A directory's children, fetched from the store as they are taken. Unpaged (no {@code
     * maxResults}): all of them. Paged: at most {@code maxResults}, then a token for the rest.
     */
    public static final class Page implements Iterator<FileInfo> {
        private final Iterator<dev.skein.artifacts.store.ObjectStore.Entry> entries;
        private final String parent;
        private final int limit;
        private int taken;
        private String lastName;

        Page(Iterator<dev.skein.artifacts.store.ObjectStore.Entry> entries, String parent, int limit) {
            this.entries = entries;
            this.parent = parent;
            this.limit = limit;
        }

        @Override
        public boolean hasNext() {
            return taken < limit && entries.hasNext();
        }

        @Override
        public FileInfo next() {
            var e = entries.next();
            taken++;
            lastName = e.name();
            FileInfo.Builder info = FileInfo.newBuilder()
                    .setPath(ArtifactPaths.join(parent, e.name()))
                    .setIsDir(e.dir());
            if (!e.dir()) {
                info.setFileSize(e.size());
            }
            return info.build();
        }

        /** After the page was read: the token of the next page, or null if nothing follows. */
        public String nextPageToken() {
            if (taken < limit || !entries.hasNext()) {
                return null;
            }
            return Base64.getUrlEncoder().withoutPadding().encodeToString(lastName.getBytes(StandardCharsets.UTF_8));
        }
    }

    private Page list(Location dir, String parent, Integer maxResults, String pageToken) {
        int limit = Integer.MAX_VALUE;
        if (maxResults != null) {
            if (maxResults < 1 || maxResults > MAX_PAGE) {
                throw ApiException.invalidParameter("Invalid value " + maxResults
                        + " for parameter 'max_results': it must be between 1 and " + MAX_PAGE);
            }
            limit = maxResults;
        }
        String after = null;
        if (pageToken != null && !pageToken.isEmpty()) {
            try {
                after = new String(Base64.getUrlDecoder().decode(pageToken), StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                throw ApiException.invalidParameter("Invalid page token '" + pageToken + "'");
            }
            if (after.isEmpty() || after.contains("/")) {
                throw ApiException.invalidParameter("Invalid page token '" + pageToken + "'");
            }
        }
        return new Page(store.children(dir, after), parent, limit);
    }
}
