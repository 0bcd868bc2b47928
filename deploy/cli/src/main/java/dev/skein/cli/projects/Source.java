package dev.skein.cli.projects;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Where a project's files are: a local directory, or a Git repository ({@code https://host/repo#sub/dir},
 * {@code git@…}, {@code file://…}) cloned with the {@code git} command into a temporary directory and checked out at
 * {@code --version}. Carries what MLflow records of it: the source name, the Git commit, the repository URL.
 */
public record Source(
        Path workDir,
        String sourceName,
        Optional<String> gitCommit,
        Optional<String> repoUrl,
        Optional<String> branch,
        Path cloneDir) {

    public static Source of(String uri, String version) {
        String base = uri;
        String subdir = "";
        int hash = uri.indexOf('#');
        if (hash >= 0) {
            base = uri.substring(0, hash);
            subdir = uri.substring(hash + 1);
        }
        if (version != null && (version.isEmpty() || version.startsWith("-"))) {
            throw new ProjectException("--version must name a Git commit, branch or tag, not '" + version + "'");
        }
        if (isGit(base)) {
            try {
                return clone(base, subdir, version, uri);
            } catch (ProjectException e) {
                // git's own messages and the commands carry the URL: never its password or token
                throw new ProjectException(redact(e.getMessage()));
            }
        }
        if (hash >= 0) {
            throw new ProjectException("a '#subdirectory' is only for Git URIs, not the local path " + uri);
        }
        Path dir = Path.of(uri.startsWith("file:") ? java.net.URI.create(uri).getPath() : uri)
                .toAbsolutePath()
                .normalize();
        if (!Files.isDirectory(dir)) {
            throw new ProjectException("the project " + uri + " is neither a directory nor a Git URI");
        }
        if (version != null) {
            throw new ProjectException("--version is for Git URIs; " + uri + " is a local directory");
        }
        // MLflow records a local project inside a Git working tree as that repository (#subdirectory) at its commit
        Optional<String> commit = git(dir, "rev-parse", "HEAD");
        Optional<String> remote =
                commit.isPresent() ? git(dir, "remote", "get-url", "origin").map(Source::redact) : Optional.empty();
        String name = remote.map(r -> r
                        + git(dir, "rev-parse", "--show-prefix")
                                .map(prefix -> "#" + prefix.replaceAll("/$", ""))
                                .orElse(""))
                .orElse(dir.toString());
        return new Source(dir, name, commit, remote, Optional.empty(), null);
    }

    static boolean isGit(String base) {
        return base.startsWith("https://")
                || base.startsWith("http://")
                || base.startsWith("git@")
                || base.startsWith("ssh://")
                || base.startsWith("git://")
                || (base.startsWith("file://") && base.endsWith(".git"));
    }

    private static Source clone(String repo, String subdir, String version, String uri) {
        if (subdir.contains("..")) {
            throw new ProjectException("the subdirectory of " + uri + " may not leave the repository");
        }
        Path dir;
        try {
            dir = Files.createTempDirectory("skein-project-");
        } catch (IOException e) {
            throw new ProjectException("cannot make a temporary directory: " + e.getMessage());
        }
        run(dir, "git", "init", "-q");
        run(dir, "git", "remote", "add", "origin", repo);
        String ref = version == null ? "HEAD" : version;
        run(dir, "git", "fetch", "-q", "--depth", "1", "origin", "--", ref);
        run(dir, "git", "checkout", "-q", "FETCH_HEAD");
        Path work = subdir.isEmpty() ? dir : dir.resolve(subdir).normalize();
        if (!Files.isDirectory(work)) {
            throw new ProjectException("the repository " + repo + " has no directory " + subdir);
        }
        String commit = git(dir, "rev-parse", "HEAD").orElseThrow();
        // as MLflow, --version is recorded as the branch only when it names one
        Optional<String> branch = version == null
                ? Optional.empty()
                : git(dir, "ls-remote", "--heads", "origin", "--", "refs/heads/" + version)
                        .map(found -> version);
        return new Source(work, redact(uri), Optional.of(commit), Optional.of(redact(repo)), branch, dir);
    }

    private static final java.util.regex.Pattern HTTP_USER_INFO =
            java.util.regex.Pattern.compile("(?i)(https?://)[^/@\\s'\"]*@");
    private static final java.util.regex.Pattern PASSWORD_USER_INFO =
            java.util.regex.Pattern.compile("([a-zA-Z][a-zA-Z0-9+.-]*://)[^/@\\s:'\"]*:[^/@\\s'\"]*@");

    /**
     * The text with the user-info of the URLs in it removed where it is a credential: any in an http(s) URL (a
     * token alone is one), a {@code user:password@} in any other; {@code ssh://git@host} and {@code git@host:} keep
     * their user name.
     */
    static String redact(String text) {
        String once = HTTP_USER_INFO.matcher(text).replaceAll("$1");
        return PASSWORD_USER_INFO.matcher(once).replaceAll("$1");
    }

    private static void run(Path dir, String... command) {
        try {
            Process p = new ProcessBuilder(command)
                    .directory(dir.toFile())
                    .redirectErrorStream(true)
                    .start();
            String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (p.waitFor() != 0) {
                throw new ProjectException(String.join(" ", command) + " failed: " + output.strip());
            }
        } catch (IOException e) {
            throw new ProjectException("cannot run " + command[0] + " (is it installed?): " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ProjectException("interrupted");
        }
    }

    private static Optional<String> git(Path dir, String... args) {
        List<String> command = new ArrayList<>(List.of("git", "-C", dir.toString()));
        command.addAll(List.of(args));
        try {
            Process p = new ProcessBuilder(command)
                    .redirectError(ProcessBuilder.Redirect.DISCARD)
                    .start();
            String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            if (!p.waitFor(1, TimeUnit.MINUTES) || p.exitValue() != 0 || output.isEmpty()) {
                return Optional.empty();
            }
            return Optional.of(output);
        } catch (IOException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }

    /** Removes the clone, if there is one. */
    public void cleanUp() {
        if (cloneDir == null) {
            return;
        }
        try (var paths = Files.walk(cloneDir)) {
            paths.sorted(java.util.Comparator.reverseOrder())
                    .forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // a temporary directory: the system cleans it eventually
        }
    }
}
