package dev.skein.cli.commands;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.skein.cli.Api;
import dev.skein.cli.ApiException;
import dev.skein.cli.CliException;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.Map;
import java.util.function.Consumer;

/**
 * One file through MLflow's multipart upload ({@code /api/2.0/mlflow-artifacts/mpu/create|complete|abort}):
 * the server hands out presigned part URLs, each part is PUT there from its slice of the file (streamed), and
 * after every part the upload id and the parts' ETags are saved in a state file so that {@code --resume} continues.
 */
final class MultipartUpload {

    static final long MIN_PART_SIZE = 5L << 20;
    static final int MAX_PARTS = 10_000;
    private static final java.util.Set<String> RESTRICTED_HEADERS =
            java.util.Set.of("host", "content-length", "connection", "expect", "upgrade");

    private final Api api;
    private final Path file;
    private final String dir;
    private final long requestedPartSize;
    private final Consumer<String> log;
    private final Path stateFile;

    MultipartUpload(Api api, Path file, String dir, long partSize, Consumer<String> log) {
        this.api = api;
        this.file = file.toAbsolutePath().normalize();
        this.dir = dir;
        this.requestedPartSize = partSize;
        this.log = log;
        this.stateFile =
                stateDir().resolve(stateName(api.settings().trackingUri() + "\n" + this.file + "\n" + dir) + ".json");
    }

    /** ~/.skein/uploads, or SKEIN_CLI_STATE_DIR. */
    static Path stateDir() {
        String configured = System.getenv("SKEIN_CLI_STATE_DIR");
        return configured != null && !configured.isBlank()
                ? Path.of(configured)
                : Path.of(System.getProperty("user.home"), ".skein", "uploads");
    }

    Path stateFile() {
        return stateFile;
    }

    /** The part size for a file: the requested one, raised so that no more than 10,000 parts are needed. */
    static long partSize(long size, long requested) {
        long minimum = (size + MAX_PARTS - 1) / MAX_PARTS;
        return Math.max(requested, minimum);
    }

    static int parts(long size, long partSize) {
        return (int) Math.max(1, (size + partSize - 1) / partSize);
    }

    /** Uploads the parts not yet sent; true once the upload is complete, false if {@code maxParts} stopped it. */
    boolean run(boolean resume, Integer maxParts) throws IOException {
        ObjectNode state = resume ? readState() : null;
        if (state == null) {
            if (resume) {
                log.accept("No interrupted upload of " + file + " to resume: starting it.");
            }
            abandonPrevious();
            state = create();
        } else {
            log.accept("Resuming upload " + state.path("upload_id").asText() + " of " + file + ": "
                    + state.path("done").size() + " of "
                    + state.path("num_parts").asInt() + " parts sent before.");
        }
        long partSize = state.path("part_size").asLong();
        long size = state.path("size").asLong();
        int sent = 0;
        for (JsonNode credential : state.path("credentials")) {
            String number = credential.path("part_number").asText();
            if (state.path("done").has(number)) {
                continue;
            }
            if (maxParts != null && sent >= maxParts) {
                return false;
            }
            int part = Integer.parseInt(number);
            long offset = (part - 1) * partSize;
            long length = Math.min(partSize, size - offset);
            String etag = putPart(credential, offset, length);
            ((ObjectNode) state.path("done")).put(number, etag);
            writeState(state);
            sent++;
        }
        complete(state);
        Files.deleteIfExists(stateFile);
        return true;
    }

    private ObjectNode create() throws IOException {
        long size = Files.size(file);
        long partSize = partSize(size, requestedPartSize);
        int numParts = parts(size, partSize);
        JsonNode answer = api.post(
                "/api/2.0/mlflow-artifacts/mpu/create/" + Api.encodePath(dir),
                Api.object().put("path", file.getFileName().toString()).put("num_parts", numParts));
        ObjectNode state = Api.object()
                .put("file", file.toString())
                .put("size", size)
                .put("last_modified", Files.getLastModifiedTime(file).toMillis())
                .put("dir", dir)
                .put("path", file.getFileName().toString())
                .put("upload_id", answer.path("upload_id").asText())
                .put("part_size", partSize)
                .put("num_parts", numParts);
        state.set("credentials", answer.path("credentials"));
        state.putObject("done");
        if (state.path("credentials").size() != numParts) {
            throw new CliException("the server handed out "
                    + state.path("credentials").size() + " part URLs for " + numParts + " parts");
        }
        writeState(state);
        return state;
    }

    /** A previous, unfinished upload of this file is aborted (its parts would otherwise stay in the store). */
    private void abandonPrevious() throws IOException {
        ObjectNode previous = readStateIgnoringChanges();
        if (previous == null) {
            return;
        }
        try {
            abort(previous);
            log.accept("Aborted the earlier unfinished upload "
                    + previous.path("upload_id").asText() + " of " + file + ".");
        } catch (ApiException e) {
            log.accept("Could not abort the earlier upload "
                    + previous.path("upload_id").asText() + ": " + e.describe());
        }
        Files.deleteIfExists(stateFile);
    }

