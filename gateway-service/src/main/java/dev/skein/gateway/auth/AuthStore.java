package dev.skein.gateway.auth;

import dev.skein.common.error.ApiException;
import dev.skein.proto.common.v1.ErrorCode;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.Tuple;
import io.vertx.pgclient.PgException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * Users and their permissions in the gateway's schema, with MLflow's auth store's rules and words:
 * a user name is unique, a permission is one per (resource, user), a missing one is
 * RESOURCE_DOES_NOT_EXIST, a duplicate RESOURCE_ALREADY_EXISTS.
 */
public final class AuthStore {

    /** A user as stored; the hash never leaves the gateway. */
    public record User(long id, String username, String passwordHash, boolean admin) {}

    /** A permission on one experiment (by id) or registered model (by name). */
    public record Grant(String resource, long userId, Permission permission) {}

    /**
     * The kinds of resource MLflow's auth app grants permissions on: experiments, registered models and (MLflow 3)
     * LLM gateway endpoints, these by name (MLflow's API field {@code endpoint_id} carries it).
     */
    public enum Kind {
        EXPERIMENT("experiment_permissions", "experiment_id", "Experiment permission", "experiment_id"),
        REGISTERED_MODEL("registered_model_permissions", "name", "Registered model permission", "name"),
        GATEWAY_ENDPOINT("gateway_endpoint_permissions", "endpoint_name", "Gateway endpoint permission", "endpoint_id");

        final String table;
        final String column;
        final String noun;
        final String field;

        Kind(String table, String column, String noun, String field) {
            this.table = "gateway." + table;
            this.column = column;
            this.noun = noun;
            this.field = field;
        }

        /** The field of MLflow's permissions API that names the resource. */
        public String field() {
            return field;
        }
    }

    private final Pool pool;

    public AuthStore(Pool pool) {
        this.pool = pool;
    }

    // --- users ---------------------------------------------------------------------------------

    public Uni<Optional<User>> findUser(String username) {
        return pool.preparedQuery("SELECT id, username, password_hash, is_admin FROM gateway.users WHERE username = $1")
                .execute(Tuple.of(username))
                .map(rows -> first(rows, AuthStore::user));
    }

    public Uni<User> user(String username) {
        return findUser(username).map(u -> u.orElseThrow(() -> noUser(username)));
    }

    public Uni<User> createUser(String username, String passwordHash, boolean admin) {
        return pool.preparedQuery("INSERT INTO gateway.users (username, password_hash, is_admin) VALUES ($1, $2, $3)"
                        + " RETURNING id, username, password_hash, is_admin")
                .execute(Tuple.of(username, passwordHash, admin))
                .map(rows -> user(rows.iterator().next()))
                .onFailure(AuthStore::isUniqueViolation)
                .transform(e -> ApiException.alreadyExists("User (username=" + username + ") already exists."));
    }

    /**
     * A service account: a user without a password (Basic never signs it in), for machines that use
     * its access tokens.
     */
    public Uni<User> createServiceAccount(String username) {
        return pool.preparedQuery("INSERT INTO gateway.users (username, password_hash, is_admin, service_account)"
                        + " VALUES ($1, '" + SERVICE_ACCOUNT + "', false, true)"
                        + " RETURNING id, username, password_hash, is_admin")
                .execute(Tuple.of(username))
                .map(rows -> user(rows.iterator().next()))
                .onFailure(AuthStore::isUniqueViolation)
                .transform(e -> ApiException.alreadyExists("User (username=" + username + ") already exists."));
    }

    /**
     * The user an identity provider vouched for, made at first sight (just in time) without a
     * password, so permissions can be granted to them by name like to anyone else.
     */
    public Uni<User> externalUser(String username) {
        return findUser(username)
                .flatMap(found -> found.isPresent()
                        ? Uni.createFrom().item(found.get())
                        : createUserIfMissing(username, EXTERNAL, false).flatMap(created -> user(username)))
                .map(user -> {
                    if (!EXTERNAL.equals(user.passwordHash())) {
                        // a local user or service account of that name is somebody else
                        throw new ApiException(
                                ErrorCode.UNAUTHENTICATED,
                                "The identity provider's user " + username + " has the name of a local account;"
                                        + " give the provider a username prefix (skein.auth.oidc.<name>.username-prefix)");
                    }
                    return user;
                });
    }

    /** What an identity provider's user holds instead of a password hash: they never sign in with one. */
    public static final String EXTERNAL = "!oidc";

    /** A service account's mark instead of a password hash. */
    public static final String SERVICE_ACCOUNT = "!";

