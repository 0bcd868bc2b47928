package dev.skein.gateway.auth;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.skein.common.actor.Actors;
import dev.skein.common.error.ApiException;
import dev.skein.proto.common.v1.ErrorCode;
import io.smallrye.mutiny.Uni;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Optional;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Who a request comes from: its {@code Authorization} header checked against the gateway's users
 * (Basic, as MLflow's clients send {@code MLFLOW_TRACKING_USERNAME}/{@code PASSWORD}), their access
 * tokens or the operator's admin token (Bearer, as they send {@code MLFLOW_TRACKING_TOKEN}). Password hashes are computed on a small pool of their own with a
 * bounded queue; a credential verified once is remembered for a while under a keyed digest of the
 * password and the stored hash, so a changed password or a deleted user takes effect at once.
 */
public final class Authenticator {

    /** Refusals carry MLflow's Basic challenge. */
    public static final String CHALLENGE = "Basic realm=\"mlflow\"";

    private final AuthConfig config;
    private final AuthStore store;
    private final TokenStore tokens;
    private final SessionStore sessions;
    private final OidcVerifier oidc;
    /** Password hashes per user name (a digest of it): twenty a minute. */
    private final UserLimits guesses;

    /** The longest user name and password looked at; longer ones are refused unread. */
    public static final int MAX_NAME = 256;

    public static final int MAX_PASSWORD = 1024;

    /** The actor of the operator's admin token (no user holds the name). */
    public static final String ADMIN_TOKEN_ACTOR = "admin-token";

    private final byte[] adminToken;
    private final Cache<String, Boolean> verified;
    private final BoundedPool hashing;
    private final byte[] cacheKey = new byte[32];
    /** Checked against when no user of the name exists, so a missing user costs what a wrong password does. */
    private final String decoy;

    public Authenticator(
            AuthConfig config, AuthStore store, TokenStore tokens, SessionStore sessions, Optional<String> adminToken) {
        this.config = config;
        this.store = store;
        this.tokens = tokens;
        this.sessions = sessions;
        this.oidc = new OidcVerifier(config.oidc());
        config.oidc().forEach((provider, settings) -> settings.groups()
                .forEach((name, group) -> group.defaultPermission().ifPresent(p -> {
                    try {
                        Permission.parse(p);
                    } catch (ApiException e) {
                        throw new IllegalStateException("skein.auth.oidc." + provider + ".groups." + name
                                + ".default-permission: " + e.getMessage());
                    }
                })));
        this.guesses = new UserLimits(UserLimits.of(20, 20));
        this.adminToken = adminToken
                .filter(t -> !t.isBlank())
                .map(t -> t.getBytes(StandardCharsets.UTF_8))
                .orElse(null);
        this.verified = Caffeine.newBuilder()
                .maximumSize(config.credentialCacheSize())
                .expireAfterWrite(config.credentialCacheTtl())
                .build();
        this.hashing = new BoundedPool(
                "skein-password-hash",
                config.maxConcurrentHashes(),
                config.maxQueuedHashes(),
                "Too many sign-ins are being checked at once; try again in a moment");
        new SecureRandom().nextBytes(cacheKey);
        this.decoy = new PasswordHasher(config.passwordIterations()).hash("decoy-" + System.nanoTime());
    }

    /**
     * The caller of a request with this {@code Authorization} header and session cookie (either null
     * when absent); the header wins.
     */
    public Uni<Caller> authenticate(String authorization, String session) {
        if (!config.enabled()) {
            return Uni.createFrom().item(Caller.unauthenticated(Actors.UNKNOWN));
        }
        if ((authorization == null || authorization.isBlank()) && session != null && !session.isEmpty()) {
            return sessions.find(session)
                    .flatMap(found -> found.map(c -> Uni.createFrom().item(c))
                            .orElseGet(() -> refused("Your session has ended: sign in again")));
        }
        if (authorization == null || authorization.isBlank()) {
            return refused("You are not authenticated: send a user name and password (HTTP Basic, as MLflow's"
                    + " clients do with MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD)");
        }
        int space = authorization.indexOf(' ');
        String scheme = space < 0 ? authorization : authorization.substring(0, space);
        String value = space < 0 ? "" : authorization.substring(space + 1).trim();
        if (scheme.equalsIgnoreCase("Basic")) {
            return basic(value);
        }
        if (scheme.equalsIgnoreCase("Bearer")) {
            if (adminToken != null && MessageDigest.isEqual(adminToken, value.getBytes(StandardCharsets.UTF_8))) {
                return Uni.createFrom().item(new Caller(ADMIN_TOKEN_ACTOR, 0, true));
            }
            if (value.startsWith(TokenStore.PREFIX)) {
                return tokens.find(value).flatMap(found -> found.filter(TokenStore.Found::live)
                        .map(t -> Uni.createFrom().item(new Caller(t.username(), t.userId(), t.admin(), t.scope())))
                        .orElseGet(() -> refused("The access token is not valid: unknown, revoked or expired")));
            }
            if (oidc.configured() && OidcVerifier.looksLikeJwt(value)) {
                return oidc.verify(value).flatMap(this::federated);
            }
            return refused("The bearer token is not valid");
        }
        return refused("Unsupported authorization scheme: use Basic or Bearer");
    }

    private Uni<Caller> basic(String encoded) {
        String decoded;
        try {
            decoded = StandardCharsets.UTF_8
                    .newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(java.nio.ByteBuffer.wrap(Base64.getDecoder().decode(encoded)))
                    .toString();
        } catch (IllegalArgumentException | CharacterCodingException e) {
            return refused("Malformed Basic credentials");
        }
        int colon = decoded.indexOf(':');
        if (colon <= 0) {
            return refused("Malformed Basic credentials: expected user name and password");
        }
        return password(decoded.substring(0, colon), decoded.substring(colon + 1));
    }

    /** The user with this name and password (Basic, or signing in to the web UI). */
    public Uni<Caller> password(String username, String password) {
        if (username.length() > MAX_NAME || password.length() > MAX_PASSWORD) {
            // refused before any lookup, hash or limiter entry: nothing kept grows with such input
            return refused("Wrong user name or password");
        }
        return store.findUser(username).flatMap(found -> {
            // a user without a password (service accounts, identity providers' users) costs what a
            // wrong password does, so neither reveals what kind of account a name has
            boolean usable =
                    found.isPresent() && PasswordHasher.isHash(found.get().passwordHash());
            String stored = usable ? found.get().passwordHash() : decoy;
            String key = usable ? cacheKey(found.get().id(), stored, password) : null;
            if (key != null && verified.getIfPresent(key) != null) {
                return Uni.createFrom().item(caller(found.get()));
            }
            // every hash is counted against the name: guessing one user's password, or burning the
            // hashing pool with one name, is a few tries a minute
            long wait = guesses.acquire(PasswordHasher.digest(username));
            if (wait > 0) {
                return Uni.createFrom()
                        .failure(new ApiException(
                                ErrorCode.REQUEST_LIMIT_EXCEEDED,
                                "Too many sign-in attempts for this user name; wait " + wait + " s"));
            }
            return verify(password, stored).flatMap(ok -> {
                if (!ok || !usable) {
                    return refused("Wrong user name or password");
                }
                verified.put(key, Boolean.TRUE);
                return Uni.createFrom().item(caller(found.get()));
            });
        });
    }

    /** Whether the identity's groups (at its own provider) make it an administrator. */
    public boolean groupAdmin(OidcVerifier.Identity identity) {
        return identity.groups().stream().map(g -> groupsOf(identity).get(g)).anyMatch(g -> g != null && g.admin());
    }

    private java.util.Map<String, AuthConfig.Group> groupsOf(OidcVerifier.Identity identity) {
        return oidc.provider(identity.provider()).map(AuthConfig.Oidc::groups).orElse(java.util.Map.of());
    }

    /**
     * A user an identity provider vouched for: admin and default permission from their groups at
     * that provider. The name must be the provider's own user (made at first sight), never a local
     * user or service account of the same name.
     */
    public Uni<Caller> federated(OidcVerifier.Identity identity) {
        boolean groupAdmin = false;
        Permission fallback = null;
        for (String group : identity.groups()) {
            AuthConfig.Group g = groupsOf(identity).get(group);
            if (g == null) {
                continue;
            }
            groupAdmin |= g.admin();
            if (g.defaultPermission().isPresent()) {
                Permission p = Permission.parse(g.defaultPermission().get());
                fallback = fallback == null || p.includes(fallback) ? p : fallback;
            }
        }
        boolean admin = groupAdmin;
        Permission groupDefault = fallback;
        return store.externalUser(identity.username())
                .map(user -> new Caller(
                        user.username(), user.id(), admin || user.admin(), Caller.TokenScope.FEDERATED, groupDefault));
    }

    public OidcVerifier oidc() {
        return oidc;
    }

    private static Caller caller(AuthStore.User user) {
        return new Caller(user.username(), user.id(), user.admin());
    }

    /** Verifies on the hashing pool; refused with 503 before any work when its queue is full. */
    private Uni<Boolean> verify(String password, String stored) {
        return hashing.run(() -> PasswordHasher.verify(password, stored));
    }

    /** Hashes a new password on the hashing pool (creating a user, changing a password). */
    public Uni<String> hash(String password) {
        PasswordHasher hasher = new PasswordHasher(config.passwordIterations());
        return hashing.run(() -> hasher.hash(password));
    }

    private String cacheKey(long userId, String stored, String password) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(cacheKey, "HmacSHA256"));
            mac.update((userId + "\0" + stored + "\0").getBytes(StandardCharsets.UTF_8));
            return Base64.getEncoder().encodeToString(mac.doFinal(password.getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static <T> Uni<T> refused(String message) {
        return Uni.createFrom().failure(new ApiException(ErrorCode.UNAUTHENTICATED, message));
    }

    public void close() {
        hashing.close();
        oidc.close();
    }
}
