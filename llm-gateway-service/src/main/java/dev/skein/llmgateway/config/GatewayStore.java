package dev.skein.llmgateway.config;

import dev.skein.common.error.ApiException;
import dev.skein.proto.common.v1.ErrorCode;
import io.smallrye.mutiny.Uni;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;
import io.vertx.pgclient.PgException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Function;

/**
 * MLflow 3.x's gateway configuration in schema {@code llmgateway}: secrets (their values sealed by {@link SecretBox},
 * never returned, only their masked form), model definitions (a provider, a model and a secret) and endpoints
 * (model definitions as PRIMARY models sharing the traffic by weight and FALLBACK models tried in order). Every
 * change bumps {@code gateway_revision} in its own transaction, which is how every replica learns of it. Delete
 * rules as MLflow's: a secret deleted leaves its definitions without one, a definition still used by an endpoint
 * cannot be deleted, an endpoint deleted takes its mappings with it.
 */
public final class GatewayStore {

    static final int MAX_NAME = 256;
    public static final int MAX_VALUE = 16 * 1024;
    static final int MAX_ENTRIES = 32;

    private static final org.jboss.logging.Logger LOG = org.jboss.logging.Logger.getLogger(GatewayStore.class);

    private final Pool pool;
    private final Optional<SecretBox> box;
    private final int maxListed;

    public GatewayStore(Pool pool, Optional<SecretBox> box, int maxListed) {
        this.pool = pool;
        this.box = box;
        this.maxListed = maxListed;
    }

    /** Everything the endpoints are built from, secrets opened, at one revision. */
    public record Snapshot(
            long revision,
            Map<String, Secret> secrets,
            Map<String, Definition> definitions,
            List<StoredEndpoint> endpoints) {}

    /** A secret as the service uses it: its values opened (null when they cannot be: no key, or a wrong one). */
    public record Secret(
            String id, String name, String provider, Map<String, String> authConfig, Map<String, String> values) {
        @Override
        public String toString() {
            return "Secret[" + name + "]"; // never its values
        }
    }

    public record Definition(String id, String name, String secretId, String provider, String modelName) {}

    public record Mapping(String definitionId, String linkage, double weight, Integer fallbackOrder) {}

    public record StoredEndpoint(
            String id, String name, String routingStrategy, Integer maxAttempts, List<Mapping> mappings) {}

    // ---------------------------------------------------------------- reading what serves

    public Uni<Long> revision() {
        return pool.query("SELECT revision FROM llmgateway.gateway_revision WHERE id = 1")
                .execute()
                .map(rows -> rows.iterator().hasNext() ? rows.iterator().next().getLong(0) : 0L);
    }

    /** The whole configuration, read in one transaction (one revision). */
    public Uni<Snapshot> snapshot() {
        return pool.withTransaction(conn -> conn.query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
                .execute()
                .flatMap(v -> conn.query("SELECT revision FROM llmgateway.gateway_revision WHERE id = 1")
                        .execute())
                .flatMap(rev -> conn.query("SELECT secret_id, secret_name, provider, auth_config, kek_id,"
                                + " wrapped_dek, ciphertext FROM llmgateway.gateway_secrets")
                        .execute()
                        .flatMap(secrets -> conn.query("SELECT model_definition_id, name, secret_id, provider,"
                                        + " model_name FROM llmgateway.gateway_model_definitions")
                                .execute()
                                .flatMap(defs -> conn.query("SELECT endpoint_id, name, routing_strategy,"
                                                + " fallback_max_attempts FROM llmgateway.gateway_endpoints"
                                                + " ORDER BY created_at, name")
                                        .execute()
                                        .flatMap(eps -> conn.query("SELECT endpoint_id, model_definition_id,"
                                                        + " linkage_type, weight, fallback_order FROM"
                                                        + " llmgateway.gateway_endpoint_models ORDER BY"
                                                        + " created_at, mapping_id")
                                                .execute()
                                                .map(maps -> snapshot(
                                                        rev.iterator().hasNext()
                                                                ? rev.iterator()
                                                                        .next()
                                                                        .getLong(0)
                                                                : 0L,
                                                        secrets,
                                                        defs,
                                                        eps,
                                                        maps)))))));
    }

    private Snapshot snapshot(long revision, RowSet<Row> secrets, RowSet<Row> defs, RowSet<Row> eps, RowSet<Row> maps) {
        Map<String, Secret> s = new HashMap<>();
        for (Row r : secrets) {
            String id = r.getString("secret_id");
            String name = r.getString("secret_name");
            Map<String, String> values = null;
            if (box.isPresent()) {
                try {
                    byte[] plain = box.get().open(id, name, sealed(r));
                    values = strings(new JsonObject(new String(plain, StandardCharsets.UTF_8)));
                } catch (SecretBox.CannotOpen | io.vertx.core.json.DecodeException e) {
                    values = null; // the endpoints using it serve nothing
                    LOG.warnf("The stored secret '%s' cannot be opened: %s", name, e.getMessage());
                }
            }
            s.put(id, new Secret(id, name, r.getString("provider"), json(r.getString("auth_config")), values));
        }
        Map<String, Definition> d = new HashMap<>();
        for (Row r : defs) {
            d.put(
                    r.getString("model_definition_id"),
                    new Definition(
                            r.getString("model_definition_id"),
                            r.getString("name"),
                            r.getString("secret_id"),
                            r.getString("provider"),
                            r.getString("model_name")));
        }
        Map<String, List<Mapping>> byEndpoint = new HashMap<>();
        for (Row r : maps) {
            byEndpoint
                    .computeIfAbsent(r.getString("endpoint_id"), k -> new ArrayList<>())
                    .add(new Mapping(
                            r.getString("model_definition_id"),
                            r.getString("linkage_type"),
                            r.getDouble("weight"),
                            r.getInteger("fallback_order")));
        }
        List<StoredEndpoint> e = new ArrayList<>();
        for (Row r : eps) {
            String id = r.getString("endpoint_id");
            e.add(new StoredEndpoint(
                    id,
                    r.getString("name"),
                    r.getString("routing_strategy"),
                    r.getInteger("fallback_max_attempts"),
                    List.copyOf(byEndpoint.getOrDefault(id, List.of()))));
        }
        return new Snapshot(revision, Map.copyOf(s), Map.copyOf(d), List.copyOf(e));
    }