    /** Creates the user unless one of that name exists (replicas starting together race harmlessly). */
    public Uni<Boolean> createUserIfMissing(String username, String passwordHash, boolean admin) {
        return pool.preparedQuery("INSERT INTO gateway.users (username, password_hash, is_admin) VALUES ($1, $2, $3)"
                        + " ON CONFLICT (username) DO NOTHING")
                .execute(Tuple.of(username, passwordHash, admin))
                .map(rows -> rows.rowCount() == 1);
    }

    public Uni<Void> updatePassword(String username, String passwordHash) {
        return updateOne("UPDATE gateway.users SET password_hash = $2 WHERE username = $1", username, passwordHash);
    }

    public Uni<Void> updateAdmin(String username, boolean admin) {
        return updateOne("UPDATE gateway.users SET is_admin = $2 WHERE username = $1", username, admin);
    }

    public Uni<Void> deleteUser(String username) {
        return pool.preparedQuery("DELETE FROM gateway.users WHERE username = $1")
                .execute(Tuple.of(username))
                .map(rows -> {
                    if (rows.rowCount() == 0) {
                        throw noUser(username);
                    }
                    return null;
                });
    }

    private Uni<Void> updateOne(String sql, String username, Object value) {
        return pool.preparedQuery(sql).execute(Tuple.of(username, value)).map(rows -> {
            if (rows.rowCount() == 0) {
                throw noUser(username);
            }
            return null;
        });
    }

    private static ApiException noUser(String username) {
        return ApiException.notFound("User with username=" + username + " not found");
    }

    // --- permissions ---------------------------------------------------------------------------

    /** The user's own permission on one resource, if they have one. */
    public Uni<Optional<Permission>> permission(Kind kind, long userId, String resource) {
        return pool.preparedQuery(
                        "SELECT permission FROM " + kind.table + " WHERE user_id = $1 AND " + kind.column + " = $2")
                .execute(Tuple.of(userId, resource))
                .map(rows -> first(rows, row -> Permission.parse(row.getString(0))));
    }

    /** The user's own permissions on several resources at once, by resource. */
    public Uni<Map<String, Permission>> permissions(Kind kind, long userId, List<String> resources) {
        return pool.preparedQuery("SELECT " + kind.column + ", permission FROM " + kind.table
                        + " WHERE user_id = $1 AND " + kind.column + " = ANY($2)")
                .execute(Tuple.of(userId, resources.toArray(String[]::new)))
                .map(rows -> {
                    Map<String, Permission> byResource = new HashMap<>();
                    rows.forEach(row -> byResource.put(row.getString(0), Permission.parse(row.getString(1))));
                    return byResource;
                });
    }

    /** A user as listed: what kind of account, never the hash. */
    public record Listed(long id, String username, boolean admin, boolean serviceAccount) {}

    /** Users by name, a page at a time after {@code after} (exclusive), at most {@code limit}. */
    public Uni<List<Listed>> users(String after, int limit) {
        return pool.preparedQuery("SELECT id, username, is_admin, service_account FROM gateway.users"
                        + " WHERE username > $1 ORDER BY username LIMIT $2")
                .execute(Tuple.of(after, limit))
                .map(rows -> {
                    List<Listed> users = new ArrayList<>();
                    rows.forEach(row -> users.add(
                            new Listed(row.getLong(0), row.getString(1), row.getBoolean(2), row.getBoolean(3))));
                    return users;
                });
    }

    /** Who holds a permission on one resource, by user name. */
    public Uni<List<Map.Entry<String, Permission>>> holders(Kind kind, String resource) {
        return pool.preparedQuery("SELECT u.username, g.permission FROM " + kind.table + " g JOIN gateway.users u"
                        + " ON u.id = g.user_id WHERE g." + kind.column + " = $1 ORDER BY u.username LIMIT 1000")
                .execute(Tuple.of(resource))
                .map(rows -> {
                    List<Map.Entry<String, Permission>> holders = new ArrayList<>();
                    rows.forEach(row -> holders.add(Map.entry(row.getString(0), Permission.parse(row.getString(1)))));
                    return holders;
                });
    }

    /** Every permission of the user of this kind. */
    public Uni<List<Grant>> grants(Kind kind, long userId) {
        return pool.preparedQuery("SELECT " + kind.column + ", user_id, permission FROM " + kind.table
                        + " WHERE user_id = $1 ORDER BY " + kind.column)
                .execute(Tuple.of(userId))
                .map(rows -> {
                    List<Grant> grants = new ArrayList<>();
                    rows.forEach(row -> grants.add(
                            new Grant(row.getString(0), row.getLong(1), Permission.parse(row.getString(2)))));
                    return grants;
                });
    }

