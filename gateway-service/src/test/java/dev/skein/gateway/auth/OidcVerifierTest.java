package dev.skein.gateway.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import dev.skein.common.error.ApiException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.jose4j.jwk.JsonWebKeySet;
import org.jose4j.jwk.RsaJsonWebKey;
import org.jose4j.jwk.RsaJwkGenerator;
import org.jose4j.jws.AlgorithmIdentifiers;
import org.jose4j.jws.JsonWebSignature;
import org.jose4j.jwt.JwtClaims;
import org.jose4j.keys.HmacKey;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * JWTs of an identity provider, verified against its keys served by a local JWKS endpoint and tokens
 * signed here: what is accepted, what is refused (and never with anything but UNAUTHENTICATED), and
 * keys rotated while the gateway runs.
 */
class OidcVerifierTest {

    private static final String ISSUER = "https://idp.example.test/realms/corp";
    private static final String AUDIENCE = "skein";

    private static HttpServer jwksServer;
    private static final AtomicReference<String> JWKS = new AtomicReference<>();
    private static final AtomicInteger FETCHES = new AtomicInteger();
    private static RsaJsonWebKey key;
    private static OidcVerifier verifier;

    @BeforeAll
    static void start() throws Exception {
        key = rsaKey("k1");
        JWKS.set(new JsonWebKeySet(key).toJson());
        jwksServer = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        jwksServer.createContext("/jwks", exchange -> {
            FETCHES.incrementAndGet();
            byte[] body = JWKS.get().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        jwksServer.start();
        verifier = new OidcVerifier(Map.of(
                "corp",
                provider(ISSUER, "http://127.0.0.1:" + jwksServer.getAddress().getPort() + "/jwks")));
    }

    @AfterAll
    static void stop() {
        verifier.close();
        jwksServer.stop(0);
    }

    @Test
    void aValidTokenNamesItsUserAndGroups() throws Exception {
        OidcVerifier.Identity who = verify(sign(key, claims("ana", 300)));
        assertThat(who.username()).isEqualTo("ana");
        assertThat(who.provider()).isEqualTo("corp");
        assertThat(who.groups()).containsExactly("ml-team", "readers");
    }

    @Test
    void expiredWrongAudienceOrIssuerAndUnsignedTokensAreRefused() throws Exception {
        JwtClaims expired = claims("ana", -120); // past the 30 s of skew allowed
        assertRefused(sign(key, expired), "expired");

        JwtClaims otherAudience = claims("ana", 300);
        otherAudience.setAudience("another-app");
        assertRefused(sign(key, otherAudience), "not valid");

        JwtClaims otherIssuer = claims("ana", 300);
        otherIssuer.setIssuer("https://evil.example.test");
        assertRefused(sign(key, otherIssuer), "issuer");

        JwtClaims noExpiry = claims("ana", 300);
        noExpiry.setExpirationTime(null);
        assertRefused(sign(key, noExpiry), "not valid");

        // alg none: a token anyone can write
        String unsigned = Base64.getUrlEncoder().withoutPadding().encodeToString("{\"alg\":\"none\"}".getBytes())
                + "."
                + Base64.getUrlEncoder()
                        .withoutPadding()
                        .encodeToString(claims("ana", 300).toJson().getBytes())
                + ".";
        assertRefused(unsigned, "not valid");

        // HS256 keyed with the public key's bytes: the classic algorithm confusion
        JsonWebSignature hmac = new JsonWebSignature();
        hmac.setPayload(claims("ana", 300).toJson());
        hmac.setAlgorithmHeaderValue(AlgorithmIdentifiers.HMAC_SHA256);
        hmac.setKey(new HmacKey(key.getPublicKey().getEncoded()));
        hmac.setDoKeyValidation(false);
        assertRefused(hmac.getCompactSerialization(), "not valid");

        // signed by a key the provider never published
        assertRefused(sign(rsaKey("k1"), claims("ana", 300)), "not valid");

        assertRefused("a.b.c", "not a valid JWT");
    }

    @Test
    void aTokenWithoutTheUserClaimIsRefused() throws Exception {
        JwtClaims claims = claims("ana", 300);
        claims.unsetClaim("preferred_username");
        assertRefused(sign(key, claims), "names no user");
    }

    @Test
    void keysRotatedAtTheProviderAreFetchedWhenATokenNamesThem() throws Exception {
        assertThat(verify(sign(key, claims("ana", 300))).username()).isEqualTo("ana");
        // jose4j skips a refresh asked for within 300 ms of the last fetch (its reprieve against
        // hammering the provider): a rotation is seen once that has passed, as it would be in life
        Thread.sleep(400);
        RsaJsonWebKey next = rsaKey("k2");
        JWKS.set(new JsonWebKeySet(key, next).toJson());
        int before = FETCHES.get();
        assertThat(verify(sign(next, claims("ben", 300))).username()).isEqualTo("ben");
        assertThat(FETCHES.get()).as("the new key was fetched").isGreaterThan(before);
        JWKS.set(new JsonWebKeySet(key).toJson());
    }

    @Test
    void looksLikeJwtTellsTokensApart() {
        assertThat(OidcVerifier.looksLikeJwt("aaa.bbb.ccc")).isTrue();
        assertThat(OidcVerifier.looksLikeJwt("skein_abc")).isFalse();
        assertThat(OidcVerifier.looksLikeJwt("a..c")).isFalse();
        assertThat(OidcVerifier.looksLikeJwt("a.b.c.d")).isFalse();
    }

    private static OidcVerifier.Identity verify(String jwt) {
        return verifier.verify(jwt).await().atMost(Duration.ofSeconds(30));
    }

    private static void assertRefused(String jwt, String why) {
        assertThatThrownBy(() -> verify(jwt))
                .isInstanceOfSatisfying(
                        ApiException.class, e -> assertThat(e.code().name()).isEqualTo("UNAUTHENTICATED"))
                .hasMessageContaining(why);
    }

    private static RsaJsonWebKey rsaKey(String kid) throws Exception {
        RsaJsonWebKey k = RsaJwkGenerator.generateJwk(2048);
        k.setKeyId(kid);
        k.setAlgorithm(AlgorithmIdentifiers.RSA_USING_SHA256);
        return k;
    }

    static JwtClaims claims(String user, int expiresInSeconds) {
        JwtClaims claims = new JwtClaims();
        claims.setIssuer(ISSUER);
        claims.setAudience(AUDIENCE);
        claims.setSubject("sub-" + user);
        claims.setIssuedAtToNow();
        claims.setExpirationTimeMinutesInTheFuture(expiresInSeconds / 60f);
        claims.setClaim("preferred_username", user);
        claims.setStringListClaim("groups", List.of("ml-team", "readers"));
        return claims;
    }

    static String sign(RsaJsonWebKey k, JwtClaims claims) throws Exception {
        JsonWebSignature jws = new JsonWebSignature();
        jws.setPayload(claims.toJson());
        jws.setKey(k.getPrivateKey());
        jws.setKeyIdHeaderValue(k.getKeyId());
        jws.setAlgorithmHeaderValue(AlgorithmIdentifiers.RSA_USING_SHA256);
        return jws.getCompactSerialization();
    }

    private static AuthConfig.Oidc provider(String issuer, String jwksUrl) {
        return new AuthConfig.Oidc() {
            @Override
            public String issuer() {
                return issuer;
            }

            @Override
            public String jwksUrl() {
                return jwksUrl;
            }

            @Override
            public String audience() {
                return AUDIENCE;
            }

            @Override
            public String usernameClaim() {
                return "preferred_username";
            }

            @Override
            public String groupsClaim() {
                return "groups";
            }

            @Override
            public Optional<String> usernamePrefix() {
                return Optional.empty();
            }

            @Override
            public List<String> algorithms() {
                return List.of("RS256", "ES256", "HS256", "none");
            }

            @Override
            public Duration jwksCacheTtl() {
                return Duration.ofHours(1);
            }

            @Override
            public Duration clockSkew() {
                return Duration.ofSeconds(30);
            }

            @Override
            public Optional<String> authorizationEndpoint() {
                return Optional.empty();
            }

            @Override
            public Optional<String> tokenEndpoint() {
                return Optional.empty();
            }

            @Override
            public Optional<String> clientId() {
                return Optional.empty();
            }

            @Override
            public Optional<String> clientSecret() {
                return Optional.empty();
            }

            @Override
            public String scopes() {
                return "openid";
            }

            @Override
            public Optional<String> displayName() {
                return Optional.empty();
            }

            @Override
            public Map<String, AuthConfig.Group> groups() {
                return Map.of();
            }
        };
    }
}
