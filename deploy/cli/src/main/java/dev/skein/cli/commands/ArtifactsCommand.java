package dev.skein.cli.commands;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.skein.cli.Api;
import dev.skein.cli.CliException;
import dev.skein.cli.ExitCodes;
import dev.skein.cli.Output;
import dev.skein.cli.Output.Table;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
        name = "artifacts",
        mixinStandardHelpOptions = true,
        description = "List, download and upload a run's artifacts (streamed; large uploads multipart and resumable).",
        subcommands = {
            ArtifactsCommand.ListArtifacts.class,
            ArtifactsCommand.Download.class,
            ArtifactsCommand.Upload.class
        })
public final class ArtifactsCommand extends Group {

    /** The entries directly under {@code path} of a run's artifacts (all pages). */
    static List<JsonNode> list(Api api, String runId, String path) {
        List<JsonNode> files = new ArrayList<>();
        String token = null;
        do {
            JsonNode page = api.get(Api.query(
                    "/api/2.0/mlflow/artifacts/list",
                    Api.params(
                            "run_id",
                            runId,
                            "path",
                            path == null || path.isEmpty() ? null : path,
                            "page_token",
                            token)));
            page.path("files").forEach(files::add);
            token = page.path("next_page_token").asText("");
        } while (!token.isEmpty());
        return files;
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List a run's artifacts under a path.")
    static final class ListArtifacts extends Base {
        @Option(names = "--run-id", required = true)
        String runId;

        @Option(names = "--path", description = "A directory under the run's artifacts (default: its root).")
        String path;

        @Option(
                names = {"-r", "--recursive"},
                description = "Everything under the path, not only its entries.")
        boolean recursive;

        @Override
        void run() {
            List<JsonNode> all = new ArrayList<>();
            walk(path, all);
            Table table = new Table("PATH", "TYPE", "SIZE");
            all.forEach(f -> table.row(
                    Output.text(f, "path"),
                    f.path("is_dir").asBoolean() ? "dir" : "file",
                    f.path("is_dir").asBoolean() ? "" : Output.text(f, "file_size")));
            ObjectNode json = Api.object();
            all.forEach(json.withArray("files")::add);
            out().print(json, table);
        }

        private void walk(String dir, List<JsonNode> into) {
            for (JsonNode f : list(api(), runId, dir)) {
                into.add(f);
                if (recursive && f.path("is_dir").asBoolean()) {
                    walk(f.path("path").asText(), into);
                }
            }
        }
    }

    @Command(
            name = "download",
            mixinStandardHelpOptions = true,
            description = "Download a run's artifact file, or a directory with everything under it, to DEST/<path>.")
    static final class Download extends Base {
        @Option(names = "--run-id", required = true)
        String runId;

        @Option(names = "--path", description = "A file or directory under the run's artifacts (default: all of them).")
        String path;

        @Option(names = "--dest", description = "Local directory (default: the current one).", defaultValue = ".")
        Path dest;

        private long files;
        private long bytes;

        @Override
        void run() throws IOException {
            String p = path == null ? "" : stripSlashes(path);
            Path root = dest.toAbsolutePath().normalize();
            if (p.isEmpty() || isDirectory(p)) {
                directory(p, root);
            } else {
                file(p, root);
            }
            Path local = p.isEmpty() ? root : root.resolve(p);
            Output out = out();
            if (out.json()) {
                out.printJson(Api.object()
                        .put("local_path", local.toString())
                        .put("files", files)
                        .put("bytes", bytes));
            } else {
                out.writer().println(local);
                out.writer().flush();
            }
        }

        /** MLflow's listing of a file path is empty, or the file itself; a directory lists its entries. */
        private boolean isDirectory(String p) {
            List<JsonNode> entries = list(api(), runId, p);
            if (entries.isEmpty()) {
                return false;
            }
            return !(entries.size() == 1
                    && !entries.get(0).path("is_dir").asBoolean()
                    && stripSlashes(entries.get(0).path("path").asText()).equals(p));
        }

        private void directory(String dir, Path root) throws IOException {
            Files.createDirectories(local(root, dir));
            for (JsonNode f : list(api(), runId, dir)) {
                String child = stripSlashes(f.path("path").asText());
                if (!isUnder(dir, child)) {
                    // the directory itself, '.', or a path elsewhere: following it would never end
                    err("skipping the listed entry '" + child + "' of '" + dir + "': it is not inside it");
                    continue;
                }
                if (f.path("is_dir").asBoolean()) {
                    directory(child, root);
                } else {
                    file(child, root);
                }
            }
        }

        private void file(String p, Path root) throws IOException {
            bytes += api().download(Api.query("/get-artifact", Api.params("run_id", runId, "path", p)), local(root, p));
            files++;
        }

        /** The local file of an artifact path; a path from the server that would leave {@code root} is refused. */
        private static Path local(Path root, String p) {
            Path local = p.isEmpty() ? root : root.resolve(p).normalize();
            if (!local.startsWith(root)) {
                throw new CliException("refusing artifact path '" + p + "': it leaves " + root);
            }
            return local;
        }
    }

    /** True if {@code child} is strictly inside the artifact directory {@code dir} ("" is the root). */
    static boolean isUnder(String dir, String child) {
        if (child.isEmpty()) {
            return false;
        }
        for (String segment : child.split("/", -1)) {
            if (segment.isEmpty() || segment.equals(".") || segment.equals("..")) {
                return false;
            }
        }
        return dir.isEmpty() || child.startsWith(dir + "/");
    }

    /** A directory's regular files, sorted; links (to files or directories) are left out and reported. */
    static List<Path> regularFiles(Path dir, java.util.function.Consumer<String> skipped) throws IOException {
        List<Path> files = new java.util.ArrayList<>();
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted().toList()) {
                if (Files.isSymbolicLink(p)) {
                    skipped.accept("skipping the symbolic link " + p + " (links are not uploaded)");
                } else if (Files.isRegularFile(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                    files.add(p);
                }
            }
        }
        return files;
    }

