package dev.skein.e2e;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.Key;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.jose4j.jwa.AlgorithmConstraints;
import org.jose4j.jwk.JsonWebKeySet;
import org.jose4j.jwk.RsaJsonWebKey;
import org.jose4j.jwk.RsaJwkGenerator;
import org.jose4j.jws.AlgorithmIdentifiers;
import org.jose4j.jws.JsonWebSignature;
import org.jose4j.jwt.JwtClaims;
import org.jose4j.lang.JoseException;

/**
 * An identity provider for the authenticating gateway, served from the test JVM: its signing keys at
 * {@code /jwks}, and OAuth 2.0's authorization-code flow with PKCE for browser sign-in — {@code
 * /authorize} approves at once (as if the user had signed in there) and {@code /token} exchanges a code
 * once, for the verifier whose S256 challenge it was issued against, for an RS256 ID token. Tests also
 * mint tokens of their own with it: any claims, any key, any {@code kid}, any algorithm.
 */
final class FakeIdp {

    static final int PORT = 18096;
    static final String ISSUER = "http://127.0.0.1:" + PORT;
    /** The audience of API tokens meant for Skein. */
    static final String AUDIENCE = "skein-api";
    /** Skein's client at this provider: the audience of its ID tokens. */
    static final String CLIENT_ID = "skein-ui";
    /** Its name in the gateway's configuration, and what the sign-in button says. */
    static final String NAME = "corp";

    static final String DISPLAY_NAME = "Corp";
    /** Whom {@code /authorize} signs in, and their groups. */
    static final String USER = "olga";

    static final List<String> USER_GROUPS = List.of("ml-admins");

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final AtomicInteger KIDS = new AtomicInteger();

    /** A sign-in approved at /authorize, waiting for its code to be exchanged. */
    record Login(
            String challenge,
            String method,
            String nonce,
            String clientId,
            String redirectUri,
            String user,
            List<String> groups) {}

    private final HttpServer server;
    private final ExecutorService threads = Executors.newFixedThreadPool(4, r -> {
        Thread t = new Thread(r, "fake-idp");
        t.setDaemon(true);
        return t;
    });
    private final List<RsaJsonWebKey> published = new CopyOnWriteArrayList<>();
    private volatile RsaJsonWebKey signing;
    private final Map<String, Login> codes = new ConcurrentHashMap<>();
    /** Every code ever issued, to tell a replayed code from an unknown one in the refusal. */
    private final Map<String, Boolean> issued = new ConcurrentHashMap<>();
    /** Changes the next ID token /token issues (a provider that answers wrongly); then forgotten. */
    private final AtomicReference<Consumer<JwtClaims>> tamper = new AtomicReference<>();

    private final List<String> refusals = new CopyOnWriteArrayList<>();
    private final AtomicInteger jwksFetches = new AtomicInteger();

    private FakeIdp(HttpServer server) {
        this.server = server;
    }

    static FakeIdp start() throws IOException {
        if (AuthGateway.portOpen(PORT)) {
            throw new IllegalStateException("Port " + PORT + " for the fake identity provider is taken");
        }
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", PORT), 50);
        FakeIdp idp = new FakeIdp(server);
        idp.signing = newKey();
        idp.published.add(idp.signing);
        server.createContext("/jwks", idp::jwks);
        server.createContext("/authorize", idp::authorize);
        server.createContext("/token", idp::token);
        server.setExecutor(idp.threads);
        server.start();
        return idp;
    }

    void stop() {
        server.stop(0);
        threads.shutdownNow();
    }

    // --- keys ----------------------------------------------------------------------------------