    private static SecretBox.Sealed sealed(Row r) {
        return new SecretBox.Sealed(
                r.getString("kek_id"),
                r.getBuffer("wrapped_dek").getBytes(),
                r.getBuffer("ciphertext").getBytes());
    }

    // ---------------------------------------------------------------- secrets

    private SecretBox box() {
        return box.orElseThrow(() -> new ApiException(
                ErrorCode.NOT_IMPLEMENTED,
                "Secrets cannot be stored: no key-encryption key is configured"
                        + " (skein.llm-gateway.store.secrets-key, SKEIN_LLM_GATEWAY_STORE_SECRETS_KEY)"));
    }

    private static final String SECRET_COLUMNS = "s.secret_id, s.secret_name, s.provider, s.auth_config,"
            + " s.masked_values, s.created_at, s.last_updated_at, s.created_by, s.last_updated_by";

    public Uni<JsonObject> createSecret(JsonObject body, String actor) {
        String name = requiredName(body, "secret_name");
        Map<String, String> values = stringMap(body, "secret_value", true);
        Map<String, String> auth = settings(stringMap(body, "auth_config", false));
        String provider = optional(body, "provider");
        String id = newId();
        long now = System.currentTimeMillis();
        SecretBox.Sealed sealed = box().seal(id, name, encode(values));
        String by = by(body, "created_by", actor);
        return write(conn -> conn.preparedQuery("INSERT INTO llmgateway.gateway_secrets (secret_id, secret_name,"
                                + " provider, auth_config, masked_values, kek_id, wrapped_dek, ciphertext, created_at,"
                                + " last_updated_at, created_by, last_updated_by)"
                                + " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $10, $10)")
                        .execute(Tuple.from(java.util.Arrays.asList(
                                id,
                                name,
                                nullable(provider),
                                nullable(auth == null ? null : new JsonObject(new LinkedHashMap<>(auth)).encode()),
                                new JsonObject(new LinkedHashMap<>(masked(values))).encode(),
                                sealed.kekId(),
                                io.vertx.core.buffer.Buffer.buffer(sealed.wrappedKey()),
                                io.vertx.core.buffer.Buffer.buffer(sealed.ciphertext()),
                                now,
                                nullable(by))))
                        .onFailure(unique())
                        .transform(f -> new ApiException(
                                ErrorCode.RESOURCE_ALREADY_EXISTS, "A secret named '" + name + "' already exists"))
                        .flatMap(v -> secretRow(conn, "secret_id", id)))
                .map(s -> new JsonObject().put("secret", s));
    }

    public Uni<JsonObject> getSecret(String id, String name) {
        String column = id != null ? "secret_id" : "secret_name";
        String value = id != null ? id : name;
        if (value == null) {
            throw ApiException.invalidParameter("Either secret_id or secret_name must be provided");
        }
        return pool.withConnection(conn -> secretRow(conn, column, value)).map(s -> new JsonObject().put("secret", s));
    }

    private Uni<JsonObject> secretRow(SqlConnection conn, String column, String value) {
        return conn.preparedQuery(
                        "SELECT " + SECRET_COLUMNS + " FROM llmgateway.gateway_secrets s WHERE s." + column + " = $1")
                .execute(Tuple.of(value))
                .map(rows -> {
                    if (!rows.iterator().hasNext()) {
                        throw ApiException.notFound("GatewaySecret not found (" + column + "='" + value + "')");
                    }
                    return secretJson(rows.iterator().next());
                });
    }

    private static JsonObject secretJson(Row r) {
        JsonObject out = new JsonObject()
                .put("secret_id", r.getString("secret_id"))
                .put("secret_name", r.getString("secret_name"))
                .put("masked_values", new JsonObject(r.getString("masked_values")))
                .put("created_at", r.getLong("created_at"))
                .put("last_updated_at", r.getLong("last_updated_at"));
        putIfSet(out, "provider", r.getString("provider"));
        if (r.getString("auth_config") != null) {
            out.put("auth_config", new JsonObject(r.getString("auth_config")));
        }
        putIfSet(out, "created_by", r.getString("created_by"));
        putIfSet(out, "last_updated_by", r.getString("last_updated_by"));
        return out;
    }

    public Uni<JsonObject> updateSecret(JsonObject body, String actor) {
        String id = required(body, "secret_id");
        Map<String, String> values = stringMap(body, "secret_value", false);
        Map<String, String> auth = settings(stringMap(body, "auth_config", false));
        String by = by(body, "updated_by", actor);
        long now = System.currentTimeMillis();
        boolean given = values != null && !values.isEmpty();
        return write(conn -> conn.preparedQuery("SELECT secret_name, kek_id, wrapped_dek, ciphertext FROM"
                                + " llmgateway.gateway_secrets WHERE secret_id = $1 FOR UPDATE")
                        .execute(Tuple.of(id))
                        .flatMap(rows -> {
                            if (!rows.iterator().hasNext()) {
                                throw ApiException.notFound("GatewaySecret not found (secret_id='" + id + "')");
                            }
                            Row row = rows.iterator().next();
                            String name = row.getString("secret_name");
                            // any update seals a secret wrapped by an earlier key with the current one (a rotation
                            // of the key-encryption key completes as secrets are updated)
                            Map<String, String> reseal = given
                                    ? values
                                    : box.isPresent() && box.get().stale(row.getString("kek_id"))
                                            ? opened(id, name, sealed(row))
                                            : null;
                            boolean rotate = reseal != null;
                            SecretBox sealer = rotate ? box() : null;
                            List<Object> params = new ArrayList<>(List.of(id, now));
                            StringBuilder set = new StringBuilder("last_updated_at = $2");
                            params.add(nullable(by));
                            set.append(", last_updated_by = $3");
                            if (auth != null) {
                                params.add(new JsonObject(new LinkedHashMap<>(auth)).encode());
                                set.append(", auth_config = $").append(params.size());
                            }
                            if (rotate) {
                                SecretBox.Sealed sealed = sealer.seal(id, name, encode(reseal));
                                params.add(new JsonObject(new LinkedHashMap<>(masked(reseal))).encode());
                                set.append(", masked_values = $").append(params.size());
                                params.add(sealed.kekId());
                                set.append(", kek_id = $").append(params.size());
                                params.add(io.vertx.core.buffer.Buffer.buffer(sealed.wrappedKey()));
                                set.append(", wrapped_dek = $").append(params.size());
                                params.add(io.vertx.core.buffer.Buffer.buffer(sealed.ciphertext()));
                                set.append(", ciphertext = $").append(params.size());
                            }
                            return conn.preparedQuery(
                                            "UPDATE llmgateway.gateway_secrets SET " + set + " WHERE secret_id = $1")
                                    .execute(Tuple.from(params));
                        })
                        .flatMap(v -> secretRow(conn, "secret_id", id)))
                .map(s -> new JsonObject().put("secret", s));
    }

