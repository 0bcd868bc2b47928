package dev.skein.gateway.auth;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import dev.skein.common.error.ApiException;
import dev.skein.gateway.client.Upstreams;
import dev.skein.gateway.route.Route;
import dev.skein.gateway.route.RouteTable;
import dev.skein.proto.api.v1.Access;
import dev.skein.proto.common.v1.ErrorCode;
import dev.skein.proto.evaluation.v1.CreateEvaluation;
import dev.skein.proto.evaluation.v1.EvaluationSpec;
import dev.skein.proto.evaluation.v1.PromptEvaluationSpec;
import dev.skein.proto.registry.v1.CreateModelVersion;
import dev.skein.proto.tracking.v1.CreateExperiment;
import dev.skein.proto.tracking.v1.CreateRun;
import dev.skein.proto.tracking.v1.GetLoggedModel;
import dev.skein.proto.tracking.v1.GetRun;
import dev.skein.proto.tracking.v1.GetTraceInfo;
import dev.skein.proto.tracking.v1.LogBatch;
import dev.skein.proto.tracking.v1.LogInputs;
import dev.skein.proto.tracking.v1.LogMetric;
import dev.skein.proto.tracking.v1.LogOutputs;
import dev.skein.proto.tracking.v1.LoggedModelServiceGrpc;
import dev.skein.proto.tracking.v1.TraceServiceGrpc;
import dev.skein.proto.tracking.v1.TrackingServiceGrpc;
import io.smallrye.mutiny.Uni;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * What an authenticated caller may do, with MLflow's permission model: every routed call is checked
 * by its contract's {@code access} option against the caller's permission on the experiment or
 * registered model it names (their own, or the configured default); administrators pass. Runs,
 * traces and logged models are judged by their experiment, looked up once and remembered (they never
 * move). A call without an access option is refused: nothing is reachable by omission.
 */
public final class Authorizer {

    /** What to do with an authorized call: send this request on, or answer an empty result. */
    public record Decision(Message request, boolean empty) {}

    /** A judge model on Skein's LLM gateway, as MLflow names a deployments endpoint. */
    private static final String JUDGE_SCHEME = "endpoints:/";
    /** A registered prompt, as MLflow names one. */
    private static final String PROMPT_SCHEME = "prompts:/";

    private static final Pattern EXPERIMENT_ID = Pattern.compile("\\d+");
    private static final String DEFAULT_EXPERIMENT = "0";

    private final AuthStore store;
    private final Permission defaultPermission;
    private final Upstreams upstreams;
    private final Route getRun;
    private final List<String> protectedLocations;
    private final Route getTraceInfo;
    private final Route getLoggedModel;
    /** "run:<id>", "trace:<id>", "model:<id>" → the experiment id it lives in. */
    private final Cache<String, String> experiments;

    public Authorizer(AuthConfig config, AuthStore store, Upstreams upstreams, RouteTable routes) {
        this.store = store;
        this.defaultPermission = Permission.parse(config.defaultPermission());
        this.upstreams = upstreams;
        this.getRun = route(routes, TrackingServiceGrpc.getGetRunMethod().getFullMethodName());
        this.getTraceInfo =
                route(routes, TraceServiceGrpc.getGetTraceInfoMethod().getFullMethodName());
        this.getLoggedModel =
                route(routes, LoggedModelServiceGrpc.getGetLoggedModelMethod().getFullMethodName());
        this.protectedLocations = config.protectedLocations().orElse(List.of()).stream()
                .map(root -> {
                    String r = root.trim().toLowerCase(java.util.Locale.ROOT);
                    return r.endsWith("/") ? r : r + "/";
                })
                .filter(r -> r.length() > 1)
                .toList();
        this.experiments =
                Caffeine.newBuilder().maximumSize(config.experimentCacheSize()).build();
    }

    static Route route(RouteTable routes, String fullMethodName) {
        return routes.all().stream()
                .filter(r -> r.method().getFullMethodName().equals(fullMethodName))
                .findFirst()
                .orElseThrow(() -> new IllegalStateException("No route to " + fullMethodName));
    }

