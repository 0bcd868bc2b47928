package dev.skein.gateway.graphql;

import com.google.protobuf.Message;
import dev.skein.common.error.ApiException;
import dev.skein.gateway.client.Upstreams;
import dev.skein.gateway.route.Route;
import dev.skein.gateway.route.RouteTable;
import dev.skein.proto.artifacts.v1.ArtifactServiceGrpc;
import dev.skein.proto.common.v1.ErrorCode;
import dev.skein.proto.registry.v1.RegistryServiceGrpc;
import dev.skein.proto.tracking.v1.Run;
import dev.skein.proto.tracking.v1.TrackingServiceGrpc;
import graphql.ExecutionInput;
import graphql.ExecutionResult;
import graphql.GraphQL;
import graphql.GraphQLContext;
import graphql.GraphqlErrorBuilder;
import graphql.Scalars;
import graphql.analysis.MaxQueryDepthInstrumentation;
import graphql.execution.CoercedVariables;
import graphql.execution.DataFetcherExceptionHandler;
import graphql.execution.DataFetcherExceptionHandlerResult;
import graphql.execution.ResultNodesInfo;
import graphql.language.IntValue;
import graphql.language.StringValue;
import graphql.language.Value;
import graphql.schema.Coercing;
import graphql.schema.CoercingParseLiteralException;
import graphql.schema.CoercingParseValueException;
import graphql.schema.CoercingSerializeException;
import graphql.schema.DataFetcher;
import graphql.schema.DataFetchingEnvironment;
import graphql.schema.GraphQLScalarType;
import graphql.schema.idl.FieldWiringEnvironment;
import graphql.schema.idl.RuntimeWiring;
import graphql.schema.idl.SchemaGenerator;
import graphql.schema.idl.SchemaParser;
import graphql.schema.idl.WiringFactory;
import io.grpc.MethodDescriptor;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * MLflow 2.17's GraphQL API ({@code /graphql}): its schema ({@code graphql/mlflow.graphqls}), each
 * field resolved with the same gRPC call as the REST endpoint it mirrors, through the gateway's
 * route table, so deadlines, the acting user and error mapping are those of the REST API. Runs carry
 * their experiment and the model versions registered from them, as in MLflow.
 */
public final class MlflowGraphql {

    private static final String ACTOR = "skein.actor";
    private static final String GUARD = "skein.guard";
    private static final String CALLS = "skein.calls";
    private static final String EXPERIMENTS = "skein.experiments";
    private static final String BYTES = "skein.bytes";
    private static final String SLOTS = "skein.slots";
    private static final String IN_FLIGHT = "skein.in-flight";
    /** Deeper than any query of the schema's own fields; introspection queries fit too. */
    private static final int MAX_DEPTH = 16;
    /** Values in one answer: past it graphql-java stops building the result. */
    static final int MAX_RESULT_NODES = 200_000;
    /** Service calls of one request under way at once; the others wait their turn. */
    static final int CALLS_AT_ONCE = 4;
    /** Bytes of service answers one request may gather. */
    static final long MAX_ANSWER_BYTES = 32L * 1024 * 1024;

    private final GraphQL graphql;
    private final Upstreams upstreams;
    private final int maxUpstreamCalls;
    private final Map<String, Route> routes = new HashMap<>();

    /**
     * @param errorMessage what a client is told of a failed call (an upstream's MLflow error keeps
     *     its message; anything else is logged and answered with an id)
     */
    public MlflowGraphql(
            RouteTable table, Upstreams upstreams, int maxUpstreamCalls, Function<Throwable, String> errorMessage) {
        this.upstreams = upstreams;
        this.maxUpstreamCalls = maxUpstreamCalls;
        for (Route route : table.all()) {
            routes.putIfAbsent(route.method().getFullMethodName(), route);
        }
        RuntimeWiring wiring = RuntimeWiring.newRuntimeWiring()
                .scalar(LONG_STRING)
                // graphql-java's own Float is replaced (its strict wiring refuses a second definition)
                .strictMode(false)
                .scalar(FLOAT)
                .strictMode(true)
                .wiringFactory(new WiringFactory() {
                    @Override
                    public DataFetcher<?> getDefaultDataFetcher(FieldWiringEnvironment environment) {
                        return ProtoFields.FETCHER;
                    }
                })
                .type("Query", type -> type.dataFetcher(
                                "mlflowGetExperiment", root(TrackingServiceGrpc.getGetExperimentMethod()))
                        .dataFetcher(
                                "mlflowGetMetricHistoryBulkInterval",
                                root(TrackingServiceGrpc.getGetMetricHistoryBulkIntervalMethod()))
                        .dataFetcher("mlflowGetRun", root(TrackingServiceGrpc.getGetRunMethod()))
                        .dataFetcher("mlflowListArtifacts", root(ArtifactServiceGrpc.getListRunArtifactsMethod()))
                        .dataFetcher(
                                "mlflowSearchModelVersions", root(RegistryServiceGrpc.getSearchModelVersionsMethod()))
                        .dataFetcher("test", MlflowGraphql::echo))
                .type("Mutation", type -> type.dataFetcher(
                                "mlflowSearchDatasets", root(TrackingServiceGrpc.getSearchDatasetsMethod()))
                        .dataFetcher("mlflowSearchRuns", root(TrackingServiceGrpc.getSearchRunsMethod()))
                        .dataFetcher("testMutation", MlflowGraphql::echo))
                .type("MlflowRunExtension", type -> type.dataFetcher("experiment", this::experimentOfRun)
                        .dataFetcher("modelVersions", this::modelVersionsOfRun))
                .build();
        this.graphql = GraphQL.newGraphQL(
                        new SchemaGenerator().makeExecutableSchema(new SchemaParser().parse(schema()), wiring))
                .instrumentation(new MaxQueryDepthInstrumentation(MAX_DEPTH))
                .defaultDataFetcherExceptionHandler(exceptions(errorMessage))
                .build();
    }

