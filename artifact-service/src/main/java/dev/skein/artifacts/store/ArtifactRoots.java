package dev.skein.artifacts.store;

import dev.skein.artifacts.config.ArtifactConfig;
import dev.skein.common.error.ApiException;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * Where artifact URIs live in the store. {@code mlflow-artifacts:/<path>} is the proxied root: the
 * configured prefix inside the configured bucket. {@code s3://<bucket>/<key>} (experiments created
 * with an S3 artifact location) points into the same store and must name the same bucket. Any other
 * URI is not this service's to read.
 */
@ApplicationScoped
public class ArtifactRoots {

    private static final String PROXY_SCHEME = "mlflow-artifacts:";
    private static final String S3_SCHEME = "s3://";

    private final String bucket;
    private final Location proxyRoot;

    public ArtifactRoots(ArtifactConfig config) {
        this.bucket = config.s3().bucket();
        this.proxyRoot =
                new Location(bucket, ArtifactPaths.normalize(config.s3().prefix()));
    }

    public String bucket() {
        return bucket;
    }

    /** The root of {@code mlflow-artifacts:/}. */
    public Location proxyRoot() {
        return proxyRoot;
    }

    /** The store location of an artifact URI, or INVALID_PARAMETER_VALUE if it is not in this store. */
    public Location resolve(String uri) {
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
            if (!uriBucket.equals(bucket)) {
                throw notServed(uri);
            }
            return new Location(
                    bucket, ArtifactPaths.normalize(slash < 0 ? "" : stripLeadingSlashes(rest.substring(slash))));
        }
        throw notServed(uri);
    }

    private static String stripLeadingSlashes(String s) {
        int i = 0;
        while (i < s.length() && s.charAt(i) == '/') {
            i++;
        }
        return s.substring(i);
    }

    private ApiException notServed(String uri) {
        return ApiException.invalidParameter("Artifact location '" + uri + "' is not in this artifact store; it serves"
                + " mlflow-artifacts:/ and s3://" + bucket + "/ locations.");
    }
}
