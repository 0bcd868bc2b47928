package dev.skein.gateway.auth;

import dev.skein.common.error.ApiException;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import java.security.SecureRandom;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Access tokens: made of 256 random bits, shown once, kept as their SHA-256 only. Every request
 * with a token reads its row, so a revoked or expired token is refused at once by every gateway
 * replica.
 */
public final class TokenStore {

    /** The marker every Skein token starts with (so secret scanners and people can tell one). */
    public static final String PREFIX = "skein_";

    private static final SecureRandom RANDOM = new SecureRandom();

    /** A token as listed: never its secret. */
    public record Token(
            long id,
            String username,
            String name,
            String prefix,
            boolean readOnly,
            List<String> experiments,
            List<String> models,
            Instant created,
            Instant expires,
            Instant lastUsed) {}

    /** A token found by its secret, with what its user may do. */
    public record Found(
            long tokenId, long userId, String username, boolean admin, Caller.TokenScope scope, boolean live) {}

    private final Pool pool;

    public TokenStore(Pool pool) {
        this.pool = pool;
    }

    /** A new secret: the marker and 43 characters of base64url. */
    public static String newSecret() {
        byte[] bytes = new byte[32];
        RANDOM.nextBytes(bytes);
        return PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    public Uni<Token> create(
            long userId,
            String username,
            String name,
            String secret,
            boolean readOnly,
            List<String> experiments,
            List<String> models,
            Instant expires) {
        String prefix = secret.substring(0, PREFIX.length() + 6);
        return pool.preparedQuery("INSERT INTO gateway.tokens (user_id, name, secret_sha256, prefix, read_only,"
                        + " experiment_ids, model_names, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
                        + " RETURNING id, created_at")
                .execute(Tuple.tuple(Arrays.asList(
                        userId,
                        name,
                        io.vertx.core.buffer.Buffer.buffer(PasswordHasher.sha256(secret)),
                        prefix,
                        readOnly,
                        experiments == null ? null : experiments.toArray(String[]::new),
                        models == null ? null : models.toArray(String[]::new),
                        OffsetDateTime.ofInstant(expires, ZoneOffset.UTC))))
                .map(rows -> {
                    Row row = rows.iterator().next();
                    return new Token(
                            row.getLong(0),
                            username,
                            name,
                            prefix,
                            readOnly,
                            experiments,
                            models,
                            row.getOffsetDateTime(1).toInstant(),
                            expires,
                            null);
                });
    }

    /** The token with this secret, if one was ever made; {@code live} says whether it may still be used. */
    public Uni<Optional<Found>> find(String secret) {
        return pool.preparedQuery("SELECT t.id, u.id, u.username, u.is_admin, t.read_only, t.experiment_ids,"
                        + " t.model_names, t.revoked_at IS NULL AND t.expires_at > now(),"
                        + " t.last_used_at IS NULL OR t.last_used_at < now() - interval '1 minute'"
                        + " FROM gateway.tokens t JOIN gateway.users u ON u.id = t.user_id WHERE t.secret_sha256 = $1")
                .execute(Tuple.of(io.vertx.core.buffer.Buffer.buffer(PasswordHasher.sha256(secret))))
                .flatMap(rows -> {
                    var it = rows.iterator();
                    if (!it.hasNext()) {
                        return Uni.createFrom().item(Optional.<Found>empty());
                    }
                    Row row = it.next();
                    long id = row.getLong(0);
                    Found found = new Found(
                            id,
                            row.getLong(1),
                            row.getString(2),
                            row.getBoolean(3),
                            new Caller.TokenScope(
                                    id,
                                    row.getBoolean(4),
                                    set(row.getArrayOfStrings(5)),
                                    set(row.getArrayOfStrings(6))),
                            row.getBoolean(7));
                    if (!found.live() || !row.getBoolean(8)) {
                        return Uni.createFrom().item(Optional.of(found));
                    }
                    // when it was last used, to the minute: one write a minute per token, not one per request
                    return pool.preparedQuery("UPDATE gateway.tokens SET last_used_at = now() WHERE id = $1")
                            .execute(Tuple.of(id))
                            .replaceWith(Optional.of(found))
                            .onFailure()
                            .recoverWithItem(Optional.of(found));
                });
    }

    /** The user's tokens that are not revoked, newest first. */
    public Uni<List<Token>> list(long userId) {
        return pool.preparedQuery("SELECT t.id, u.username, t.name, t.prefix, t.read_only, t.experiment_ids,"
                        + " t.model_names, t.created_at, t.expires_at, t.last_used_at FROM gateway.tokens t"
                        + " JOIN gateway.users u ON u.id = t.user_id WHERE t.user_id = $1 AND t.revoked_at IS NULL"
                        + " ORDER BY t.id DESC")
                .execute(Tuple.of(userId))
                .map(rows -> {
                    List<Token> tokens = new ArrayList<>();
                    rows.forEach(row -> tokens.add(new Token(
                            row.getLong(0),
                            row.getString(1),
                            row.getString(2),
                            row.getString(3),
                            row.getBoolean(4),
                            list(row.getArrayOfStrings(5)),
                            list(row.getArrayOfStrings(6)),
                            row.getOffsetDateTime(7).toInstant(),
                            row.getOffsetDateTime(8).toInstant(),
                            row.getOffsetDateTime(9) == null
                                    ? null
                                    : row.getOffsetDateTime(9).toInstant())));
                    return tokens;
                });
    }

    /** The user that holds a token, to judge who may revoke it. */
    public Uni<Long> holder(long tokenId) {
        return pool.preparedQuery("SELECT user_id FROM gateway.tokens WHERE id = $1 AND revoked_at IS NULL")
                .execute(Tuple.of(tokenId))
                .map(rows -> {
                    var it = rows.iterator();
                    if (!it.hasNext()) {
                        throw ApiException.notFound("Token with id=" + tokenId + " not found");
                    }
                    return it.next().getLong(0);
                });
    }

    public Uni<Void> revoke(long tokenId) {
        return pool.preparedQuery("UPDATE gateway.tokens SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL")
                .execute(Tuple.of(tokenId))
                .map(rows -> {
                    if (rows.rowCount() == 0) {
                        throw ApiException.notFound("Token with id=" + tokenId + " not found");
                    }
                    return null;
                });
    }

    private static Set<String> set(String[] values) {
        return values == null ? null : new LinkedHashSet<>(Arrays.asList(values));
    }

    private static List<String> list(String[] values) {
        return values == null ? null : Arrays.asList(values);
    }
}