    public Permission defaultPermission() {
        return defaultPermission;
    }

    /** What the caller may do where they have no permission of their own: their groups' or the default. */
    public Permission fallback(Caller caller) {
        return caller.fallback() != null && caller.fallback().includes(defaultPermission)
                ? caller.fallback()
                : defaultPermission;
    }

    /**
     * Checks a routed call before it is sent. The request comes back as it should be sent: a search
     * across experiments keeps only those the caller may read (empty: answer an empty result), and a
     * new run records the caller as its user.
     */
    public Uni<Decision> authorize(Caller caller, Route route, Message request) {
        Message sent = identified(caller, request);
        if (caller.unlimited()) {
            return Uni.createFrom().item(new Decision(sent, false));
        }
        Access access = route.access();
        if (access == null || !access.hasResource()) {
            return denied("This endpoint is not open to users");
        }
        return switch (access.getResource()) {
            case ANY_USER ->
                readOnly(caller) && access.getLevel() != Access.Level.READ
                        ? denied("This access token may only read")
                        : caller.token() != null && caller.token().limited() && access.getLevel() != Access.Level.READ
                                // a token for some experiments or models makes no others
                                ? denied("This access token is limited to some experiments or models")
                                : alsoNamed(caller, sent).replaceWith(new Decision(sent, false));
            case ADMIN ->
                !caller.admin() || (caller.token() != null && caller.token().limited() && !readOnly(caller))
                        ? denied("Only administrators may call this endpoint, with a credential not limited"
                                + " to some experiments or models")
                        : readOnly(caller) && access.getLevel() != Access.Level.READ
                                ? denied("This access token may only read")
                                : Uni.createFrom().item(new Decision(sent, false));
            default -> {
                if (access.hasResponseField() && access.getFieldCount() == 0) {
                    yield Uni.createFrom().item(new Decision(sent, false)); // checked on the answer
                }
                List<String> named = values(sent, access);
                if (access.getFilter()) {
                    List<String> values = named;
                    yield readable(caller, access.getResource(), values).map(kept -> {
                        if (kept.isEmpty() && !values.isEmpty()) {
                            return new Decision(sent, true);
                        }
                        if (kept.size() == values.size()) {
                            return new Decision(sent, false);
                        }
                        Message narrowed = replace(sent, access, kept);
                        if (narrowed == null) {
                            // a nested field (trace locations) is not narrowed: all or nothing
                            throw new ApiException(ErrorCode.PERMISSION_DENIED, "Permission denied");
                        }
                        return new Decision(narrowed, false);
                    });
                }
                if (named.isEmpty() && access.getResource() == Access.Resource.ARTIFACT_PATH) {
                    named = List.of(""); // the store's root: the default permission decides, as in MLflow
                }
                if (named.isEmpty()) {
                    if (access.getResource() != Access.Resource.EXPERIMENT) {
                        // nothing named: the service refuses the missing field (MLflow's 400); what else the
                        // request reaches is still checked (a prompt evaluation names no run, but its experiment)
                        yield alsoNamed(caller, sent).replaceWith(new Decision(sent, false));
                    }
                    named = List.of(DEFAULT_EXPERIMENT); // a run created without one goes to experiment 0
                }
                yield check(caller, access.getResource(), access.getLevel(), named)
                        .flatMap(v -> alsoNamed(caller, sent))
                        .replaceWith(new Decision(sent, false));
            }
        };
    }