    static String stripSlashes(String p) {
        String s = p;
        while (s.startsWith("/")) {
            s = s.substring(1);
        }
        while (s.endsWith("/")) {
            s = s.substring(0, s.length() - 1);
        }
        return s;
    }

    @Command(
            name = "upload",
            mixinStandardHelpOptions = true,
            description = {
                "Upload a file or a directory's files to a run's artifacts, streamed from disk.",
                "Files up to --multipart-threshold go in one PUT; larger ones through MLflow's multipart upload",
                "(parts PUT straight to the store on presigned URLs). The upload id and finished parts are kept in",
                "~/.skein/uploads: an interrupted upload continues with --resume while its part URLs are valid",
                "(the server's presigned-URL lifetime, 15 minutes by default)."
            })
    static final class Upload extends Base {
        @Option(names = "--run-id", required = true)
        String runId;

        @Option(names = "--file", required = true, paramLabel = "FILE_OR_DIR")
        Path file;

        @Option(names = "--path", description = "The directory under the run's artifacts (default: its root).")
        String path;

        @Option(
                names = "--multipart-threshold",
                converter = ByteSize.class,
                paramLabel = "SIZE",
                defaultValue = "100MiB",
                description = "Files larger than this go multipart (default: ${DEFAULT-VALUE}).")
        long multipartThreshold;

        @Option(
                names = "--part-size",
                converter = ByteSize.class,
                paramLabel = "SIZE",
                defaultValue = "16MiB",
                description = "Multipart part size, at least 5MiB (default: ${DEFAULT-VALUE}).")
        long partSize;

        @Option(names = "--resume", description = "Continue an interrupted multipart upload of the same file.")
        boolean resume;

        @Option(
                names = "--max-parts",
                paramLabel = "N",
                description = "Send at most N parts now and keep the rest for --resume (exit code 6).")
        Integer maxParts;

        @Override
        void run() throws IOException {
            if (!Files.exists(file)) {
                throw new CliException(ExitCodes.USAGE, "no such file: " + file);
            }
            if (partSize < MultipartUpload.MIN_PART_SIZE) {
                throw new CliException(ExitCodes.USAGE, "--part-size must be at least 5MiB (S3's smallest part)");
            }
            if (maxParts != null && maxParts < 1) {
                throw new CliException(ExitCodes.USAGE, "--max-parts must be at least 1");
            }
            String root = proxyRoot(api(), runId);
            String dir = path == null ? "" : stripSlashes(path);
            ObjectNode json = Api.object();
            boolean paused = false;
            if (Files.isDirectory(file)) {
                List<Path> files = regularFiles(file, msg -> err(msg));
                for (Path f : files) {
                    String rel = file.relativize(f.getParent() == null ? file : f.getParent())
                            .toString()
                            .replace('\\', '/');
                    paused |= uploadOne(f, root, join(dir, rel), json);
                }
            } else {
                paused = uploadOne(file, root, dir, json);
            }
            if (out().json()) {
                out().printJson(json);
            }
            if (paused) {
                throw new CliException(
                        ExitCodes.UPLOAD_PAUSED, "upload paused with parts left: run the same command with --resume");
            }
        }

        /** True if the file's multipart upload stopped at --max-parts. */
        private boolean uploadOne(Path f, String root, String dir, ObjectNode json) throws IOException {
            String artifactPath = join(dir, f.getFileName().toString());
            long size = Files.size(f);
            String how;
            boolean paused = false;
            if (size <= multipartThreshold) {
                api().putFile("/api/2.0/mlflow-artifacts/artifacts/" + Api.encodePath(join(root, artifactPath)), f);
                how = "put";
            } else {
                MultipartUpload upload = new MultipartUpload(api(), f, join(root, dir), partSize, msg -> err(msg));
                paused = !upload.run(resume, maxParts);
                how = "multipart";
            }
            json.withArray("uploaded")
                    .addObject()
                    .put("path", artifactPath)
                    .put("bytes", size)
                    .put("method", how)
                    .put("complete", !paused);
            out().message((paused ? "Partly uploaded " : "Uploaded ") + f + " → " + artifactPath + " (" + size
                    + " bytes, " + how + ")");
            return paused;
        }
    }

    static String join(String a, String b) {
        if (a.isEmpty()) {
            return b;
        }
        return b.isEmpty() ? a : a + "/" + b;
    }

    /**
     * The path under the artifact proxy where a run's artifacts live: its artifact URI
     * {@code mlflow-artifacts:/<path>} (or {@code mlflow-artifacts://host/<path>}). Runs of experiments with
     * their own {@code s3://} location are not behind the proxy's upload endpoint.
     */
    static String proxyRoot(Api api, String runId) {
        String uri = api.get(Api.query("/api/2.0/mlflow/runs/get", Api.params("run_id", runId)))
                .path("run")
                .path("info")
                .path("artifact_uri")
                .asText("");
        return proxyPath(uri, runId);
    }

    static String proxyPath(String artifactUri, String runId) {
        String prefix = "mlflow-artifacts:";
        if (!artifactUri.startsWith(prefix)) {
            throw new CliException(
                    "run " + runId + " keeps its artifacts at " + artifactUri
                            + ", not behind Skein's artifact proxy (mlflow-artifacts:/): upload there with the store's own tools");
        }
        String rest = artifactUri.substring(prefix.length());
        if (rest.startsWith("//")) {
            int slash = rest.indexOf('/', 2);
            rest = slash < 0 ? "" : rest.substring(slash);
        }
        return stripSlashes(rest);
    }
}