    private Map<String, String> opened(String id, String name, SecretBox.Sealed sealed) {
        try {
            return strings(new JsonObject(new String(box().open(id, name, sealed), StandardCharsets.UTF_8)));
        } catch (SecretBox.CannotOpen e) {
            throw ApiException.invalidParameter("The secret '" + name + "' cannot be opened: " + e.getMessage()
                    + "; give its value again (secret_value)");
        }
    }

    /** A delete's outcome: the row was there, else MLflow's RESOURCE_DOES_NOT_EXIST naming {@code what}. */
    private static Void found(RowSet<Row> rows, String what, String column, String id) {
        if (rows.rowCount() == 0) {
            throw ApiException.notFound(what + " not found (" + column + "='" + id + "')");
        }
        return null;
    }

    public Uni<JsonObject> deleteSecret(JsonObject body) {
        String id = required(body, "secret_id");
        return write(conn -> conn.preparedQuery("DELETE FROM llmgateway.gateway_secrets WHERE secret_id = $1")
                        .execute(Tuple.of(id))
                        .map(rows -> found(rows, "GatewaySecret", "secret_id", id)))
                .map(v -> new JsonObject());
    }

    public Uni<JsonObject> listSecrets(String provider) {
        return pool.preparedQuery("SELECT " + SECRET_COLUMNS + " FROM llmgateway.gateway_secrets s"
                        + " WHERE ($1::text IS NULL OR s.provider = $1) ORDER BY s.created_at, s.secret_name LIMIT $2")
                .execute(Tuple.of(provider, maxListed))
                .map(rows -> {
                    JsonArray out = new JsonArray();
                    rows.forEach(r -> out.add(secretJson(r)));
                    return new JsonObject().put("secrets", out);
                });
    }

    // ---------------------------------------------------------------- model definitions

    private static final String DEFINITION_QUERY = "SELECT d.model_definition_id, d.name, d.secret_id, s.secret_name,"
            + " d.provider, d.model_name, d.created_at, d.last_updated_at, d.created_by, d.last_updated_by,"
            + " (SELECT count(DISTINCT m.endpoint_id) FROM llmgateway.gateway_endpoint_models m"
            + " WHERE m.model_definition_id = d.model_definition_id) AS endpoint_count"
            + " FROM llmgateway.gateway_model_definitions d"
            + " LEFT JOIN llmgateway.gateway_secrets s ON s.secret_id = d.secret_id";

    /**
     * Creates a definition; {@code check} says why a provider, model and secret cannot serve (null: they can),
     * so that a definition that could never serve is refused when it is made, not when it is called.
     */
    public Uni<JsonObject> createDefinition(JsonObject body, String actor, DefinitionCheck check) {
        String name = requiredName(body, "name");
        String secretId = required(body, "secret_id");
        String provider = required(body, "provider");
        String model = required(body, "model_name");
        String by = by(body, "created_by", actor);
        String id = newId();
        long now = System.currentTimeMillis();
        return write(conn -> openSecret(conn, secretId)
                        .flatMap(secret -> {
                            String why = check.refusal(provider, model, secret);
                            if (why != null) {
                                throw ApiException.invalidParameter(why);
                            }
                            return conn.preparedQuery("INSERT INTO llmgateway.gateway_model_definitions"
                                            + " (model_definition_id, name, secret_id, provider, model_name,"
                                            + " created_at, last_updated_at, created_by, last_updated_by)"
                                            + " VALUES ($1, $2, $3, $4, $5, $6, $6, $7, $7)")
                                    .execute(Tuple.from(java.util.Arrays.asList(
                                            id, name, secretId, provider, model, now, nullable(by))))
                                    .onFailure(unique())
                                    .transform(f -> new ApiException(
                                            ErrorCode.RESOURCE_ALREADY_EXISTS,
                                            "A model definition named '" + name + "' already exists"));
                        })
                        .flatMap(v -> definitionRow(conn, id)))
                .map(d -> new JsonObject().put("model_definition", d));
    }

    /** What decides whether a definition can serve. */
    @FunctionalInterface
    public interface DefinitionCheck {
        /** Null when {@code provider} and {@code model} can serve with {@code secret}; otherwise why not. */
        String refusal(String provider, String model, Secret secret);
    }

    private Uni<Secret> openSecret(SqlConnection conn, String secretId) {
        return conn.preparedQuery("SELECT secret_id, secret_name, provider, auth_config, kek_id, wrapped_dek,"
                        + " ciphertext FROM llmgateway.gateway_secrets WHERE secret_id = $1")
                .execute(Tuple.of(secretId))
                .map(rows -> {
                    if (!rows.iterator().hasNext()) {
                        throw ApiException.notFound("GatewaySecret not found (secret_id='" + secretId + "')");
                    }
                    Row r = rows.iterator().next();
                    Map<String, String> values;
                    try {
                        values = strings(new JsonObject(new String(
                                box().open(r.getString("secret_id"), r.getString("secret_name"), sealed(r)),
                                StandardCharsets.UTF_8)));
                    } catch (SecretBox.CannotOpen e) {
                        throw ApiException.invalidParameter("The secret '" + r.getString("secret_name") + "' cannot be"
                                + " opened: " + e.getMessage());
                    }
                    return new Secret(
                            r.getString("secret_id"),
                            r.getString("secret_name"),
                            r.getString("provider"),
                            json(r.getString("auth_config")),
                            values);
                });
    }