    public Uni<Grant> createGrant(Kind kind, String resource, String username, Permission permission) {
        return user(username)
                .flatMap(u -> pool.preparedQuery("INSERT INTO " + kind.table + " (" + kind.column
                                + ", user_id, permission) VALUES ($1, $2, $3)")
                        .execute(Tuple.of(resource, u.id(), permission.name()))
                        .map(rows -> new Grant(resource, u.id(), permission)))
                .onFailure(AuthStore::isUniqueViolation)
                .transform(e -> ApiException.alreadyExists(kind.noun + " (" + kind.field + "=" + resource
                        + ", username=" + username + ") already exists."));
    }

    /** Makes the user's permission on the resource this one, whether they had one or not. */
    public Uni<Void> putGrant(Kind kind, String resource, long userId, Permission permission) {
        return pool.preparedQuery("INSERT INTO " + kind.table + " (" + kind.column + ", user_id, permission)"
                        + " VALUES ($1, $2, $3) ON CONFLICT (user_id, " + kind.column
                        + ") DO UPDATE SET permission = EXCLUDED.permission")
                .execute(Tuple.of(resource, userId, permission.name()))
                .replaceWithVoid();
    }

    public Uni<Grant> grant(Kind kind, String resource, String username) {
        return user(username).flatMap(u -> permission(kind, u.id(), resource)
                .map(p -> new Grant(resource, u.id(), p.orElseThrow(() -> noGrant(kind, resource, username)))));
    }

    public Uni<Void> updateGrant(Kind kind, String resource, String username, Permission permission) {
        return user(username)
                .flatMap(u -> pool.preparedQuery("UPDATE " + kind.table + " SET permission = $3 WHERE user_id = $1 AND "
                                + kind.column + " = $2")
                        .execute(Tuple.of(u.id(), resource, permission.name())))
                .map(rows -> {
                    if (rows.rowCount() == 0) {
                        throw noGrant(kind, resource, username);
                    }
                    return null;
                });
    }

    public Uni<Void> deleteGrant(Kind kind, String resource, String username) {
        return user(username)
                .flatMap(u -> pool.preparedQuery(
                                "DELETE FROM " + kind.table + " WHERE user_id = $1 AND " + kind.column + " = $2")
                        .execute(Tuple.of(u.id(), resource)))
                .map(rows -> {
                    if (rows.rowCount() == 0) {
                        throw noGrant(kind, resource, username);
                    }
                    return null;
                });
    }

    /** The users holding a permission on a registered model. */
    public Uni<List<Long>> holderIds(String name) {
        return pool.preparedQuery("SELECT user_id FROM gateway.registered_model_permissions WHERE name = $1")
                .execute(Tuple.of(name))
                .map(rows -> {
                    List<Long> ids = new ArrayList<>();
                    rows.forEach(row -> ids.add(row.getLong(0)));
                    return ids;
                });
    }

    /**
     * A registered model's permissions follow it to its new name: those of {@code holders} (read before
     * the rename), so a model made meanwhile under the old name keeps its own. A holder's permission
     * already at the new name (left by an earlier model of that name) gives way.
     */
    public Uni<Void> renameModel(String from, String to, List<Long> holders) {
        if (holders.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        Long[] ids = holders.toArray(Long[]::new);
        return pool.withTransaction(conn -> conn.preparedQuery(
                                "DELETE FROM gateway.registered_model_permissions WHERE name = $1 AND user_id = ANY($2)")
                        .execute(Tuple.of(to, ids))
                        .flatMap(v -> conn.preparedQuery("UPDATE gateway.registered_model_permissions SET name = $2"
                                        + " WHERE name = $1 AND user_id = ANY($3)")
                                .execute(Tuple.of(from, to, ids))))
                .replaceWithVoid();
    }

    /**
     * A deleted registered model's permissions go with it: its name is its key, and a later model of
     * the same name must not inherit them.
     */
    public Uni<Void> forgetModel(String name, List<Long> holders) {
        if (holders.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        return pool.preparedQuery(
                        "DELETE FROM gateway.registered_model_permissions WHERE name = $1 AND user_id = ANY($2)")
                .execute(Tuple.of(name, holders.toArray(Long[]::new)))
                .replaceWithVoid();
    }

    private static ApiException noGrant(Kind kind, String resource, String username) {
        return ApiException.notFound(
                kind.noun + " with " + kind.field + "=" + resource + " and username=" + username + " not found");
    }

    // --- rows ----------------------------------------------------------------------------------

    private static User user(Row row) {
        return new User(row.getLong(0), row.getString(1), row.getString(2), row.getBoolean(3));
    }

    private static <T> Optional<T> first(RowSet<Row> rows, Function<Row, T> map) {
        var it = rows.iterator();
        return it.hasNext() ? Optional.of(map.apply(it.next())) : Optional.empty();
    }

    private static boolean isUniqueViolation(Throwable e) {
        return e instanceof PgException pg && "23505".equals(pg.getSqlState());
    }
}
