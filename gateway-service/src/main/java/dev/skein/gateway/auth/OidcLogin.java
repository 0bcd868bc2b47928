package dev.skein.gateway.auth;

import dev.skein.common.error.ApiException;
import dev.skein.common.vertx.CallerContext;
import dev.skein.proto.common.v1.ErrorCode;
import io.smallrye.mutiny.Uni;
import io.vertx.core.json.JsonObject;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;
import org.jboss.logging.Logger;

/**
 * Signing in to the web UI at an identity provider: OAuth 2.0's authorization-code flow with PKCE
 * (S256) and an OIDC nonce. The start keeps state, verifier and nonce in {@code gateway.oidc_logins}
 * (any replica may receive the browser back), the browser goes to the provider; on its return the
 * state is taken once (ten minutes at most), the code exchanged for an ID token at the provider's
 * token endpoint, and the token verified as any of that provider's tokens, its nonce included.
 */
public final class OidcLogin {

    private static final Logger LOG = Logger.getLogger(OidcLogin.class);
    private static final SecureRandom RANDOM = new SecureRandom();

    private final OidcVerifier verifier;
    private final Pool pool;
    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    public OidcLogin(OidcVerifier verifier, Pool pool) {
        this.verifier = verifier;
        this.pool = pool;
    }

    /** Where the browser goes to sign in at {@code provider}, and the state that binds its return. */
    public record Start(URI location, String state) {}

    public Uni<Start> start(String provider, String redirectUri) {
        return Uni.createFrom().deferred(() -> begin(provider, redirectUri));
    }

    /** Forgets sign-ins that were started and never came back (ten minutes old or more). */
    public Uni<Integer> forgetAbandoned() {
        return pool.preparedQuery("DELETE FROM gateway.oidc_logins WHERE created_at < now() - interval '10 minutes'")
                .execute()
                .map(rows -> rows.rowCount());
    }

    private Uni<Start> begin(String provider, String redirectUri) {
        AuthConfig.Oidc config = offered(provider);
        String state = random();
        String codeVerifier = random() + random();
        String nonce = random();
        Map<String, String> query = new LinkedHashMap<>();
        query.put("response_type", "code");
        query.put("client_id", config.clientId().orElse(config.audience()));
        query.put("redirect_uri", redirectUri);
        query.put("scope", config.scopes());
        query.put("state", state);
        query.put("nonce", nonce);
        query.put("code_challenge", challenge(codeVerifier));
        query.put("code_challenge_method", "S256");
        String endpoint = config.authorizationEndpoint().orElseThrow();
        URI location = URI.create(endpoint + (endpoint.contains("?") ? "&" : "?") + form(query));
        return pool.preparedQuery(
                        "INSERT INTO gateway.oidc_logins (state, provider, verifier, nonce) VALUES ($1, $2, $3, $4)")
                .execute(Tuple.of(state, provider, codeVerifier, nonce))
                .replaceWith(new Start(location, state));
    }

    /** The identity the provider vouches for once the browser came back with {@code code}. */
    public Uni<OidcVerifier.Identity> finish(String state, String code, String redirectUri) {
        var back = CallerContext.capture();
        return pool.preparedQuery("DELETE FROM gateway.oidc_logins WHERE state = $1"
                        + " AND created_at > now() - interval '10 minutes' RETURNING provider, verifier, nonce")
                .execute(Tuple.of(state))
                .flatMap(rows -> {
                    var it = rows.iterator();
                    if (!it.hasNext()) {
                        return Uni.createFrom()
                                .failure(refused("This sign-in has expired or was used already; start again"));
                    }
                    var row = it.next();
                    String provider = row.getString(0);
                    String codeVerifier = row.getString(1);
                    String nonce = row.getString(2);
                    AuthConfig.Oidc config = offered(provider);
                    Map<String, String> form = new LinkedHashMap<>();
                    form.put("grant_type", "authorization_code");
                    form.put("code", code);
                    form.put("redirect_uri", redirectUri);
                    form.put("client_id", config.clientId().orElse(config.audience()));
                    form.put("code_verifier", codeVerifier);
                    config.clientSecret().ifPresent(secret -> form.put("client_secret", secret));
                    HttpRequest exchange = HttpRequest.newBuilder(
                                    URI.create(config.tokenEndpoint().orElseThrow()))
                            .timeout(Duration.ofSeconds(20))
                            .header("Content-Type", "application/x-www-form-urlencoded")
                            .header("Accept", "application/json")
                            .POST(HttpRequest.BodyPublishers.ofString(form(form)))
                            .build();
                    return Uni.createFrom()
                            .completionStage(() -> http.sendAsync(exchange, HttpResponse.BodyHandlers.ofString()))
                            .emitOn(back)
                            .onFailure()
                            .transform(e -> {
                                LOG.warnf("The token endpoint of %s cannot be reached: %s", provider, e.toString());
                                return new ApiException(
                                        ErrorCode.TEMPORARILY_UNAVAILABLE, "The identity provider cannot be reached");
                            })
                            .flatMap(response -> {
                                String idToken = idToken(provider, response);
                                return verifier.verifyIdToken(provider, idToken, nonce);
                            });
                });
    }

    private String idToken(String provider, HttpResponse<String> response) {
        if (response.statusCode() / 100 != 2) {
            LOG.warnf("The token endpoint of %s answered %d", provider, response.statusCode());
            throw refused("The identity provider refused the sign-in");
        }
        try {
            String token = new JsonObject(response.body()).getString("id_token");
            if (token == null || token.isEmpty()) {
                throw refused("The identity provider sent no ID token");
            }
            return token;
        } catch (RuntimeException e) {
            if (e instanceof ApiException api) {
                throw api;
            }
            throw refused("The identity provider's answer is not JSON");
        }
    }

    private AuthConfig.Oidc offered(String provider) {
        AuthConfig.Oidc config = verifier.provider(provider)
                .filter(c -> c.authorizationEndpoint().isPresent()
                        && c.tokenEndpoint().isPresent())
                .orElseThrow(() -> ApiException.invalidParameter(
                        "No identity provider named '" + provider + "' offers browser sign-in"));
        return config;
    }

    private static String random() {
        byte[] bytes = new byte[32];
        RANDOM.nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    static String challenge(String codeVerifier) {
        try {
            byte[] digest =
                    MessageDigest.getInstance("SHA-256").digest(codeVerifier.getBytes(StandardCharsets.US_ASCII));
            return Base64.getUrlEncoder().withoutPadding().encodeToString(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String form(Map<String, String> fields) {
        return fields.entrySet().stream()
                .map(e -> URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8) + "="
                        + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8))
                .collect(Collectors.joining("&"));
    }

    private static ApiException refused(String message) {
        return new ApiException(ErrorCode.UNAUTHENTICATED, message);
    }
}