    public Uni<JsonObject> getDefinition(String id) {
        if (id == null) {
            throw ApiException.missing("model_definition_id");
        }
        return pool.withConnection(conn -> definitionRow(conn, id))
                .map(d -> new JsonObject().put("model_definition", d));
    }

    private Uni<JsonObject> definitionRow(SqlConnection conn, String id) {
        return conn.preparedQuery(DEFINITION_QUERY + " WHERE d.model_definition_id = $1")
                .execute(Tuple.of(id))
                .map(rows -> {
                    if (!rows.iterator().hasNext()) {
                        throw ApiException.notFound(
                                "GatewayModelDefinition not found (model_definition_id='" + id + "')");
                    }
                    return definitionJson(rows.iterator().next());
                });
    }

    private static JsonObject definitionJson(Row r) {
        JsonObject out = new JsonObject()
                .put("model_definition_id", r.getString("model_definition_id"))
                .put("name", r.getString("name"))
                .put("provider", r.getString("provider"))
                .put("model_name", r.getString("model_name"))
                .put("created_at", r.getLong("created_at"))
                .put("last_updated_at", r.getLong("last_updated_at"))
                .put("endpoint_count", r.getLong("endpoint_count"));
        putIfSet(out, "secret_id", r.getString("secret_id"));
        putIfSet(out, "secret_name", r.getString("secret_name"));
        putIfSet(out, "created_by", r.getString("created_by"));
        putIfSet(out, "last_updated_by", r.getString("last_updated_by"));
        return out;
    }

    public Uni<JsonObject> listDefinitions(String provider, String secretId) {
        return pool.preparedQuery(DEFINITION_QUERY + " WHERE ($1::text IS NULL OR d.provider = $1)"
                        + " AND ($2::text IS NULL OR d.secret_id = $2) ORDER BY d.created_at, d.name LIMIT $3")
                .execute(Tuple.of(provider, secretId, maxListed))
                .map(rows -> {
                    JsonArray out = new JsonArray();
                    rows.forEach(r -> out.add(definitionJson(r)));
                    return new JsonObject().put("model_definitions", out);
                });
    }

    public Uni<JsonObject> updateDefinition(JsonObject body, String actor, DefinitionCheck check) {
        String id = required(body, "model_definition_id");
        String name = body.containsKey("name") && body.getValue("name") != null ? requiredName(body, "name") : null;
        String secretId = optional(body, "secret_id");
        String provider = optional(body, "provider");
        String model = optional(body, "model_name");
        String by = by(body, "updated_by", actor) != null
                ? by(body, "updated_by", actor)
                : by(body, "last_updated_by", actor);
        long now = System.currentTimeMillis();
        return write(conn -> conn.preparedQuery("SELECT secret_id, provider, model_name FROM"
                                + " llmgateway.gateway_model_definitions WHERE model_definition_id = $1 FOR UPDATE")
                        .execute(Tuple.of(id))
                        .flatMap(rows -> {
                            if (!rows.iterator().hasNext()) {
                                throw ApiException.notFound(
                                        "GatewayModelDefinition not found (model_definition_id='" + id + "')");
                            }
                            Row was = rows.iterator().next();
                            String newSecret = secretId != null ? secretId : was.getString("secret_id");
                            String newProvider = provider != null ? provider : was.getString("provider");
                            String newModel = model != null ? model : was.getString("model_name");
                            Uni<Void> checked = newSecret == null
                                    ? Uni.createFrom().voidItem()
                                    : openSecret(conn, newSecret).map(secret -> {
                                        String why = check.refusal(newProvider, newModel, secret);
                                        if (why != null) {
                                            throw ApiException.invalidParameter(why);
                                        }
                                        return null;
                                    });
                            return checked.flatMap(v -> conn.preparedQuery("UPDATE"
                                                    + " llmgateway.gateway_model_definitions SET name ="
                                                    + " coalesce($2, name), secret_id = $3, provider = $4,"
                                                    + " model_name = $5, last_updated_at = $6, last_updated_by = $7"
                                                    + " WHERE model_definition_id = $1")
                                            .execute(Tuple.from(java.util.Arrays.asList(
                                                    id, name, newSecret, newProvider, newModel, now, by))))
                                    .onFailure(unique())
                                    .transform(f -> new ApiException(
                                            ErrorCode.RESOURCE_ALREADY_EXISTS,
                                            "A model definition named '" + name + "' already exists"));
                        })
                        .flatMap(v -> definitionRow(conn, id)))
                .map(d -> new JsonObject().put("model_definition", d));
    }

    public Uni<JsonObject> deleteDefinition(JsonObject body) {
        String id = required(body, "model_definition_id");
        return write(conn -> conn.preparedQuery("SELECT e.name FROM llmgateway.gateway_endpoint_models m JOIN"
                                + " llmgateway.gateway_endpoints e ON e.endpoint_id = m.endpoint_id"
                                + " WHERE m.model_definition_id = $1 ORDER BY e.name")
                        .execute(Tuple.of(id))
                        .flatMap(users -> {
                            if (users.iterator().hasNext()) {
                                List<String> names = new ArrayList<>();
                                users.forEach(r -> names.add(r.getString(0)));
                                throw ApiException.invalidParameter("The model definition is used by endpoint(s) "
                                        + String.join(", ", names) + "; detach it from them first");
                            }
                            return conn.preparedQuery("DELETE FROM llmgateway.gateway_model_definitions"
                                            + " WHERE model_definition_id = $1")
                                    .execute(Tuple.of(id));
                        })
                        .map(rows -> found(rows, "GatewayModelDefinition", "model_definition_id", id))
                        // a definition mapped meanwhile: its foreign key refuses the delete
                        .onFailure(PgException.class)
                        .transform(f -> "23503".equals(((PgException) f).getSqlState())
                                ? ApiException.invalidParameter("The model definition is used by an endpoint")
                                : f))
                .map(v -> new JsonObject());
    }

    // ---------------------------------------------------------------- endpoints

