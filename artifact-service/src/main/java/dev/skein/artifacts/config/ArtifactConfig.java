package dev.skein.artifacts.config;

import io.quarkus.runtime.configuration.MemorySize;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/** artifact-service settings; every one has a default that runs locally (see the module README). */
@ConfigMapping(prefix = "skein.artifacts")
public interface ArtifactConfig {

    S3 s3();

    /**
     * Artifact roots besides {@code mlflow-artifacts:/}, as {@code s3://<bucket>/<prefix>}: where
     * experiments created with their own {@code artifact_location} keep their files. Run and model
     * version locations outside every root are refused, never read, listed or presigned.
     */
    Optional<List<String>> extraRoots();

    /**
     * Size of the parts large uploads go to S3 in; one part per upload is held in memory. A file of
     * known size that would need more than 10,000 parts gets larger ones.
     */
    @WithDefault("8M")
    MemorySize partSize();

    /** Size of the chunks downloads stream in. */
    @WithDefault("256K")
    MemorySize chunkSize();

    /** Lifetime of presigned URLs when the request names none. */
    @WithDefault("PT15M")
    Duration presignedUrlExpiry();

    /** Deadline of lookups in tracking-service and registry-service (a run's or model version's location). */
    @WithDefault("PT10S")
    Duration lookupTimeout();

    interface S3 {
        /** The S3 API endpoint: MinIO, AWS S3 (https://s3.<region>.amazonaws.com) or any S3-compatible server. */
        @WithDefault("http://127.0.0.1:9000")
        String endpoint();

        /**
         * The endpoint as clients reach it, for presigned URLs (multipart parts, large files), when it
         * differs from {@link #endpoint()} (an in-cluster address, say).
         */
        Optional<String> publicEndpoint();

        @WithDefault("us-east-1")
        String region();

        /**
         * Path-style URLs ({@code https://host/bucket/key}, true) or virtual-host style
         * ({@code https://bucket.host/key}, false); unset, the MinIO SDK's choice: virtual-host for
         * AWS S3's endpoints, path-style for any other server.
         */
        Optional<Boolean> pathStyle();

        /**
         * Static credentials; without both, the AWS default chain (environment, profile file, web
         * identity / container / instance role). No default: the local runner passes its S3 server's keys.
         */
        Optional<String> accessKey();

        Optional<String> secretKey();

        /** The bucket artifacts live in; `s3://<bucket>/...` artifact locations must name it. */
        @WithDefault("skein-artifacts")
        String bucket();

        /** Key prefix of the proxied root `mlflow-artifacts:/` inside the bucket; empty: the bucket's root. */
        @WithDefault("mlartifacts")
        String prefix();

        /** Create the bucket at start if it does not exist (needs the permission to). */
        @WithDefault("true")
        boolean createBucket();
    }
}
