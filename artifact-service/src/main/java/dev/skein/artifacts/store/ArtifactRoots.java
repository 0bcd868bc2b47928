package dev.skein.artifacts.store;

import dev.skein.artifacts.config.ArtifactConfig;
import dev.skein.common.error.ApiException;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.List;

/**
 * Where artifact URIs live in the store, and the only places this service reads, lists, presigns or
 * deletes. {@code mlflow-artifacts:/<path>} is the proxied root: the configured prefix inside the
 * configured bucket. {@code s3://<bucket>/<key>} (experiments created with an S3 artifact location,
 * model versions registered from one) is served only under an artifact root: the proxied root itself
 * or one of {@code skein.artifacts.extra-roots}. A run's artifact URI or a model version's source is
 * whatever its creator wrote, so without this check a source of {@code s3://<bucket>/anything} would
 * reach every key of the bucket. Keys are normalised first ({@code ..}, empty and encoded segments
 * refused or dropped) and compared segment by segment, so {@code <root>-other} is not under {@code <root>}.
 */
@ApplicationScoped
public class ArtifactRoots {

    private static final String PROXY_SCHEME = "mlflow-artifacts:";
    private static final String S3_SCHEME = "s3://";

    private final String bucket;
    private final Location proxyRoot;
    private final List<Location> roots;

    @Inject
    public ArtifactRoots(ArtifactConfig config) {
        this(config.s3().bucket(), config.s3().prefix(), config.extraRoots().orElse(List.of()));
    }

    public ArtifactRoots(String bucket, String prefix, List<String> extraRoots) {
        this.bucket = bucket;
        this.proxyRoot = new Location(bucket, ArtifactPaths.normalize(prefix));
        List<Location> all = new ArrayList<>();
        all.add(proxyRoot);
        for (String root : extraRoots) {
            if (!root.isBlank()) {
                all.add(parseRoot(root.strip()));
            }
        }
        this.roots = List.copyOf(all);
    }

    public String bucket() {
        return bucket;
    }

    /** The root of {@code mlflow-artifacts:/}. */
    public Location proxyRoot() {
        return proxyRoot;
    }

    /** Every artifact root: the proxied one first, then the extra ones. */
    public List<Location> roots() {
        return roots;
    }

    /** Whether a location is one of the artifact roots itself (a place never deleted as a whole). */
    public boolean isRoot(Location at) {
        return roots.contains(at);
    }

    /**
     * The store location of an artifact URI, or INVALID_PARAMETER_VALUE if it is not under one of
     * the artifact roots (the same error MLflow gives a model version source it does not accept).
     */
    public Location resolve(String uri) {
        if (uri == null) {
            throw notServed("");
        }
        if (uri.startsWith(PROXY_SCHEME)) {
            String rest = uri.substring(PROXY_SCHEME.length());
            if (rest.startsWith("//")) {
                // mlflow-artifacts://<host:port>/<path>: the authority names a server, not a path
                int slash = rest.indexOf('/', 2);
                rest = slash < 0 ? "" : rest.substring(slash);
            }
            return proxyRoot.child(ArtifactPaths.normalize(stripLeadingSlashes(rest)));
        }
        if (uri.startsWith(S3_SCHEME)) {
            String rest = uri.substring(S3_SCHEME.length());
            int slash = rest.indexOf('/');
            String uriBucket = slash < 0 ? rest : rest.substring(0, slash);
            String key = slash < 0 ? "" : stripLeadingSlashes(rest.substring(slash));
            Location at = new Location(uriBucket, ArtifactPaths.normalize(key));
            for (Location root : roots) {
                if (isUnder(at, root)) {
                    return at;
                }
            }
        }
        throw notServed(uri);
    }

    /** Whether {@code at} is {@code root} or below it (whole segments: {@code a/bc} is not under {@code a/b}). */
    static boolean isUnder(Location at, Location root) {
        return at.bucket().equals(root.bucket())
                && (root.key().isEmpty()
                        || at.key().equals(root.key())
                        || at.key().startsWith(root.dirPrefix()));
    }

    private static Location parseRoot(String root) {
        if (!root.startsWith(S3_SCHEME)) {
            throw new IllegalArgumentException(
                    "skein.artifacts.extra-roots: '" + root + "' is not an s3://<bucket>/<prefix> location");
        }
        String rest = root.substring(S3_SCHEME.length());
        int slash = rest.indexOf('/');
        String rootBucket = slash < 0 ? rest : rest.substring(0, slash);
        if (rootBucket.isEmpty()) {
            throw new IllegalArgumentException("skein.artifacts.extra-roots: '" + root + "' names no bucket");
        }
        try {
            return new Location(
                    rootBucket, ArtifactPaths.normalize(slash < 0 ? "" : stripLeadingSlashes(rest.substring(slash))));
        } catch (ApiException e) {
            throw new IllegalArgumentException("skein.artifacts.extra-roots: '" + root + "': " + e.getMessage());
        }
    }

    private static String stripLeadingSlashes(String s) {
        int i = 0;
        while (i < s.length() && s.charAt(i) == '/') {
            i++;
        }
        return s.substring(i);
    }

    private static ApiException notServed(String uri) {
        return ApiException.invalidParameter("Artifact location '" + uri + "' is outside the artifact roots of this"
                + " store; it serves mlflow-artifacts:/ locations and s3:// locations under its configured roots.");
    }
}