    /**
     * What some calls touch besides the resource their access option names: a model version's source
     * (another model's files, a run's, an artifact path) must be readable by its creator; a metric or
     * an input/output naming a logged model writes to that model; an experiment's own artifact
     * location is an administrator's choice (a path inside another experiment's would be judged as
     * that experiment's).
     */
    private Uni<Void> alsoNamed(Caller caller, Message request) {
        if (request instanceof CreateEvaluation evaluation) {
            // also an administrator's: a read-only or scoped token calls no endpoint and makes no run
            return evaluates(caller, evaluation.getSpec());
        }
        if (caller.admin()) {
            return Uni.createFrom().voidItem();
        }
        List<Uni<Void>> checks = new ArrayList<>();
        if (request instanceof CreateModelVersion version) {
            checks.add(source(caller, version));
        } else if (request instanceof LogMetric metric) {
            checks.add(writesTo(caller, Stream.of(metric.getModelId())));
        } else if (request instanceof LogBatch batch) {
            checks.add(writesTo(caller, batch.getMetricsList().stream().map(m -> m.getModelId())));
        } else if (request instanceof LogInputs inputs) {
            checks.add(writesTo(caller, inputs.getModelsList().stream().map(m -> m.getModelId())));
        } else if (request instanceof LogOutputs outputs) {
            checks.add(writesTo(caller, outputs.getModelsList().stream().map(m -> m.getModelId())));
        } else if (request instanceof CreateExperiment experiment
                && !experiment.getArtifactLocation().isEmpty()) {
            return denied("Only administrators choose an experiment's artifact location");
        }
        return checks.isEmpty()
                ? Uni.createFrom().voidItem()
                : Uni.join().all(checks).andFailFast().replaceWithVoid();
    }

    /**
     * What an evaluation reaches besides its run: the LLM endpoints it calls (a prompt evaluation's endpoints and
     * its judges, {@code endpoints:/name}) need USE, as calling them directly would; a prompt evaluation makes its
     * runs in its experiment (UPDATE) and reads a registered prompt (READ).
     */
    private Uni<Void> evaluates(Caller caller, EvaluationSpec spec) {
        List<String> endpoints = new ArrayList<>(spec.getPrompt().getEndpointsList());
        for (var judge : spec.getJudgesList()) {
            if (judge.getModel().startsWith(JUDGE_SCHEME)) {
                endpoints.add(judge.getModel().substring(JUDGE_SCHEME.length()).replaceFirst("^/+", ""));
            }
        }
        List<Uni<Void>> checks = new ArrayList<>();
        if (!endpoints.isEmpty()) {
            checks.add(permissions(caller, AuthStore.Kind.GATEWAY_ENDPOINT, endpoints)
                    .map(granted -> {
                        for (String endpoint : endpoints) {
                            if (!granted.getOrDefault(endpoint, Permission.NO_PERMISSIONS)
                                    .canUse()) {
                                throw new ApiException(
                                        ErrorCode.PERMISSION_DENIED,
                                        "Permission denied: invoking LLM endpoint '" + endpoint
                                                + "' needs the USE permission");
                            }
                        }
                        return null;
                    }));
        }
        if (spec.hasPrompt()) {
            PromptEvaluationSpec prompt = spec.getPrompt();
            if (!prompt.getExperimentId().isEmpty()) {
                checks.add(check(
                        caller, Access.Resource.EXPERIMENT, Access.Level.UPDATE, List.of(prompt.getExperimentId())));
            }
            if (prompt.getPromptUri().startsWith(PROMPT_SCHEME)) {
                String name = prompt.getPromptUri()
                        .substring(PROMPT_SCHEME.length())
                        .replaceFirst("^/+", "")
                        .split("[/@]", 2)[0];
                checks.add(check(caller, Access.Resource.REGISTERED_MODEL, Access.Level.READ, List.of(name)));
            }
        }
        return checks.isEmpty()
                ? Uni.createFrom().voidItem()
                : Uni.join().all(checks).andFailFast().replaceWithVoid();
    }

    /** Refuses unless the caller may change each logged model named (empty ids name none). */
    private Uni<Void> writesTo(Caller caller, Stream<String> modelIds) {
        return check(
                caller,
                Access.Resource.LOGGED_MODEL,
                Access.Level.UPDATE,
                modelIds.filter(id -> !id.isEmpty()).distinct().toList());
    }