    /**
     * Creates an endpoint: {@code name} (free among the file's endpoints too: {@code taken}), {@code model_configs}
     * ({@code model_definition_id}, {@code linkage_type} PRIMARY or FALLBACK, {@code weight}, {@code
     * fallback_order}; or the older {@code model_definition_ids}, PRIMARY each), {@code routing_strategy}, {@code
     * fallback_config: {strategy, max_attempts}}.
     */
    public Uni<JsonObject> createEndpoint(JsonObject body, String actor, Function<String, Boolean> taken) {
        String name = endpointName(body, taken);
        List<Mapping> mappings = mappings(body, true);
        String strategy = routingStrategy(body);
        Integer maxAttempts = maxAttempts(body);
        String by = by(body, "created_by", actor);
        String id = newId();
        long now = System.currentTimeMillis();
        return write(conn -> conn.preparedQuery("INSERT INTO llmgateway.gateway_endpoints (endpoint_id, name,"
                                + " routing_strategy, fallback_strategy, fallback_max_attempts, created_at,"
                                + " last_updated_at, created_by, last_updated_by) VALUES ($1, $2, $3, $4, $5, $6,"
                                + " $6, $7, $7)")
                        .execute(Tuple.from(java.util.Arrays.asList(
                                id, name, strategy, maxAttempts == null ? null : "SEQUENTIAL", maxAttempts, now, by)))
                        .onFailure(unique())
                        .transform(f -> new ApiException(
                                ErrorCode.RESOURCE_ALREADY_EXISTS, "An endpoint named '" + name + "' already exists"))
                        .flatMap(v -> insertMappings(conn, id, mappings, now, by))
                        .flatMap(v -> endpointJson(conn, id)))
                .map(e -> new JsonObject().put("endpoint", e));
    }

