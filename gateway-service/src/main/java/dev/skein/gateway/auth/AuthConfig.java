package dev.skein.gateway.auth;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Authentication and authorization at the gateway (gateway-service/README.md, "Authentication"). */
@ConfigMapping(prefix = "skein.auth")
public interface AuthConfig {

    /**
     * Whether callers must authenticate. Off, everyone is one user who may do everything (as MLflow
     * without its auth app); the local runner turns it off unless asked and says so.
     */
    @WithDefault("true")
    boolean enabled();

    /**
     * The first administrator, created at start when no user of that name exists (an existing one is
     * left as it is: its password may have been changed since). Both or neither.
     */
    Optional<String> adminUsername();

    Optional<String> adminPassword();

    /** What a user may do with an experiment or model they have no permission of their own on. */
    @WithDefault("READ")
    String defaultPermission();

    /** PBKDF2-HMAC-SHA256 iterations of new password hashes (OWASP's 2023 figure). */
    @WithDefault("600000")
    int passwordIterations();

    /**
     * A Basic credential verified once is not hashed again for this long (the hash costs tens of
     * milliseconds of CPU); a changed password or a deleted user takes effect at once regardless.
     */
    @WithDefault("PT5M")
    Duration credentialCacheTtl();

    /** Verified credentials kept at most. */
    @WithDefault("10000")
    int credentialCacheSize();

    /**
     * Password hashes computed at once (each occupies a worker thread for the hash's duration); more
     * wait, up to max-queued-hashes, beyond which the request is answered 503 with Retry-After before
     * any hashing — a flood of wrong passwords cannot take the gateway's CPU.
     */
    @WithDefault("2")
    int maxConcurrentHashes();

    @WithDefault("64")
    int maxQueuedHashes();

    /** How long an access token lives when its creator does not say (expires_in_days). */
    @WithDefault("P90D")
    Duration tokenLifetime();

    /** The longest an access token may live. */
    @WithDefault("P365D")
    Duration tokenMaxLifetime();

    /** How long a web UI sign-in lasts. */
    @WithDefault("PT12H")
    Duration sessionTtl();

    /**
     * Where Skein's artifact store keeps files ({@code s3://skein-artifacts/}, and any extra roots):
     * a model version whose source lies there is registered by a user only from inside the artifacts
     * of a run they may read (anywhere else — a team's own bucket — is theirs to name, as in MLflow).
     */
    Optional<List<String>> protectedLocations();

    /** Runs, traces and logged models whose experiment the gateway remembers (they never move). */
    @WithDefault("100000")
    int experimentCacheSize();

    /**
     * Service calls one search may make to fill a page with results the caller may read (MLflow's
     * auth app refetches without a bound); past it the page is answered shorter, with its token.
     */
    @WithDefault("20")
    int maxSearchRefills();

    /** Requests each user may make on the public API, per gateway replica (with authentication on). */
    RateLimit rateLimit();

    interface RateLimit {
        /** Requests a minute, refilled continuously; 0 turns the limit off. */
        @WithDefault("6000")
        long perMinute();

        /** Requests a user may make at once above the steady rate. */
        @WithDefault("500")
        long burst();
    }

    /**
     * Identity providers whose JWTs are accepted as Bearer tokens (OIDC access or ID tokens, Kubernetes
     * service-account tokens), by a name of the operator's choosing; a token is judged by the provider
     * whose issuer it names.
     */
    Map<String, Oidc> oidc();

    interface Oidc {
        /** The {@code iss} the provider's tokens carry, exactly. */
        String issuer();

        /** Where its signing keys are published (JWKS); fetched again when a token names an unknown key. */
        String jwksUrl();

        /** The {@code aud} a token must carry to be meant for Skein. */
        String audience();

        /** The claim that names the user. */
        @WithDefault("preferred_username")
        String usernameClaim();

        /** The claim that lists the user's groups (a list of strings, or one string). */
        @WithDefault("groups")
        String groupsClaim();

        /** Put before the user name, to keep this provider's users apart from others (e.g. {@code k8s:}). */
        Optional<String> usernamePrefix();

        /** Signature algorithms accepted; never {@code none} nor an HMAC one. */
        @WithDefault("RS256,RS384,RS512,PS256,PS384,PS512,ES256,ES384,ES512")
        List<String> algorithms();

        /** How long fetched keys are kept before they are fetched again. */
        @WithDefault("PT1H")
        Duration jwksCacheTtl();

        /** Clock difference tolerated on {@code exp} and {@code nbf}. */
        @WithDefault("PT30S")
        Duration clockSkew();

        /**
         * Where the web UI sends people to sign in (OAuth 2.0 authorization-code flow with PKCE);
         * with the token endpoint, offers this provider on the sign-in form.
         */
        Optional<String> authorizationEndpoint();

        /** Where the gateway exchanges the code for the provider's ID token. */
        Optional<String> tokenEndpoint();

        /** Skein's client at the provider (the ID token's audience); the audience above when unset. */
        Optional<String> clientId();

        /** The client's secret, for providers that want a confidential client besides PKCE. */
        Optional<String> clientSecret();

        /** Scopes asked for. */
        @WithDefault("openid profile email")
        String scopes();

        /** The name on the sign-in button; the provider's name when unset. */
        Optional<String> displayName();

        /** Groups named in this provider's groups claim, and what their members get. */
        Map<String, Group> groups();
    }

    /**
     * The address people reach Skein at ({@code https://skein.example.com}), for the provider's
     * redirect back; unset, it is taken from the request (Host, X-Forwarded-Proto).
     */
    Optional<String> publicUrl();

    interface Group {
        /** Members are administrators. */
        @WithDefault("false")
        boolean admin();

        /**
         * What members may do with an experiment or model they have no permission of their own on, when
         * more than the default permission (the most any of their groups gives).
         */
        Optional<String> defaultPermission();
    }
}
