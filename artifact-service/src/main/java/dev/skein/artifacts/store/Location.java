package dev.skein.artifacts.store;

/**
 * A place in the object store: a bucket and a key (of a file) or key prefix (of a directory,
 * without its trailing slash; empty for the bucket's root).
 */
public record Location(String bucket, String key) {

    /** The location of a normalised relative path under this one. */
    public Location child(String path) {
        return new Location(bucket, ArtifactPaths.join(key, path));
    }

    /** The prefix every key under this directory starts with. */
    public String dirPrefix() {
        return key.isEmpty() ? "" : key + "/";
    }

    @Override
    public String toString() {
        return "s3://" + bucket + "/" + key;
    }
}
