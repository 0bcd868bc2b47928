package dev.skein.gateway.auth;

import dev.skein.common.error.ApiException;
import dev.skein.proto.common.v1.ErrorCode;
import io.smallrye.mutiny.Uni;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.jboss.logging.Logger;
import org.jose4j.jwa.AlgorithmConstraints;
import org.jose4j.jwk.HttpsJwks;
import org.jose4j.jwt.JwtClaims;
import org.jose4j.jwt.MalformedClaimException;
import org.jose4j.jwt.consumer.InvalidJwtException;
import org.jose4j.jwt.consumer.JwtConsumer;
import org.jose4j.jwt.consumer.JwtConsumerBuilder;
import org.jose4j.keys.resolvers.HttpsJwksVerificationKeyResolver;

/**
 * JWTs from the organisation's identity providers (OIDC access or ID tokens, Kubernetes
 * service-account tokens): a token is judged by the provider whose issuer it names — signature by a
 * key of that provider's JWKS (fetched again when a token names a key not seen yet, so keys rotate
 * without a restart), an allowed asymmetric algorithm only ({@code none} and HMAC never), issuer,
 * audience, expiry and not-before. jose4j does the verifying; key fetches block, so verification runs
 * on a small pool of its own with a bounded queue.
 */
public final class OidcVerifier {

    private static final Logger LOG = Logger.getLogger(OidcVerifier.class);

    /** Who a verified token names, and their groups. */
    public record Identity(String provider, String username, List<String> groups) {}

    private record Provider(String name, AuthConfig.Oidc config, JwtConsumer consumer) {}

    /** Reads the issuer of a token before it is trusted, only to choose who verifies it. */
    private static final JwtConsumer PEEK = new JwtConsumerBuilder()
            .setSkipAllValidators()
            .setDisableRequireSignature()
            .setSkipSignatureVerification()
            .build();

    private final Map<String, Provider> byIssuer = new HashMap<>();
    private final BoundedPool verifying;

    public OidcVerifier(Map<String, AuthConfig.Oidc> providers) {
        providers.forEach((name, config) -> {
            HttpsJwks jwks = new HttpsJwks(config.jwksUrl());
            jwks.setDefaultCacheDuration(config.jwksCacheTtl().toSeconds());
            JwtConsumer consumer = new JwtConsumerBuilder()
                    .setRequireExpirationTime()
                    .setAllowedClockSkewInSeconds((int) config.clockSkew().toSeconds())
                    .setExpectedIssuer(config.issuer())
                    .setExpectedAudience(
                            true, config.audience(), config.clientId().orElse(config.audience()))
                    .setVerificationKeyResolver(new HttpsJwksVerificationKeyResolver(jwks))
                    .setJwsAlgorithmConstraints(new AlgorithmConstraints(
                            AlgorithmConstraints.ConstraintType.PERMIT,
                            config.algorithms().stream()
                                    .filter(a -> !a.equalsIgnoreCase("none")
                                            && !a.toUpperCase().startsWith("HS"))
                                    .toArray(String[]::new)))
                    .build();
            if (byIssuer.put(config.issuer(), new Provider(name, config, consumer)) != null) {
                throw new IllegalStateException(
                        "Two identity providers (skein.auth.oidc.*) name issuer " + config.issuer());
            }
        });
        this.verifying = new BoundedPool(
                "skein-jwt-verify", 2, 256, "Too many tokens are being verified at once; try again in a moment");
    }

    public boolean configured() {
        return !byIssuer.isEmpty();
    }

    /** Whether a Bearer value is shaped like a JWT (three dot-separated parts). */
    public static boolean looksLikeJwt(String value) {
        int first = value.indexOf('.');
        return first > 0
                && value.indexOf('.', first + 1) > first + 1
                && value.chars().filter(c -> c == '.').count() == 2;
    }

    /** The identity a token names, or a refusal (UNAUTHENTICATED) saying why in general terms. */
    public Uni<Identity> verify(String jwt) {
        return verifying.run(() -> verifyNow(jwt));
    }

    /** The providers that offer browser sign-in: name → what the button says. */
    public Map<String, String> browserProviders() {
        Map<String, String> offered = new java.util.TreeMap<>();
        byIssuer.values().forEach(p -> {
            if (p.config().authorizationEndpoint().isPresent()
                    && p.config().tokenEndpoint().isPresent()) {
                offered.put(p.name(), p.config().displayName().orElse(p.name()));
            }
        });
        return offered;
    }

    /** A provider's settings by its name, if configured. */
    public java.util.Optional<AuthConfig.Oidc> provider(String name) {
        return byIssuer.values().stream()
                .filter(p -> p.name().equals(name))
                .map(Provider::config)
                .findFirst();
    }

    /**
     * The identity an ID token from a browser sign-in names: issued by {@code provider}, for Skein's
     * client, carrying the nonce the sign-in started with.
     */
    public Uni<Identity> verifyIdToken(String provider, String jwt, String nonce) {
        return verify(jwt).map(identity -> identity).onItem().transformToUni(identity -> {
            try {
                JwtClaims claims = PEEK.processToClaims(jwt);
                Provider issuer = byIssuer.get(claims.getIssuer());
                if (issuer == null || !issuer.name().equals(provider) || !nonce.equals(claims.getClaimValue("nonce"))) {
                    return Uni.createFrom()
                            .failure(refused("The identity provider's answer does not match this sign-in"));
                }
                return Uni.createFrom().item(identity);
            } catch (InvalidJwtException | MalformedClaimException e) {
                return Uni.createFrom().failure(refused("The bearer token is not a valid JWT"));
            }
        });
    }

    private Identity verifyNow(String jwt) {
        String issuer;
        try {
            issuer = PEEK.processToClaims(jwt).getIssuer();
        } catch (InvalidJwtException | MalformedClaimException e) {
            throw refused("The bearer token is not a valid JWT");
        }
        Provider provider = issuer == null ? null : byIssuer.get(issuer);
        if (provider == null) {
            throw refused("The bearer token's issuer is not a trusted identity provider");
        }
        JwtClaims claims;
        try {
            claims = provider.consumer().processToClaims(jwt);
        } catch (InvalidJwtException e) {
            LOG.debugf("A token of %s was refused: %s", provider.name(), e.getMessage());
            if (e.hasExpired()) {
                throw refused("The bearer token has expired");
            }
            throw refused("The bearer token is not valid for this server (signature, audience or validity)");
        }
        Object name = claims.getClaimValue(provider.config().usernameClaim());
        if (!(name instanceof String username)
                || username.isBlank()
                || username.length() > Authenticator.MAX_NAME
                || username.chars().anyMatch(Character::isISOControl)) {
            throw refused(
                    "The bearer token names no user (claim " + provider.config().usernameClaim() + ")");
        }
        return new Identity(
                provider.name(), provider.config().usernamePrefix().orElse("") + username, groups(claims, provider));
    }

    private static List<String> groups(JwtClaims claims, Provider provider) {
        Object value = claims.getClaimValue(provider.config().groupsClaim());
        List<String> groups = new ArrayList<>();
        if (value instanceof String one) {
            groups.add(one);
        } else if (value instanceof List<?> many) {
            for (Object g : many) {
                if (g instanceof String s) {
                    groups.add(s);
                }
            }
        }
        return groups;
    }

    private static ApiException refused(String message) {
        return new ApiException(ErrorCode.UNAUTHENTICATED, message);
    }

    public void close() {
        verifying.close();
    }
}