    /**
     * A new version's source and lineage, readable by who registers it: the run ({@code run_id},
     * {@code runs:/}), the logged model ({@code model_id}, MLflow 3's {@code models:/m-…}), the
     * registered model ({@code models:/name/…}), the artifact path ({@code mlflow-artifacts:/…}); any
     * other location only inside the artifacts of a run the caller may read.
     */
    private Uni<Void> source(Caller caller, CreateModelVersion version) {
        List<Uni<Void>> checks = new ArrayList<>();
        if (!version.getRunId().isEmpty()) {
            checks.add(check(caller, Access.Resource.RUN, Access.Level.READ, List.of(version.getRunId())));
        }
        if (!version.getModelId().isEmpty()) {
            checks.add(check(caller, Access.Resource.LOGGED_MODEL, Access.Level.READ, List.of(version.getModelId())));
        }
        String source = version.getSource();
        if (source.startsWith("runs:/")) {
            String run =
                    source.substring("runs:/".length()).replaceFirst("^/+", "").split("/", 2)[0];
            checks.add(check(caller, Access.Resource.RUN, Access.Level.READ, List.of(run)));
        } else if (source.startsWith("models:/")) {
            String name = source.substring("models:/".length())
                    .replaceFirst("^/+", "")
                    .split("[/@]", 2)[0];
            checks.add(
                    name.startsWith("m-")
                            ? check(caller, Access.Resource.LOGGED_MODEL, Access.Level.READ, List.of(name))
                            : check(caller, Access.Resource.REGISTERED_MODEL, Access.Level.READ, List.of(name)));
        } else if (source.startsWith("mlflow-artifacts:")) {
            String path = source.substring("mlflow-artifacts:".length()).replaceFirst("^//[^/]*", "");
            checks.add(check(caller, Access.Resource.ARTIFACT_PATH, Access.Level.READ, List.of(path)));
        } else if (protectedLocation(source)) {
            if (version.getRunId().isEmpty()) {
                return denied("A version whose source is in Skein's artifact store is registered from its run:"
                        + " give run_id");
            }
            checks.add(upstreams
                    .call(
                            getRun,
                            GetRun.newBuilder().setRunId(version.getRunId()).build(),
                            "gateway")
                    .map(r -> {
                        String root = ((GetRun.Response) r).getRun().getInfo().getArtifactUri();
                        String within = root.endsWith("/") ? root : root + "/";
                        if (!(source.equals(root) || source.startsWith(within)) || source.contains("..")) {
                            throw new ApiException(
                                    ErrorCode.PERMISSION_DENIED,
                                    "A version's source must lie inside the artifacts of its run "
                                            + version.getRunId());
                        }
                        return null;
                    }));
        }
        return checks.isEmpty()
                ? Uni.createFrom().voidItem()
                : Uni.join().all(checks).andFailFast().replaceWithVoid();
    }

    /** Whether a location lies in Skein's own artifact store (skein.auth.protected-locations). */
    private boolean protectedLocation(String source) {
        String decoded = source;
        for (int i = 0; i < 3 && decoded.indexOf('%') >= 0; i++) {
            decoded = RouteTable.decode(decoded);
        }
        String normalised = (decoded.replaceAll("(?<!:)/{2,}", "/") + "/").toLowerCase(java.util.Locale.ROOT);
        return protectedLocations.stream().anyMatch(normalised::startsWith);
    }

    /** Checks the resource a call's answer names (get-by-name), for calls whose request cannot. */
    public Uni<Void> authorizeAnswer(Caller caller, Route route, Message response) {
        Access access = route.access();
        if (caller.unlimited() || access == null || !access.hasResponseField() || access.getFieldCount() > 0) {
            return Uni.createFrom().voidItem();
        }
        List<String> values = new ArrayList<>();
        collect(response, access.getResponseField().split("\\."), 0, values);
        return check(caller, access.getResource(), access.getLevel(), values);
    }

    /**
     * The caller's permission on an experiment or registered model: their own, else the default;
     * MANAGE for administrators; within an access token's limits.
     */
    public Uni<Permission> permission(Caller caller, AuthStore.Kind kind, String asked) {
        String resource = kind == AuthStore.Kind.EXPERIMENT ? canonical(asked) : asked;
        if (caller.admin()) {
            return Uni.createFrom().item(limited(caller, kind, resource, Permission.MANAGE));
        }
        return store.permission(kind, caller.userId(), resource)
                .map(p -> limited(caller, kind, resource, p.orElse(fallback(caller))));
    }