    /**
     * The service calls of one GraphQL request that are under way. {@link #cancel} (the HTTP client
     * went away) cancels each of them and refuses any later one, so services stop working for a
     * request nobody waits for.
     */
    public static final class InFlight {
        private final java.util.Set<Runnable> cancels = ConcurrentHashMap.newKeySet();
        private volatile boolean cancelled;

        public void cancel() {
            cancelled = true;
            for (Runnable c : cancels) {
                if (cancels.remove(c)) {
                    c.run();
                }
            }
        }

        boolean cancelled() {
            return cancelled;
        }

        /** Tracks a call until {@code done} completes; cancelled at once if the request is gone already. */
        private <T> CompletableFuture<T> track(CompletableFuture<T> done, Runnable cancel) {
            cancels.add(cancel);
            done.whenComplete((value, failure) -> cancels.remove(cancel));
            if (cancelled && cancels.remove(cancel)) {
                cancel.run();
            }
            return done;
        }
    }

    /**
     * How one request's service calls are checked and their answers filtered for its caller: the same
     * permission checks as the REST endpoint of each call.
     */
    @FunctionalInterface
    public interface CallGuard {
        CompletableFuture<Message> call(
                Route route, Message request, Function<Message, CompletableFuture<Message>> send);

        /** Every call allowed as asked. */
        CallGuard OPEN = (route, request, send) -> send.apply(request);
    }

    /**
     * Runs one GraphQL request on behalf of {@code actor}, its calls passed through {@code guard}; its
     * service calls are cancelled by {@code inFlight}.
     */
    public CompletableFuture<ExecutionResult> execute(
            String query,
            String operationName,
            Map<String, Object> variables,
            String actor,
            CallGuard guard,
            InFlight inFlight) {
        return graphql.executeAsync(ExecutionInput.newExecutionInput()
                .query(query)
                .operationName(operationName)
                .variables(variables == null ? Map.of() : variables)
                .graphQLContext(Map.of(
                        ACTOR,
                        actor,
                        GUARD,
                        guard,
                        CALLS,
                        new AtomicInteger(),
                        BYTES,
                        new AtomicLong(),
                        SLOTS,
                        new Slots(CALLS_AT_ONCE),
                        IN_FLIGHT,
                        inFlight,
                        ResultNodesInfo.MAX_RESULT_NODES,
                        MAX_RESULT_NODES,
                        EXPERIMENTS,
                        new ConcurrentHashMap<String, CompletableFuture<Message>>()))
                .build());
    }