    /** A new RSA key of 2048 bits with a {@code kid} of its own, published nowhere yet. */
    static RsaJsonWebKey newKey() {
        try {
            RsaJsonWebKey key = RsaJwkGenerator.generateJwk(2048);
            key.setKeyId("key-" + KIDS.incrementAndGet() + "-" + Long.toString(System.nanoTime(), 36));
            key.setAlgorithm(AlgorithmIdentifiers.RSA_USING_SHA256);
            key.setUse("sig");
            return key;
        } catch (JoseException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Key rotation: a new key published beside the old ones and used to sign from now on. */
    RsaJsonWebKey rotate() {
        RsaJsonWebKey key = newKey();
        rotateTo(key);
        return key;
    }

    /** Key rotation to this key: published beside the old ones and used to sign from now on. */
    void rotateTo(RsaJsonWebKey key) {
        published.add(key);
        signing = key;
    }

    /** The key tokens are signed with now (published). */
    RsaJsonWebKey signingKey() {
        return signing;
    }

    /** How often the gateway fetched the key set. */
    int jwksFetches() {
        return jwksFetches.get();
    }

    /** What /authorize and /token refused, and why (for a failing test's message). */
    List<String> refusals() {
        return List.copyOf(refusals);
    }

    // --- tokens tests mint ---------------------------------------------------------------------

    /**
     * The claims of an API token for {@code user}: this issuer, audience {@value #AUDIENCE}, valid for
     * five minutes from now, the user in {@code preferred_username} and these groups.
     */
    static JwtClaims claims(String user, String... groups) {
        JwtClaims claims = new JwtClaims();
        claims.setIssuer(ISSUER);
        claims.setAudience(AUDIENCE);
        claims.setSubject("sub-" + user);
        claims.setClaim("preferred_username", user);
        if (groups.length > 0) {
            claims.setStringListClaim("groups", groups);
        }
        claims.setIssuedAtToNow();
        claims.setExpirationTimeMinutesInTheFuture(5);
        claims.setGeneratedJwtId();
        return claims;
    }

    /** Signed RS256 with the provider's current key, as its real tokens are. */
    String sign(JwtClaims claims) {
        return sign(claims, signing.getPrivateKey(), signing.getKeyId(), AlgorithmIdentifiers.RSA_USING_SHA256);
    }

    /** Signed with any key, {@code kid} (null: none) and algorithm ({@code none}: unsigned). */
    static String sign(JwtClaims claims, Key key, String kid, String alg) {
        JsonWebSignature jws = new JsonWebSignature();
        jws.setPayload(claims.toJson());
        jws.setAlgorithmHeaderValue(alg);
        jws.setAlgorithmConstraints(AlgorithmConstraints.NO_CONSTRAINTS);
        if (kid != null) {
            jws.setKeyIdHeaderValue(kid);
        }
        jws.setHeader("typ", "JWT");
        if (!AlgorithmIdentifiers.NONE.equals(alg)) {
            jws.setKey(key);
        }
        try {
            return jws.getCompactSerialization();
        } catch (JoseException e) {
            throw new IllegalStateException(e);
        }
    }

    // --- browser sign-in -----------------------------------------------------------------------

    /** The next ID token issued is changed by {@code change} before it is signed. */
    void tamperWithNextIdToken(Consumer<JwtClaims> change) {
        tamper.set(change);
    }

    private void jwks(HttpExchange exchange) throws IOException {
        try (exchange) {
            jwksFetches.incrementAndGet();
            String body = new JsonWebKeySet(new ArrayList<>(published))
                    .toJson(org.jose4j.jwk.JsonWebKey.OutputControlLevel.PUBLIC_ONLY);
            respond(exchange, 200, "application/json", body);
        }
    }

    private void authorize(HttpExchange exchange) throws IOException {
        try (exchange) {
            Map<String, String> q = form(exchange.getRequestURI().getRawQuery());
            String redirect = q.get("redirect_uri");
            String problem = null;
            if (!"code".equals(q.get("response_type"))) {
                problem = "response_type " + q.get("response_type");
            } else if (!CLIENT_ID.equals(q.get("client_id"))) {
                problem = "client_id " + q.get("client_id");
            } else if (redirect == null || !redirect.startsWith("http://127.0.0.1:")) {
                problem = "redirect_uri " + redirect;
            } else if (!"S256".equals(q.get("code_challenge_method")) || isBlank(q.get("code_challenge"))) {
                problem = "PKCE " + q.get("code_challenge_method") + " " + q.get("code_challenge");
            } else if (isBlank(q.get("state")) || isBlank(q.get("nonce"))) {
                problem = "no state or nonce";
            } else if (q.get("scope") == null || !q.get("scope").contains("openid")) {
                problem = "scope " + q.get("scope");
            }
            if (problem != null) {
                refusals.add("/authorize: " + problem);
                respond(exchange, 400, "text/plain", "bad authorization request: " + problem);
                return;
            }
            String code = random();
            codes.put(
                    code,
                    new Login(
                            q.get("code_challenge"),
                            q.get("code_challenge_method"),
                            q.get("nonce"),
                            q.get("client_id"),
                            redirect,
                            USER,
                            USER_GROUPS));
            issued.put(code, true);
            String location = redirect
                    + (redirect.contains("?") ? "&" : "?")
                    + "code=" + URLEncoder.encode(code, StandardCharsets.UTF_8)
                    + "&state=" + URLEncoder.encode(q.get("state"), StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Location", location);
            exchange.getResponseHeaders().set("Cache-Control", "no-store");
            exchange.sendResponseHeaders(302, -1);
        }
    }

    private void token(HttpExchange exchange) throws IOException {
        try (exchange) {
            if (!exchange.getRequestMethod().equals("POST")) {
                respond(exchange, 405, "text/plain", "POST only");
                return;
            }
            Map<String, String> f = form(new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
            String code = f.getOrDefault("code", "");
            Login login = codes.remove(code); // once
            String problem = null;
            if (!"authorization_code".equals(f.get("grant_type"))) {
                problem = "grant_type " + f.get("grant_type");
            } else if (login == null) {
                problem = issued.containsKey(code) ? "code used already" : "unknown code";
            } else if (!login.redirectUri().equals(f.get("redirect_uri"))) {
                problem = "redirect_uri " + f.get("redirect_uri") + " is not " + login.redirectUri();
            } else if (f.containsKey("client_id") && !login.clientId().equals(f.get("client_id"))) {
                problem = "client_id " + f.get("client_id");
            } else if (isBlank(f.get("code_verifier"))
                    || !challenge(f.get("code_verifier")).equals(login.challenge())) {
                problem = "code_verifier does not match the code_challenge";
            }
            if (problem != null) {
                refusals.add("/token: " + problem);
                respond(
                        exchange,
                        400,
                        "application/json",
                        new JsonObject()
                                .put("error", "invalid_grant")
                                .put("error_description", problem)
                                .encode());
                return;
            }
            JwtClaims claims = new JwtClaims();
            claims.setIssuer(ISSUER);
            claims.setAudience(login.clientId());
            claims.setSubject("sub-" + login.user());
            claims.setClaim("preferred_username", login.user());
            claims.setStringListClaim("groups", login.groups());
            claims.setClaim("nonce", login.nonce());
            claims.setIssuedAtToNow();
            claims.setExpirationTimeMinutesInTheFuture(5);
            Consumer<JwtClaims> change = tamper.getAndSet(null);
            if (change != null) {
                change.accept(claims);
            }
            String body = new JsonObject()
                    .put("id_token", sign(claims))
                    .put("access_token", "at-" + random())
                    .put("token_type", "Bearer")
                    .put("expires_in", 300)
                    .encode();
            exchange.getResponseHeaders().set("Cache-Control", "no-store");
            respond(exchange, 200, "application/json", body);
        }
    }

    // --- helpers -------------------------------------------------------------------------------

    /** BASE64URL(SHA-256(verifier)), PKCE's S256. */
    static String challenge(String verifier) {
        try {
            return Base64.getUrlEncoder()
                    .withoutPadding()
                    .encodeToString(
                            MessageDigest.getInstance("SHA-256").digest(verifier.getBytes(StandardCharsets.US_ASCII)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static String random() {
        byte[] bytes = new byte[24];
        RANDOM.nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    /** The fields of a query string or form body. */
    static Map<String, String> form(String encoded) {
        Map<String, String> fields = new LinkedHashMap<>();
        if (encoded == null || encoded.isEmpty()) {
            return fields;
        }
        for (String pair : encoded.split("&")) {
            int eq = pair.indexOf('=');
            String name = eq < 0 ? pair : pair.substring(0, eq);
            String value = eq < 0 ? "" : pair.substring(eq + 1);
            fields.put(
                    URLDecoder.decode(name, StandardCharsets.UTF_8), URLDecoder.decode(value, StandardCharsets.UTF_8));
        }
        return fields;
    }

    /** The query fields of a URI. */
    static Map<String, String> query(URI uri) {
        return form(uri.getRawQuery());
    }

    private static boolean isBlank(String s) {
        return s == null || s.isBlank();
    }

    private static void respond(HttpExchange exchange, int status, String contentType, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", contentType);
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }
}