    /** The caller's permission on each of several experiments or models, by resource. */
    public Uni<Map<String, Permission>> permissions(Caller caller, AuthStore.Kind kind, List<String> resources) {
        List<String> distinct = resources.stream()
                .map(r -> kind == AuthStore.Kind.EXPERIMENT ? canonical(r) : r)
                .distinct()
                .toList();
        Uni<Map<String, Permission>> own = caller.admin() || distinct.isEmpty()
                ? Uni.createFrom().item(Map.of())
                : store.permissions(kind, caller.userId(), distinct);
        return own.map(mine -> {
            Map<String, Permission> result = new java.util.LinkedHashMap<>();
            for (String r : distinct) {
                Permission base = caller.admin() ? Permission.MANAGE : mine.getOrDefault(r, fallback(caller));
                result.put(r, limited(caller, kind, r, base));
            }
            return result;
        });
    }

    /** Refuses unless the caller's permission on every named resource allows {@code level}. */
    public Uni<Void> check(Caller caller, Access.Resource resource, Access.Level level, List<String> values) {
        if (caller.unlimited() || values.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        return effective(caller, resource, values).map(permissions -> {
            for (Permission p : permissions) {
                if (!p.allows(level)) {
                    throw new ApiException(ErrorCode.PERMISSION_DENIED, "Permission denied");
                }
            }
            return null;
        });
    }

    /** The values the caller may read, in their order. */
    private Uni<List<String>> readable(Caller caller, Access.Resource resource, List<String> values) {
        if (values.isEmpty() || caller.unlimited()) {
            return Uni.createFrom().item(values);
        }
        return effective(caller, resource, values).map(permissions -> {
            List<String> kept = new ArrayList<>();
            for (int i = 0; i < values.size(); i++) {
                if (permissions.get(i).canRead()) {
                    kept.add(values.get(i));
                }
            }
            return kept;
        });
    }

    /** The caller's permission on each value's experiment or model, in the values' order. */
    private Uni<List<Permission>> effective(Caller caller, Access.Resource resource, List<String> values) {
        AuthStore.Kind kind = resource == Access.Resource.REGISTERED_MODEL
                ? AuthStore.Kind.REGISTERED_MODEL
                : AuthStore.Kind.EXPERIMENT;
        return owners(resource, values).flatMap(owners -> {
            List<String> named = owners.stream()
                    .filter(o -> o != null && !o.equals(NOBODYS))
                    .distinct()
                    .toList();
            Uni<Map<String, Permission>> own = caller.admin() || named.isEmpty()
                    ? Uni.createFrom().item(Map.of())
                    : store.permissions(kind, caller.userId(), named);
            return own.map(mine -> {
                List<Permission> permissions = new ArrayList<>(owners.size());
                for (String owner : owners) {
                    Permission base = caller.admin()
                            ? Permission.MANAGE
                            : owner == null
                                    ? fallback(caller) // an artifact path outside any experiment: as MLflow
                                    : owner.equals(NOBODYS)
                                            ? Permission.NO_PERMISSIONS
                                            : mine.getOrDefault(owner, fallback(caller));
                    permissions.add(limited(caller, kind, owner, base));
                }
                return permissions;
            });
        });
    }

    /**
     * A permission within the caller's token: nothing outside the experiments or models it names, and
     * no more than READ from a read-only one.
     */
    static Permission limited(Caller caller, AuthStore.Kind kind, String resource, Permission permission) {
        Caller.TokenScope token = caller.token();
        if (token == null) {
            return permission;
        }
        if (kind == AuthStore.Kind.GATEWAY_ENDPOINT) {
            // a token for some experiments or models names no LLM endpoint
            if (token.experiments() != null || token.models() != null) {
                return Permission.NO_PERMISSIONS;
            }
        } else {
            java.util.Set<String> only = kind == AuthStore.Kind.EXPERIMENT ? token.experiments() : token.models();
            if (only != null && (resource == null || !only.contains(resource))) {
                return Permission.NO_PERMISSIONS;
            }
        }
        if (token.readOnly()) {
            return permission.canRead() ? Permission.READ : Permission.NO_PERMISSIONS;
        }
        return permission;
    }

    private static boolean readOnly(Caller caller) {
        return caller.token() != null && caller.token().readOnly();
    }

    /**
     * The experiment (or, for registered models, the model name) deciding each value; null where an
     * artifact path names no experiment (the default permission decides, as in MLflow's proxy).
     */
    private Uni<List<String>> owners(Access.Resource resource, List<String> values) {
        return switch (resource) {
            case EXPERIMENT ->
                Uni.createFrom().item(values.stream().map(Authorizer::canonical).toList());
            case REGISTERED_MODEL -> Uni.createFrom().item(values);
            case ARTIFACT_PATH ->
                Uni.createFrom()
                        .item(values.stream().map(Authorizer::experimentOfPath).toList());
            case RUN ->
                lookUp(
                        "run:",
                        values,
                        id -> upstreams
                                .call(getRun, GetRun.newBuilder().setRunId(id).build(), "gateway")
                                .map(r ->
                                        ((GetRun.Response) r).getRun().getInfo().getExperimentId()),
                        true);
            case TRACE ->
                lookUp(
                        "trace:",
                        values,
                        id -> upstreams
                                .call(
                                        getTraceInfo,
                                        GetTraceInfo.newBuilder()
                                                .setRequestId(id)
                                                .build(),
                                        "gateway")
                                .map(r -> ((GetTraceInfo.Response) r)
                                        .getTraceInfo()
                                        .getExperimentId()),
                        false);
            case LOGGED_MODEL ->
                lookUp(
                        "model:",
                        values,
                        id -> upstreams
                                .call(
                                        getLoggedModel,
                                        GetLoggedModel.newBuilder()
                                                .setModelId(id)
                                                .setAllowDeleted(true)
                                                .build(),
                                        "gateway")
                                .map(r -> ((GetLoggedModel.Response) r)
                                        .getModel()
                                        .getInfo()
                                        .getExperimentId()),
                        true);
            default -> Uni.createFrom().failure(new ApiException(ErrorCode.PERMISSION_DENIED, "Permission denied"));
        };
    }

    /**
     * The experiment an artifact path lies under — its first segment when that is an experiment id,
     * empty and {@code .} segments skipped as a store would, percent-escapes undone however often they
     * were applied — or null.
     */
    static String experimentOfPath(String path) {
        String decoded = path;
        // a store that decodes once more must not see another experiment than the one judged here
        for (int i = 0; i < 3 && decoded.indexOf('%') >= 0; i++) {
            decoded = RouteTable.decode(decoded);
        }
        for (String segment : decoded.replace('\\', '/').split("/")) {
            if (segment.isEmpty() || segment.equals(".")) {
                continue;
            }
            return EXPERIMENT_ID.matcher(segment).matches() ? segment : null;
        }
        return null;
    }

    /**
     * Each value's experiment, remembered (runs and logged models never move) or looked up, one call
     * per distinct value; traces are always looked up (their ids are chosen by clients, and one
     * deleted may come back elsewhere). The answer is built from what was found for this request,
     * never read back from the cache, which may have dropped it meanwhile.
     */
    private Uni<List<String>> lookUp(
            String prefix, List<String> values, Function<String, Uni<String>> find, boolean remember) {
        Map<String, String> known = new java.util.HashMap<>();
        Set<String> missing = new LinkedHashSet<>();
        for (String v : values) {
            String cached = remember ? experiments.getIfPresent(prefix + v) : null;
            if (cached != null) {
                known.put(v, cached);
            } else {
                missing.add(v);
            }
        }
        if (missing.size() > 100) {
            return Uni.createFrom()
                    .failure(ApiException.invalidParameter(
                            "Too many runs, traces or models named in one request to check permissions: at most 100"));
        }
        List<Uni<Map.Entry<String, String>>> lookups = missing.stream()
                .map(v -> find.apply(v).map(exp -> Map.entry(v, exp)))
                .toList();
        Uni<List<Map.Entry<String, String>>> all = lookups.isEmpty()
                ? Uni.createFrom().item(List.of())
                : Uni.join().all(lookups).andFailFast();
        return all.map(found -> {
            for (Map.Entry<String, String> e : found) {
                String experiment = canonical(e.getValue());
                known.put(e.getKey(), experiment);
                if (remember && experiment != null) {
                    experiments.put(prefix + e.getKey(), experiment);
                }
            }
            // a value whose experiment is not known is judged as nobody's: refused
            return values.stream().map(x -> known.getOrDefault(x, NOBODYS)).toList();
        });
    }

    /** The owner of a run, trace or model whose experiment could not be told: no grant names it. */
    private static final String NOBODYS = "";

    /**
     * An experiment id as the services read it ({@code 007} and {@code +7} are experiment 7), so
     * permissions are looked up under the id acted on; anything else is left for the service to refuse.
     */
    public static String canonical(String experimentId) {
        if (experimentId == null || !experimentId.matches("[+-]?\\d{1,19}")) {
            return experimentId;
        }
        try {
            return Long.toString(Long.parseLong(experimentId));
        } catch (NumberFormatException e) {
            return experimentId;
        }
    }

    /** The values of the first of the access option's fields that has any. */
    static List<String> values(Message request, Access access) {
        for (String field : access.getFieldList()) {
            List<String> values = new ArrayList<>();
            collect(request, field.split("\\."), 0, values);
            values.removeIf(String::isEmpty);
            if (!values.isEmpty()) {
                return values;
            }
        }
        return List.of();
    }

    private static void collect(Message message, String[] path, int at, List<String> into) {
        FieldDescriptor f = message.getDescriptorForType().findFieldByName(path[at]);
        if (f == null) {
            return;
        }
        boolean last = at == path.length - 1;
        if (f.isRepeated()) {
            for (int i = 0; i < message.getRepeatedFieldCount(f); i++) {
                Object v = message.getRepeatedField(f, i);
                if (last) {
                    into.add(String.valueOf(v));
                } else if (v instanceof Message m) {
                    collect(m, path, at + 1, into);
                }
            }
        } else if (message.hasField(f)) {
            Object v = message.getField(f);
            if (last) {
                into.add(String.valueOf(v));
            } else if (v instanceof Message m) {
                collect(m, path, at + 1, into);
            }
        }
    }

    /** The request with its top-level repeated filtered field holding only {@code kept}; null for a nested one. */
    private static Message replace(Message request, Access access, List<String> kept) {
        for (String field : access.getFieldList()) {
            FieldDescriptor f = request.getDescriptorForType().findFieldByName(field);
            if (f != null && f.isRepeated() && f.getJavaType() == FieldDescriptor.JavaType.STRING) {
                Message.Builder b = request.toBuilder().clearField(f);
                kept.forEach(v -> b.addRepeatedField(f, v));
                return b.build();
            }
        }
        return null;
    }

    /** With authentication, a run's user is who created it, whatever the request says. */
    private static Message identified(Caller caller, Message request) {
        if (request instanceof CreateRun run && caller.userId() != 0) {
            // MLflow's clients also name the user in tag mlflow.user: it says who created the run too
            CreateRun.Builder b = run.toBuilder().setUserId(caller.username()).clearTags();
            run.getTagsList().stream()
                    .filter(t -> !t.getKey().equals("mlflow.user"))
                    .forEach(b::addTags);
            return b.addTags(dev.skein.proto.tracking.v1.RunTag.newBuilder()
                            .setKey("mlflow.user")
                            .setValue(caller.username()))
                    .build();
        }
        return request;
    }

    private static <T> Uni<T> denied(String message) {
        return Uni.createFrom().failure(new ApiException(ErrorCode.PERMISSION_DENIED, message));
    }
}