    private static String schema() {
        try (InputStream in = MlflowGraphql.class.getResourceAsStream("/graphql/mlflow.graphqls")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A root field: its {@code input} is the request of the gRPC method behind the REST endpoint. */
    private DataFetcher<CompletableFuture<Message>> root(MethodDescriptor<?, ?> method) {
        Route route = routes.get(method.getFullMethodName());
        if (route == null) {
            throw new IllegalStateException("No route for " + method.getFullMethodName());
        }
        return env -> call(env, route, ProtoFields.request(route.requestPrototype(), env.getArgument("input")));
    }

    private static Map<String, String> echo(DataFetchingEnvironment env) {
        Map<String, String> out = new HashMap<>();
        out.put("output", env.getArgument("inputString"));
        return out;
    }

    private CompletableFuture<Message> experimentOfRun(DataFetchingEnvironment env) {
        Run run = env.getSource();
        String id = run.getInfo().getExperimentId();
        Map<String, CompletableFuture<Message>> known = env.getGraphQlContext().get(EXPERIMENTS);
        // one call per experiment, however many of its runs a search returned
        return known.computeIfAbsent(id, key -> {
                    Route route = routes.get(
                            TrackingServiceGrpc.getGetExperimentMethod().getFullMethodName());
                    Message request = route.requestPrototype()
                            .newBuilderForType()
                            .setField(
                                    route.requestPrototype()
                                            .getDescriptorForType()
                                            .findFieldByName("experiment_id"),
                                    key)
                            .build();
                    return call(env, route, request);
                })
                .thenApply(response -> (Message)
                        response.getField(response.getDescriptorForType().findFieldByName("experiment")));
    }

    private CompletableFuture<Object> modelVersionsOfRun(DataFetchingEnvironment env) {
        Run run = env.getSource();
        Route route =
                routes.get(RegistryServiceGrpc.getSearchModelVersionsMethod().getFullMethodName());
        Message request = route.requestPrototype()
                .newBuilderForType()
                .setField(
                        route.requestPrototype().getDescriptorForType().findFieldByName("filter"),
                        "run_id = '" + run.getInfo().getRunId() + "'")
                .build();
        return call(env, route, request)
                .thenApply(response ->
                        response.getField(response.getDescriptorForType().findFieldByName("model_versions")));
    }

    /**
     * One call to a service, counted against the request's {@code max-upstream-calls} before it is
     * made; a server stream (artifact listings) is gathered into one response, as the REST endpoint
     * writes it.
     */
    private CompletableFuture<Message> call(DataFetchingEnvironment env, Route route, Message request) {
        GraphQLContext context = env.getGraphQlContext();
        AtomicInteger calls = context.get(CALLS);
        if (calls.incrementAndGet() > maxUpstreamCalls) {
            return CompletableFuture.failedFuture(new ApiException(
                    ErrorCode.INVALID_PARAMETER_VALUE,
                    "This query needs more than " + maxUpstreamCalls
                            + " calls to Skein's services; ask for fewer fields or fewer runs"));
        }
        String actor = context.get(ACTOR);
        AtomicLong bytes = context.get(BYTES);
        Slots slots = context.get(SLOTS);
        InFlight inFlight = context.get(IN_FLIGHT);
        CallGuard guard = context.get(GUARD);
        return slots.run(() -> {
                    if (inFlight.cancelled()) {
                        return CompletableFuture.failedFuture(
                                new java.util.concurrent.CancellationException("The HTTP client went away"));
                    }
                    if (bytes.get() > MAX_ANSWER_BYTES) {
                        return CompletableFuture.failedFuture(tooLarge());
                    }
                    return guard.call(route, request, allowed -> {
                        if (route.streaming()) {
                            return gather(route, allowed, actor, inFlight);
                        }
                        CompletableFuture<Message> answer =
                                upstreams.call(route, allowed, actor).subscribeAsCompletionStage();
                        // cancelling the future cancels the subscription, and with it the call
                        return inFlight.track(answer, () -> answer.cancel(false));
                    });
                })
                .thenApply(response -> {
                    if (bytes.addAndGet(response.getSerializedSize()) > MAX_ANSWER_BYTES) {
                        throw tooLarge();
                    }
                    return response;
                });
    }

    private static ApiException tooLarge() {
        return new ApiException(
                ErrorCode.INVALID_PARAMETER_VALUE,
                "This query gathers more than " + MAX_ANSWER_BYTES / (1024 * 1024)
                        + " MB from Skein's services; ask for fewer fields, runs or results");
    }

    /** A server stream (artifact listings) gathered into one response, as the REST endpoint writes it. */
    private CompletableFuture<Message> gather(Route route, Message request, String actor, InFlight inFlight) {
        CompletableFuture<Message> gathered = new CompletableFuture<>();
        Message.Builder whole = ((MethodDescriptor.PrototypeMarshaller<Message>)
                        route.method().getResponseMarshaller())
                .getMessagePrototype()
                .newBuilderForType();
        long[] size = {0};
        Runnable[] cancel = {null};
        cancel[0] = upstreams.stream(route, request, actor, new Upstreams.ChunkHandler() {
            @Override
            public void onChunk(Message chunk, Runnable next) {
                size[0] += chunk.getSerializedSize();
                if (size[0] > MAX_ANSWER_BYTES) {
                    gathered.completeExceptionally(tooLarge());
                    if (cancel[0] != null) {
                        cancel[0].run();
                    }
                    return;
                }
                whole.mergeFrom(chunk);
                next.run();
            }

            @Override
            public void onEnd() {
                gathered.complete(whole.build());
            }

            @Override
            public void onError(Throwable failure) {
                gathered.completeExceptionally(failure);
            }
        });
        return inFlight.track(gathered, cancel[0]);
    }

    /** At most {@code n} calls of one request under way; the rest start as earlier ones finish. */
    private static final class Slots {
        private final java.util.ArrayDeque<Runnable> waiting = new java.util.ArrayDeque<>();
        private int free;

        Slots(int n) {
            this.free = n;
        }

        <T> CompletableFuture<T> run(java.util.function.Supplier<CompletableFuture<T>> work) {
            CompletableFuture<T> result = new CompletableFuture<>();
            Runnable start = () -> {
                CompletableFuture<T> started;
                try {
                    started = work.get();
                } catch (RuntimeException e) {
                    started = CompletableFuture.failedFuture(e);
                }
                started.whenComplete((value, failure) -> {
                    release();
                    if (failure != null) {
                        result.completeExceptionally(failure);
                    } else {
                        result.complete(value);
                    }
                });
            };
            boolean now;
            synchronized (this) {
                now = free > 0;
                if (now) {
                    free--;
                } else {
                    waiting.add(start);
                }
            }
            if (now) {
                start.run();
            }
            return result;
        }

        private void release() {
            Runnable next;
            synchronized (this) {
                next = waiting.poll();
                if (next == null) {
                    free++;
                }
            }
            if (next != null) {
                next.run();
            }
        }
    }

    /** A failed field is null in {@code data} and its error message, as MLflow words it, in {@code errors}. */
    private static DataFetcherExceptionHandler exceptions(Function<Throwable, String> errorMessage) {
        return parameters -> {
            Throwable failure = parameters.getException();
            while (failure instanceof CompletionException && failure.getCause() != null) {
                failure = failure.getCause();
            }
            return CompletableFuture.completedFuture(DataFetcherExceptionHandlerResult.newResult()
                    .error(GraphqlErrorBuilder.newError(parameters.getDataFetchingEnvironment())
                            .message(errorMessage.apply(failure))
                            .build())
                    .build());
        };
    }

    /** MLflow's LongString: 64-bit integers written as strings; integer literals (or strings) read. */
    private static final GraphQLScalarType LONG_STRING = GraphQLScalarType.newScalar()
            .name("LongString")
            .description("A 64-bit integer written as a string, so JavaScript clients keep every digit")
            .coercing(new Coercing<Long, String>() {
                @Override
                public String serialize(Object value) {
                    return String.valueOf(value);
                }

                @Override
                public Long parseValue(Object input) {
                    try {
                        return input instanceof Number n ? n.longValue() : Long.parseLong(input.toString());
                    } catch (NumberFormatException e) {
                        throw new CoercingParseValueException("Not a 64-bit integer: " + input);
                    }
                }

                @Override
                public Long parseLiteral(Object input) {
                    try {
                        if (input instanceof IntValue i) {
                            return i.getValue().longValueExact();
                        }
                        if (input instanceof StringValue s) {
                            return Long.parseLong(s.getValue());
                        }
                    } catch (ArithmeticException | NumberFormatException e) {
                        // falls through to the refusal
                    }
                    throw new CoercingParseLiteralException("Not a 64-bit integer: " + input);
                }
            })
            .build();

    /**
     * GraphQL's Float as MLflow 2.17's server writes it (graphene on graphql-core): NaN and ±Infinity
     * cannot be a Float, so such a field is null and its error is graphql-core's own message, "Float
     * cannot represent non numeric value: nan" ({@code inf}, {@code -inf}). The REST API writes them as
     * "NaN", "Infinity" and "-Infinity", as MLflow's does. Everything else is graphql-java's Float.
     */
    static final GraphQLScalarType FLOAT = GraphQLScalarType.newScalar(Scalars.GraphQLFloat)
            .coercing(new Coercing<Double, Double>() {
                @SuppressWarnings("unchecked")
                private final Coercing<Double, Double> standard =
                        (Coercing<Double, Double>) Scalars.GraphQLFloat.getCoercing();

                @Override
                public Double serialize(Object value, GraphQLContext context, Locale locale) {
                    if (value instanceof Number n && !Double.isFinite(n.doubleValue())) {
                        double d = n.doubleValue();
                        throw new CoercingSerializeException(
                                NOT_A_FLOAT + (Double.isNaN(d) ? "nan" : d > 0 ? "inf" : "-inf"));
                    }
                    return standard.serialize(value, context, locale);
                }

                @Override
                public Double parseValue(Object input, GraphQLContext context, Locale locale) {
                    return standard.parseValue(input, context, locale);
                }

                @Override
                public Double parseLiteral(
                        Value<?> input, CoercedVariables variables, GraphQLContext context, Locale locale) {
                    return standard.parseLiteral(input, variables, context, locale);
                }

                @Override
                public Value<?> valueToLiteral(Object input, GraphQLContext context, Locale locale) {
                    return standard.valueToLiteral(input, context, locale);
                }
            })
            .build();

    /** graphql-core's words for a value that is not a finite number. */
    public static final String NOT_A_FLOAT = "Float cannot represent non numeric value: ";
}