    private void abort(JsonNode state) {
        api.post(
                "/api/2.0/mlflow-artifacts/mpu/abort/"
                        + Api.encodePath(state.path("dir").asText()),
                Api.object()
                        .put("path", state.path("path").asText())
                        .put("upload_id", state.path("upload_id").asText()));
    }

    private void complete(JsonNode state) {
        ObjectNode body = Api.object()
                .put("path", state.path("path").asText())
                .put("upload_id", state.path("upload_id").asText());
        ArrayNode parts = body.putArray("parts");
        for (JsonNode credential : state.path("credentials")) {
            String number = credential.path("part_number").asText();
            parts.addObject()
                    .put("part_number", credential.path("part_number").asLong())
                    .put("etag", state.path("done").path(number).asText())
                    .put("url", credential.path("url").asText());
        }
        api.post(
                "/api/2.0/mlflow-artifacts/mpu/complete/"
                        + Api.encodePath(state.path("dir").asText()),
                body);
    }

    /** PUTs one part from its slice of the file, read as it is sent; returns the store's ETag. */
    private String putPart(JsonNode credential, long offset, long length) {
        HttpRequest.Builder request = HttpRequest.newBuilder(
                        URI.create(credential.path("url").asText()))
                .PUT(HttpRequest.BodyPublishers.fromPublisher(
                        HttpRequest.BodyPublishers.ofInputStream(() -> slice(offset, length)), length));
        for (Iterator<Map.Entry<String, JsonNode>> it =
                        credential.path("headers").fields();
                it.hasNext(); ) {
            Map.Entry<String, JsonNode> header = it.next();
            // the HTTP client sets these itself and refuses them from callers
            if (!RESTRICTED_HEADERS.contains(header.getKey().toLowerCase(java.util.Locale.ROOT))) {
                request.header(header.getKey(), header.getValue().asText());
            }
        }
        HttpResponse<String> response = api.sendRaw(request.build(), HttpResponse.BodyHandlers.ofString());
        int part = credential.path("part_number").asInt();
        if (response.statusCode() / 100 != 2) {
            String body = response.body() == null ? "" : response.body();
            String hint = response.statusCode() == 403
                    ? " (the presigned part URLs may have expired: upload again without --resume)"
                    : " (run the same command with --resume to try the parts left again)";
            throw new CliException("the store refused part " + part + " with HTTP " + response.statusCode() + hint
                    + ": " + (body.length() > 300 ? body.substring(0, 300) : body));
        }
        return response.headers()
                .firstValue("ETag")
                .orElseThrow(() -> new CliException("the store answered part " + part + " without an ETag"));
    }

    private InputStream slice(long offset, long length) {
        try {
            FileChannel channel = FileChannel.open(file, StandardOpenOption.READ);
            channel.position(offset);
            InputStream whole = Channels.newInputStream(channel);
            return new InputStream() {
                private long left = length;

                @Override
                public int read() throws IOException {
                    if (left <= 0) {
                        return -1;
                    }
                    int b = whole.read();
                    if (b >= 0) {
                        left--;
                    }
                    return b;
                }

                @Override
                public int read(byte[] buffer, int off, int len) throws IOException {
                    if (left <= 0) {
                        return -1;
                    }
                    int n = whole.read(buffer, off, (int) Math.min(len, left));
                    if (n > 0) {
                        left -= n;
                    }
                    return n;
                }

                @Override
                public void close() throws IOException {
                    whole.close();
                }
            };
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** The saved state, if the file is still what was being uploaded. */
    private ObjectNode readState() throws IOException {
        ObjectNode state = readStateIgnoringChanges();
        if (state == null) {
            return null;
        }
        if (state.path("size").asLong() != Files.size(file)
                || state.path("last_modified").asLong()
                        != Files.getLastModifiedTime(file).toMillis()) {
            throw new CliException(
                    file + " changed since its upload was interrupted: upload it again without --resume");
        }
        return state;
    }

    private ObjectNode readStateIgnoringChanges() throws IOException {
        if (!Files.exists(stateFile)) {
            return null;
        }
        return (ObjectNode) Api.JSON.readTree(stateFile.toFile());
    }

    /** Written whole to a temporary file and moved: a crash never leaves half a state file. */
    private void writeState(JsonNode state) throws IOException {
        Files.createDirectories(stateFile.getParent());
        Path tmp = stateFile.resolveSibling(stateFile.getFileName() + ".tmp");
        Files.deleteIfExists(tmp);
        // the part URLs are presigned: whoever reads them can write the parts, so only the owner may
        try {
            Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (UnsupportedOperationException notPosix) {
            Files.createFile(tmp);
        }
        Files.writeString(tmp, state.toString(), StandardCharsets.UTF_8);
        Files.move(tmp, stateFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static String stateName(String key) {
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(hash, 0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