    private Uni<Void> insertMappings(
            SqlConnection conn, String endpointId, List<Mapping> mappings, long now, String by) {
        if (mappings.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        List<Tuple> rows = new ArrayList<>();
        for (Mapping m : mappings) {
            rows.add(Tuple.from(java.util.Arrays.asList(
                    newId(), endpointId, m.definitionId(), m.linkage(), m.weight(), m.fallbackOrder(), now, by)));
        }
        return conn.preparedQuery("INSERT INTO llmgateway.gateway_endpoint_models (mapping_id, endpoint_id,"
                        + " model_definition_id, linkage_type, weight, fallback_order, created_at, created_by)"
                        + " VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
                .executeBatch(rows)
                .onFailure(PgException.class)
                .transform(f -> switch (((PgException) f).getSqlState()) {
                    case "23503" -> ApiException.notFound("A model definition of model_configs does not exist");
                    case "23505" ->
                        ApiException.invalidParameter(
                                "A model definition is attached to the endpoint" + " more than once");
                    default -> f;
                })
                .replaceWithVoid();
    }

    public Uni<JsonObject> getEndpoint(String id, String name) {
        if (id == null && name == null) {
            throw ApiException.invalidParameter("Either endpoint_id or name must be provided");
        }
        return pool.withConnection(conn -> (id != null
                                ? Uni.createFrom().item(id)
                                : conn.preparedQuery("SELECT endpoint_id FROM llmgateway.gateway_endpoints"
                                                + " WHERE name = $1")
                                        .execute(Tuple.of(name))
                                        .map(rows -> {
                                            if (!rows.iterator().hasNext()) {
                                                throw ApiException.notFound(
                                                        "GatewayEndpoint not found (name='" + name + "')");
                                            }
                                            return rows.iterator().next().getString(0);
                                        }))
                        .flatMap(found -> endpointJson(conn, found)))
                .map(e -> new JsonObject().put("endpoint", e));
    }

    private Uni<JsonObject> endpointJson(SqlConnection conn, String id) {
        return conn.preparedQuery("SELECT * FROM llmgateway.gateway_endpoints WHERE endpoint_id = $1")
                .execute(Tuple.of(id))
                .flatMap(rows -> {
                    if (!rows.iterator().hasNext()) {
                        throw ApiException.notFound("GatewayEndpoint not found (endpoint_id='" + id + "')");
                    }
                    Row e = rows.iterator().next();
                    return mappingsJson(conn, List.of(id)).map(m -> endpointJson(e, m.getOrDefault(id, List.of())));
                });
    }

    private Uni<Map<String, List<JsonObject>>> mappingsJson(SqlConnection conn, List<String> endpointIds) {
        return conn.preparedQuery("SELECT m.mapping_id, m.endpoint_id, m.model_definition_id, m.linkage_type,"
                        + " m.weight, m.fallback_order, m.created_at AS mapped_at, m.created_by AS mapped_by,"
                        + " d.name, d.secret_id, s.secret_name, d.provider, d.model_name, d.created_at,"
                        + " d.last_updated_at, d.created_by, d.last_updated_by,"
                        + " (SELECT count(DISTINCT x.endpoint_id) FROM llmgateway.gateway_endpoint_models x"
                        + " WHERE x.model_definition_id = d.model_definition_id) AS endpoint_count"
                        + " FROM llmgateway.gateway_endpoint_models m"
                        + " JOIN llmgateway.gateway_model_definitions d ON d.model_definition_id ="
                        + " m.model_definition_id LEFT JOIN llmgateway.gateway_secrets s ON s.secret_id ="
                        + " d.secret_id WHERE m.endpoint_id = ANY($1) ORDER BY m.created_at, m.mapping_id")
                .execute(Tuple.of(endpointIds.toArray(new String[0])))
                .map(rows -> {
                    Map<String, List<JsonObject>> out = new HashMap<>();
                    for (Row r : rows) {
                        JsonObject m = new JsonObject()
                                .put("mapping_id", r.getString("mapping_id"))
                                .put("endpoint_id", r.getString("endpoint_id"))
                                .put("model_definition_id", r.getString("model_definition_id"))
                                .put("model_definition", definitionJson(r))
                                .put("weight", r.getDouble("weight"))
                                .put("linkage_type", r.getString("linkage_type"))
                                .put("created_at", r.getLong("mapped_at"));
                        if (r.getInteger("fallback_order") != null) {
                            m.put("fallback_order", r.getInteger("fallback_order"));
                        }
                        putIfSet(m, "created_by", r.getString("mapped_by"));
                        out.computeIfAbsent(r.getString("endpoint_id"), k -> new ArrayList<>())
                                .add(m);
                    }
                    return out;
                });
    }

    private static JsonObject endpointJson(Row e, List<JsonObject> mappings) {
        JsonObject out = new JsonObject()
                .put("endpoint_id", e.getString("endpoint_id"))
                .put("name", e.getString("name"))
                .put("model_mappings", new JsonArray(new ArrayList<>(mappings)))
                .put("created_at", e.getLong("created_at"))
                .put("last_updated_at", e.getLong("last_updated_at"));
        putIfSet(out, "created_by", e.getString("created_by"));
        putIfSet(out, "last_updated_by", e.getString("last_updated_by"));
        putIfSet(out, "routing_strategy", e.getString("routing_strategy"));
        if (e.getInteger("fallback_max_attempts") != null) {
            out.put(
                    "fallback_config",
                    new JsonObject()
                            .put("strategy", e.getString("fallback_strategy"))
                            .put("max_attempts", e.getInteger("fallback_max_attempts")));
        }
        return out;
    }

    public Uni<JsonObject> listEndpoints(String provider) {
        return pool.withConnection(conn -> conn.preparedQuery("SELECT * FROM llmgateway.gateway_endpoints e"
                                + " WHERE $1::text IS NULL OR EXISTS (SELECT 1 FROM"
                                + " llmgateway.gateway_endpoint_models m JOIN llmgateway.gateway_model_definitions"
                                + " d ON d.model_definition_id = m.model_definition_id WHERE m.endpoint_id ="
                                + " e.endpoint_id AND d.provider = $1) ORDER BY e.created_at, e.name LIMIT $2")
                        .execute(Tuple.of(provider, maxListed))
                        .flatMap(rows -> {
                            List<Row> endpoints = new ArrayList<>();
                            rows.forEach(endpoints::add);
                            List<String> ids = endpoints.stream()
                                    .map(r -> r.getString("endpoint_id"))
                                    .toList();
                            return mappingsJson(conn, ids).map(m -> {
                                JsonArray out = new JsonArray();
                                endpoints.forEach(r -> out.add(
                                        endpointJson(r, m.getOrDefault(r.getString("endpoint_id"), List.of()))));
                                return out;
                            });
                        }))
                .map(list -> new JsonObject().put("endpoints", list));
    }

    public Uni<JsonObject> updateEndpoint(JsonObject body, String actor, Function<String, Boolean> taken) {
        String id = required(body, "endpoint_id");
        String name = body.getValue("name") != null ? endpointName(body, taken) : null;
        List<Mapping> mappings = body.getValue("model_configs") != null ? mappings(body, false) : null;
        String strategy = body.getValue("routing_strategy") != null ? routingStrategy(body) : null;
        Integer maxAttempts = body.getValue("fallback_config") != null ? maxAttempts(body) : null;
        String by = by(body, "updated_by", actor);
        long now = System.currentTimeMillis();
        return write(conn -> conn.preparedQuery("UPDATE llmgateway.gateway_endpoints SET name = coalesce($2, name),"
                                + " routing_strategy = coalesce($3, routing_strategy), fallback_strategy ="
                                + " CASE WHEN $4::int IS NULL THEN fallback_strategy ELSE 'SEQUENTIAL' END,"
                                + " fallback_max_attempts = coalesce($4, fallback_max_attempts), last_updated_at ="
                                + " $5, last_updated_by = $6 WHERE endpoint_id = $1")
                        .execute(Tuple.from(java.util.Arrays.asList(id, name, strategy, maxAttempts, now, by)))
                        .onFailure(unique())
                        .transform(f -> new ApiException(
                                ErrorCode.RESOURCE_ALREADY_EXISTS, "An endpoint named '" + name + "' already exists"))
                        .flatMap(rows -> {
                            if (rows.rowCount() == 0) {
                                throw ApiException.notFound("GatewayEndpoint not found (endpoint_id='" + id + "')");
                            }
                            if (mappings == null) {
                                return Uni.createFrom().voidItem();
                            }
                            return conn.preparedQuery(
                                            "DELETE FROM llmgateway.gateway_endpoint_models WHERE endpoint_id = $1")
                                    .execute(Tuple.of(id))
                                    .flatMap(v -> insertMappings(conn, id, mappings, now, by))
                                    .flatMap(v -> stillServes(conn, id));
                        })
                        .flatMap(v -> endpointJson(conn, id)))
                .map(e -> new JsonObject().put("endpoint", e));
    }

    public Uni<JsonObject> deleteEndpoint(JsonObject body) {
        String id = required(body, "endpoint_id");
        return write(conn -> conn.preparedQuery("DELETE FROM llmgateway.gateway_endpoints WHERE endpoint_id = $1")
                        .execute(Tuple.of(id))
                        .map(rows -> found(rows, "GatewayEndpoint", "endpoint_id", id)))
                .map(v -> new JsonObject());
    }

    /** {@code endpoints/models/attach}: {@code endpoint_id}, {@code model_config}. */
    public Uni<JsonObject> attach(JsonObject body, String actor) {
        String id = required(body, "endpoint_id");
        if (!(body.getValue("model_config") instanceof JsonObject config)) {
            throw ApiException.missing("model_config");
        }
        Mapping mapping = mapping(config, "model_config");
        String by = by(body, "created_by", actor);
        long now = System.currentTimeMillis();
        return write(conn -> exists(conn, id)
                        .flatMap(v -> insertMappings(conn, id, List.of(mapping), now, by))
                        .flatMap(v -> stillServes(conn, id))
                        .flatMap(v -> mappingsJson(conn, List.of(id))))
                .map(all -> {
                    JsonObject added = all.getOrDefault(id, List.of()).stream()
                            .filter(m -> m.getString("model_definition_id").equals(mapping.definitionId()))
                            .findFirst()
                            .orElseThrow();
                    return new JsonObject().put("mapping", added);
                });
    }

    /** {@code endpoints/models/detach}: {@code endpoint_id}, {@code model_definition_id}. */
    public Uni<JsonObject> detach(JsonObject body) {
        String id = required(body, "endpoint_id");
        String definition = required(body, "model_definition_id");
        return write(conn -> conn.preparedQuery("DELETE FROM llmgateway.gateway_endpoint_models"
                                + " WHERE endpoint_id = $1 AND model_definition_id = $2")
                        .execute(Tuple.of(id, definition))
                        .map(rows -> {
                            if (rows.rowCount() == 0) {
                                throw ApiException.notFound("The model definition '" + definition
                                        + "' is not attached to the endpoint '" + id + "'");
                            }
                            return null;
                        })
                        .flatMap(v -> stillServes(conn, id)))
                .map(v -> new JsonObject());
    }

    /** After a change of its models: an endpoint keeps a PRIMARY model and at most {@value #MAX_ENTRIES} in all. */
    private Uni<Void> stillServes(SqlConnection conn, String endpointId) {
        return conn.preparedQuery("SELECT count(*) FILTER (WHERE linkage_type = 'PRIMARY'), count(*) FROM"
                        + " llmgateway.gateway_endpoint_models WHERE endpoint_id = $1")
                .execute(Tuple.of(endpointId))
                .map(rows -> {
                    Row r = rows.iterator().next();
                    if (r.getLong(0) == 0) {
                        throw ApiException.invalidParameter(
                                "An endpoint needs at least one PRIMARY model: this" + " change would leave it none");
                    }
                    if (r.getLong(1) > MAX_ENTRIES) {
                        throw ApiException.invalidParameter("An endpoint has at most " + MAX_ENTRIES + " models");
                    }
                    return null;
                });
    }

    private Uni<Void> exists(SqlConnection conn, String endpointId) {
        return conn.preparedQuery("SELECT 1 FROM llmgateway.gateway_endpoints WHERE endpoint_id = $1 FOR UPDATE")
                .execute(Tuple.of(endpointId))
                .map(rows -> {
                    if (!rows.iterator().hasNext()) {
                        throw ApiException.notFound("GatewayEndpoint not found (endpoint_id='" + endpointId + "')");
                    }
                    return null;
                });
    }

    // ---------------------------------------------------------------- helpers

    /** A change and the revision's bump, in one transaction. */
    private <T> Uni<T> write(Function<SqlConnection, Uni<T>> change) {
        return pool.withTransaction(conn -> change.apply(conn)
                .call(() -> conn.query("UPDATE llmgateway.gateway_revision SET revision = revision + 1 WHERE id = 1")
                        .execute()));
    }

    private static java.util.function.Predicate<Throwable> unique() {
        return f -> f instanceof PgException pg && "23505".equals(pg.getSqlState());
    }

    private static String newId() {
        return UUID.randomUUID().toString().replace("-", "");
    }

    private static Object nullable(String value) {
        return value;
    }

    private static void putIfSet(JsonObject out, String key, Object value) {
        if (value != null) {
            out.put(key, value);
        }
    }

    /** Who made a change: the caller gateway-service authenticated, else what the request says. */
    private static String by(JsonObject body, String field, String actor) {
        if (actor != null && !actor.equals("anonymous")) {
            return actor;
        }
        return body.getValue(field) instanceof String s && !s.isBlank() ? bounded(s, field) : null;
    }

    static String required(JsonObject body, String field) {
        Object value = body.getValue(field);
        if (value == null || (value instanceof String s && s.isEmpty())) {
            throw ApiException.missing(field);
        }
        if (!(value instanceof String s)) {
            throw ApiException.invalidParameter("Invalid value for parameter '" + field + "': a string is expected");
        }
        return bounded(s, field);
    }

    private static String optional(JsonObject body, String field) {
        return body.getValue(field) == null ? null : required(body, field);
    }

    private static String bounded(String value, String field) {
        if (value.length() > MAX_VALUE || value.chars().anyMatch(c -> c == 0)) {
            throw ApiException.invalidParameter(
                    "Invalid value for parameter '" + field + "': at most " + MAX_VALUE + " characters, no NUL");
        }
        return value;
    }

    private static String requiredName(JsonObject body, String field) {
        String name = required(body, field);
        if (name.length() > MAX_NAME
                || !name.equals(name.strip())
                || name.chars().anyMatch(c -> c < 0x20)) {
            throw ApiException.invalidParameter("Invalid value for parameter '" + field + "': a name of at most "
                    + MAX_NAME + " characters, without control characters or surrounding spaces");
        }
        return name;
    }

    private static String endpointName(JsonObject body, Function<String, Boolean> taken) {
        String name = requiredName(body, "name");
        if (!name.matches("[\\w\\-.]+")) {
            throw ApiException.invalidParameter("Invalid endpoint name '" + name + "': only letters, digits, '-', '_'"
                    + " and '.' are allowed (it is part of the endpoint's URL)");
        }
        if (taken.apply(name)) {
            throw new ApiException(
                    ErrorCode.RESOURCE_ALREADY_EXISTS,
                    "An endpoint named '" + name + "' is configured by the endpoints file already");
        }
        return name;
    }

    /** A map of strings ({@code secret_value}, {@code auth_config}); also MLflow's list-of-{key, value} form. */
    private static Map<String, String> stringMap(JsonObject body, String field, boolean required) {
        Object value = body.getValue(field);
        if (value == null) {
            if (required) {
                throw ApiException.missing(field);
            }
            return null;
        }
        Map<String, String> out = new LinkedHashMap<>();
        if (value instanceof JsonObject object) {
            object.forEach(e -> out.put(e.getKey(), entryValue(field, e.getKey(), e.getValue())));
        } else if (value instanceof JsonArray array) {
            for (Object item : array) {
                if (!(item instanceof JsonObject kv) || !(kv.getValue("key") instanceof String key)) {
                    throw ApiException.invalidParameter(
                            "Invalid value for parameter '" + field + "': a map of strings is expected");
                }
                out.put(key, entryValue(field, key, kv.getValue("value")));
            }
        } else {
            throw ApiException.invalidParameter(
                    "Invalid value for parameter '" + field + "': a map of strings is expected");
        }
        if (required && out.isEmpty()) {
            throw ApiException.invalidParameter("Invalid value for parameter '" + field + "': it is empty");
        }
        if (out.size() > MAX_ENTRIES) {
            throw ApiException.invalidParameter(
                    "Invalid value for parameter '" + field + "': at most " + MAX_ENTRIES + " entries");
        }
        return out;
    }

    private static String entryValue(String field, String key, Object value) {
        if (!(value instanceof String s) || key.isEmpty() || key.length() > MAX_NAME) {
            throw ApiException.invalidParameter("Invalid value for parameter '" + field + "': the entry '"
                    + (key.length() > 40 ? key.substring(0, 40) + "…" : key) + "' must be a string");
        }
        return bounded(s, field);
    }

    /**
     * {@code auth_config}: settings that are not secret (they are stored in clear and shown). A key, token, secret or
     * password there is refused: credentials go in {@code secret_value}, sealed.
     */
    private static Map<String, String> settings(Map<String, String> auth) {
        if (auth != null) {
            for (String key : auth.keySet()) {
                if (key.toLowerCase(java.util.Locale.ROOT).matches(".*(key|token|secret|password|credential).*")) {
                    throw ApiException.invalidParameter("auth_config holds settings that are not secret and is"
                            + " shown to every reader; '" + (key.length() > 64 ? key.substring(0, 64) : key)
                            + "' belongs in secret_value, which is stored encrypted");
                }
            }
        }
        return auth;
    }

    private static List<Mapping> mappings(JsonObject body, boolean creating) {
        List<Mapping> out = new ArrayList<>();
        Object configs = body.getValue("model_configs");
        if (configs == null && creating && body.getValue("model_definition_ids") instanceof JsonArray ids) {
            for (Object id : ids) {
                if (!(id instanceof String s)) {
                    throw ApiException.invalidParameter("model_definition_ids: strings expected");
                }
                out.add(new Mapping(bounded(s, "model_definition_ids"), "PRIMARY", 1, null));
            }
        } else if (configs instanceof JsonArray array) {
            for (Object item : array) {
                if (!(item instanceof JsonObject config)) {
                    throw ApiException.invalidParameter("model_configs: objects expected");
                }
                out.add(mapping(config, "model_configs"));
            }
        } else if (configs != null) {
            throw ApiException.invalidParameter("model_configs: a list expected");
        }
        if (creating && out.stream().noneMatch(m -> m.linkage().equals("PRIMARY"))) {
            throw ApiException.invalidParameter("An endpoint needs at least one PRIMARY model (model_configs)");
        }
        if (out.size() > MAX_ENTRIES) {
            throw ApiException.invalidParameter("model_configs: at most " + MAX_ENTRIES + " models");
        }
        return out;
    }

    private static Mapping mapping(JsonObject config, String where) {
        String id = required(config, "model_definition_id");
        String linkage = config.getValue("linkage_type") == null
                ? "PRIMARY"
                : String.valueOf(config.getValue("linkage_type")).toUpperCase(java.util.Locale.ROOT);
        if (!linkage.equals("PRIMARY") && !linkage.equals("FALLBACK")) {
            throw ApiException.invalidParameter(where + ".linkage_type: PRIMARY or FALLBACK expected, got '"
                    + config.getValue("linkage_type") + "'");
        }
        double weight = 1;
        if (config.getValue("weight") != null) {
            if (!(config.getValue("weight") instanceof Number n)
                    || !(n.doubleValue() > 0)
                    || n.doubleValue() > 1_000_000) {
                throw ApiException.invalidParameter(where + ".weight: a positive number up to 1,000,000 expected");
            }
            weight = n.doubleValue();
        }
        Integer order = null;
        if (config.getValue("fallback_order") != null) {
            if (!(config.getValue("fallback_order") instanceof Number n)
                    || n.doubleValue() != Math.rint(n.doubleValue())
                    || n.doubleValue() < 0
                    || n.doubleValue() > 1_000_000) {
                throw ApiException.invalidParameter(where + ".fallback_order: a whole number ≥ 0 expected");
            }
            order = n.intValue();
        }
        return new Mapping(id, linkage, weight, order);
    }

    private static String routingStrategy(JsonObject body) {
        Object value = body.getValue("routing_strategy");
        if (value == null) {
            return null;
        }
        String s = String.valueOf(value);
        if (!s.equals("REQUEST_BASED_TRAFFIC_SPLIT") && !s.equals("TRAFFIC_SPLIT")) {
            throw ApiException.invalidParameter("routing_strategy: REQUEST_BASED_TRAFFIC_SPLIT expected, got '"
                    + bounded(s, "routing_strategy") + "'");
        }
        return s;
    }

    private static Integer maxAttempts(JsonObject body) {
        Object value = body.getValue("fallback_config");
        if (value == null) {
            return null;
        }
        if (!(value instanceof JsonObject config)) {
            throw ApiException.invalidParameter("fallback_config: an object expected");
        }
        Object strategy = config.getValue("strategy");
        if (strategy != null && !"SEQUENTIAL".equals(strategy)) {
            throw ApiException.invalidParameter("fallback_config.strategy: SEQUENTIAL expected");
        }
        Object attempts = config.getValue("max_attempts");
        if (attempts == null) {
            return 0; // every fallback model
        }
        if (!(attempts instanceof Number n)
                || n.doubleValue() != Math.rint(n.doubleValue())
                || n.intValue() < 1
                || n.intValue() > 100) {
            throw ApiException.invalidParameter("fallback_config.max_attempts: a whole number from 1 to 100 expected");
        }
        return n.intValue();
    }

    private static byte[] encode(Map<String, String> values) {
        return new JsonObject(new LinkedHashMap<>(values)).encode().getBytes(StandardCharsets.UTF_8);
    }

    /** A value as it is shown: its first three and last four characters when it is long enough, else stars. */
    static Map<String, String> masked(Map<String, String> values) {
        Map<String, String> out = new LinkedHashMap<>();
        // its last four characters only, and only of a value long enough that they say little of it
        values.forEach((k, v) -> out.put(
                k,
                v.codePointCount(0, v.length()) >= 24
                        ? "..." + v.substring(v.offsetByCodePoints(v.length(), -4))
                        : "********"));
        return out;
    }

    private static Map<String, String> strings(JsonObject object) {
        Map<String, String> out = new LinkedHashMap<>();
        object.forEach(e -> out.put(e.getKey(), String.valueOf(e.getValue())));
        return out;
    }

    private static Map<String, String> json(String text) {
        return text == null ? Map.of() : strings(new JsonObject(text));
    }
}
