package dev.skein.gateway.auth;

import io.smallrye.mutiny.Uni;
import io.vertx.core.buffer.Buffer;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.Optional;

/**
 * Signed-in browsers: a session is a random secret in an HttpOnly cookie, kept here as its SHA-256
 * with its user and an absolute expiry. Each request reads its row, so signing out (or deleting the
 * user) ends it at once on every replica.
 */
public final class SessionStore {

    /** The cookie that carries a session. */
    public static final String COOKIE = "skein_session";

    private final Pool pool;

    public SessionStore(Pool pool) {
        this.pool = pool;
    }

    /**
     * Opens a session for the caller; returns its secret, for the cookie only. {@code groupAdmin}:
     * administrator by an identity provider's group (the user's own flag is read on every request).
     */
    public Uni<String> open(Caller caller, boolean groupAdmin, Duration ttl) {
        String secret = TokenStore.newSecret().replace(TokenStore.PREFIX, "s_");
        return pool.preparedQuery("INSERT INTO gateway.sessions (user_id, secret_sha256, group_admin, group_default,"
                        + " expires_at) VALUES ($1, $2, $3, $4, $5)")
                .execute(Tuple.tuple(Arrays.asList(
                        caller.userId(),
                        Buffer.buffer(PasswordHasher.sha256(secret)),
                        groupAdmin,
                        caller.fallback() == null ? null : caller.fallback().name(),
                        OffsetDateTime.now(ZoneOffset.UTC).plus(ttl))))
                .replaceWith(secret);
    }

    /** The caller a live session belongs to. */
    public Uni<Optional<Caller>> find(String secret) {
        return pool.preparedQuery("SELECT u.id, u.username, u.is_admin OR s.group_admin, s.group_default"
                        + " FROM gateway.sessions s JOIN gateway.users u ON u.id = s.user_id"
                        + " WHERE s.secret_sha256 = $1 AND s.revoked_at IS NULL AND s.expires_at > now()")
                .execute(Tuple.of(Buffer.buffer(PasswordHasher.sha256(secret))))
                .map(rows -> {
                    var it = rows.iterator();
                    if (!it.hasNext()) {
                        return Optional.empty();
                    }
                    Row row = it.next();
                    String fallback = row.getString(3);
                    return Optional.of(new Caller(
                            row.getString(1),
                            row.getLong(0),
                            row.getBoolean(2),
                            null,
                            fallback == null ? null : Permission.parse(fallback)));
                });
    }

    /** Ends every session of the user (a new password, no longer an administrator). */
    public Uni<Void> closeAll(String username) {
        return pool.preparedQuery("UPDATE gateway.sessions SET revoked_at = now() WHERE revoked_at IS NULL"
                        + " AND user_id = (SELECT id FROM gateway.users WHERE username = $1)")
                .execute(Tuple.of(username))
                .replaceWithVoid();
    }

    public Uni<Void> close(String secret) {
        return pool.preparedQuery("UPDATE gateway.sessions SET revoked_at = now() WHERE secret_sha256 = $1")
                .execute(Tuple.of(Buffer.buffer(PasswordHasher.sha256(secret))))
                .replaceWithVoid();
    }

    /** Forgets sessions that ended a day ago or more (a housekeeping statement, run now and then). */
    public Uni<Integer> forgetEnded() {
        return pool.preparedQuery("DELETE FROM gateway.sessions WHERE expires_at < now() - interval '1 day'"
                        + " OR revoked_at < now() - interval '1 day'")
                .execute()
                .map(rows -> rows.rowCount());
    }
}
