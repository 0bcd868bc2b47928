package dev.skein.evaluation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.protobuf.ByteString;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import dev.skein.common.error.GrpcErrors;
import dev.skein.common.testing.TestInfra;
import dev.skein.evaluation.client.LlmGatewayClient;
import dev.skein.proto.artifacts.v1.ArtifactServiceGrpc;
import dev.skein.proto.artifacts.v1.Download;
import dev.skein.proto.artifacts.v1.DownloadChunk;
import dev.skein.proto.artifacts.v1.DownloadHeader;
import dev.skein.proto.artifacts.v1.UploadChunk;
import dev.skein.proto.artifacts.v1.UploadResult;
import dev.skein.proto.common.v1.ErrorCode;
import dev.skein.proto.evaluation.v1.CreateEvaluation;
import dev.skein.proto.evaluation.v1.Evaluation;
import dev.skein.proto.evaluation.v1.EvaluationServiceGrpc.EvaluationServiceBlockingStub;
import dev.skein.proto.evaluation.v1.EvaluationSpec;
import dev.skein.proto.evaluation.v1.EvaluationStatus;
import dev.skein.proto.evaluation.v1.GetEvaluation;
import dev.skein.proto.evaluation.v1.JudgeMetric;
import dev.skein.proto.evaluation.v1.Metric;
import dev.skein.proto.evaluation.v1.PromptEvaluationSpec;
import dev.skein.proto.evaluation.v1.UnavailableMetric;
import dev.skein.proto.registry.v1.GetPromptVersion;
import dev.skein.proto.registry.v1.PromptMessage;
import dev.skein.proto.registry.v1.PromptServiceGrpc;
import dev.skein.proto.registry.v1.PromptTemplate;
import dev.skein.proto.registry.v1.PromptVersion;
import dev.skein.proto.tracking.v1.CreateRun;
import dev.skein.proto.tracking.v1.Experiment;
import dev.skein.proto.tracking.v1.GetExperiment;
import dev.skein.proto.tracking.v1.GetRun;
import dev.skein.proto.tracking.v1.LogBatch;
import dev.skein.proto.tracking.v1.Param;
import dev.skein.proto.tracking.v1.Run;
import dev.skein.proto.tracking.v1.RunData;
import dev.skein.proto.tracking.v1.RunInfo;
import dev.skein.proto.tracking.v1.RunStatus;
import dev.skein.proto.tracking.v1.RunTag;
import dev.skein.proto.tracking.v1.TrackingServiceGrpc;
import dev.skein.proto.tracking.v1.UpdateRun;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.junit.QuarkusTest;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Prompt evaluations and judges through the API, against real PostgreSQL and Kafka, with llm-gateway-service
 * impersonated by {@link LlmGatewayFake} (its wire format, deterministic answers) and tracking-, artifact- and
 * registry-service by small in-memory gRPC servers on the clients' test port (they do not run in a module test; the
 * whole suite is exercised in deploy/e2e).
 */
@QuarkusTest
class PromptEvaluationTest {

    @GrpcClient("evaluation")
    EvaluationServiceBlockingStub evaluation;

    @jakarta.inject.Inject
    dev.skein.evaluation.repository.Evaluations evaluations;

    static LlmGatewayFake gateway;
    static Server upstreams;
    static final Map<String, RunState> runs = new ConcurrentHashMap<>();
    static final Map<String, byte[]> files = new ConcurrentHashMap<>();
    static final AtomicInteger created = new AtomicInteger();
    /** The actor each CreateRun carried. */
    static final List<String> creators = new java.util.concurrent.CopyOnWriteArrayList<>();

    static final class RunState {
        final String experimentId;
        final String name;
        final Map<String, String> params = new ConcurrentHashMap<>();
        final Map<String, String> tags = new ConcurrentHashMap<>();
        final Map<String, Double> metrics = new ConcurrentHashMap<>();
        volatile RunStatus status = RunStatus.RUNNING;

        RunState(String experimentId, String name) {
            this.experimentId = experimentId;
            this.name = name;
        }
    }

    /** The fake judge's rule, applied by the test to the outputs it expects: length modulo 5, plus 1. */
    static int judged(String output) {
        return output.length() % 5 + 1;
    }

    static String between(String text, String from, String to) {
        int at = text.indexOf(from) + from.length();
        return text.substring(at, text.indexOf(to, at));
    }

    @BeforeAll
    static void start() throws Exception {
        gateway = new LlmGatewayFake(18997)
                .endpoint(
                        "alpha",
                        LlmGatewayClient.CHAT,
                        (body, nth) -> LlmGatewayFake.chat("A:" + LlmGatewayFake.text(body), 7, 3))
                .endpoint(
                        "beta",
                        LlmGatewayClient.COMPLETIONS,
                        (body, nth) -> LlmGatewayFake.completion("B:" + LlmGatewayFake.text(body)))
                .endpoint(
                        "gamma",
                        LlmGatewayClient.CHAT,
                        (body, nth) -> LlmGatewayFake.text(body).contains("sky")
                                ? LlmGatewayFake.error(503, "provider overloaded", null)
                                : LlmGatewayFake.chat("G:" + LlmGatewayFake.text(body), 5, 2))
                .endpoint("embedder", "llm/v1/embeddings", (body, nth) -> LlmGatewayFake.error(400, "no", null))
                .endpoint("judge", LlmGatewayClient.CHAT, (body, nth) -> {
                    String out = between(LlmGatewayFake.text(body), "\nOutput:\n", "\n");
                    return LlmGatewayFake.chat(
                            "score: " + judged(out) + "\njustification: length " + out.length(), 100, 9);
                })
                .endpoint("judge-json", LlmGatewayClient.COMPLETIONS, (body, nth) -> {
                    String out = between(LlmGatewayFake.text(body), "\nOutput:\n", "\n");
                    return LlmGatewayFake.completion("{\"score\": " + judged(out) + ", \"justification\": \"ok\"}");
                })
                .endpoint(
                        "prose", LlmGatewayClient.CHAT, (body, nth) -> LlmGatewayFake.chat("Looks fine to me.", 1, 1));
        ServerInterceptor actor = new ServerInterceptor() {
            @Override
            public <Q, A> ServerCall.Listener<Q> interceptCall(
                    ServerCall<Q, A> call, Metadata headers, ServerCallHandler<Q, A> next) {
                if (call.getMethodDescriptor().getFullMethodName().endsWith("CreateRun")) {
                    creators.add(headers.get(Metadata.Key.of("skein-actor", Metadata.ASCII_STRING_MARSHALLER)));
                }
                return next.startCall(call, headers);
            }
        };
        upstreams = NettyServerBuilder.forPort(18999)
                .addService(ServerInterceptors.intercept(new Tracking(), actor))
                .addService(new Artifacts())
                .addService(new Prompts())
                .build()
                .start();
    }

    @AfterAll
    static void stop() throws InterruptedException {
        gateway.close();
        upstreams.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
    }

    static final class Tracking extends TrackingServiceGrpc.TrackingServiceImplBase {
        @Override
        public void getExperiment(GetExperiment r, StreamObserver<GetExperiment.Response> out) {
            String stage =
                    switch (r.getExperimentId()) {
                        case "7" -> "active";
                        case "8" -> "deleted";
                        default -> null;
                    };
            if (stage == null) {
                out.onError(Status.NOT_FOUND.withDescription("no experiment").asRuntimeException());
                return;
            }
            out.onNext(GetExperiment.Response.newBuilder()
                    .setExperiment(Experiment.newBuilder()
                            .setExperimentId(r.getExperimentId())
                            .setLifecycleStage(stage))
                    .build());
            out.onCompleted();
        }

        @Override
        public void createRun(CreateRun r, StreamObserver<CreateRun.Response> out) {
            String id = "run" + created.incrementAndGet() + "x" + System.nanoTime();
            runs.put(id, new RunState(r.getExperimentId(), r.getRunName()));
            out.onNext(CreateRun.Response.newBuilder().setRun(run(id)).build());
            out.onCompleted();
        }

        @Override
        public void logBatch(LogBatch r, StreamObserver<LogBatch.Response> out) {
            RunState run = runs.get(r.getRunId());
            if (run == null) {
                out.onError(Status.UNAVAILABLE.asRuntimeException());
                return;
            }
            r.getParamsList().forEach(p -> run.params.put(p.getKey(), p.getValue()));
            r.getTagsList().forEach(t -> run.tags.put(t.getKey(), t.getValue()));
            r.getMetricsList().forEach(m -> run.metrics.put(m.getKey(), m.getValue()));
            out.onNext(LogBatch.Response.getDefaultInstance());
            out.onCompleted();
        }

        @Override
        public void updateRun(UpdateRun r, StreamObserver<UpdateRun.Response> out) {
            runs.get(r.getRunId()).status = r.getStatus();
            out.onNext(UpdateRun.Response.getDefaultInstance());
            out.onCompleted();
        }

        @Override
        public void getRun(GetRun r, StreamObserver<GetRun.Response> out) {
            if (!runs.containsKey(r.getRunId())) {
                // other tests' runs: unreachable, so their evaluations keep waiting
                out.onError(Status.UNAVAILABLE.asRuntimeException());
                return;
            }
            out.onNext(GetRun.Response.newBuilder().setRun(run(r.getRunId())).build());
            out.onCompleted();
        }

        private static Run run(String id) {
            RunState s = runs.get(id);
            RunData.Builder data = RunData.newBuilder();
            s.tags.forEach((k, v) -> data.addTags(RunTag.newBuilder().setKey(k).setValue(v)));
            s.params.forEach(
                    (k, v) -> data.addParams(Param.newBuilder().setKey(k).setValue(v)));
            return Run.newBuilder()
                    .setInfo(RunInfo.newBuilder()
                            .setRunId(id)
                            .setExperimentId(s.experimentId)
                            .setRunName(s.name)
                            .setStatus(s.status)
                            .setLifecycleStage("active")
                            .setArtifactUri("mlflow-artifacts:/" + s.experimentId + "/" + id + "/artifacts"))
                    .setData(data)
                    .build();
        }
    }

    static final class Artifacts extends ArtifactServiceGrpc.ArtifactServiceImplBase {
        @Override
        public StreamObserver<UploadChunk> upload(StreamObserver<UploadResult> out) {
            return new StreamObserver<>() {
                String key;
                final ByteArrayOutputStream bytes = new ByteArrayOutputStream();

                @Override
                public void onNext(UploadChunk c) {
                    if (c.hasHeader()) {
                        key = c.getHeader().getRunId() + "/" + c.getHeader().getPath();
                    }
                    bytes.writeBytes(c.getData().toByteArray());
                }

                @Override
                public void onError(Throwable t) {}

                @Override
                public void onCompleted() {
                    files.put(key, bytes.toByteArray());
                    out.onNext(UploadResult.newBuilder().setSize(bytes.size()).build());
                    out.onCompleted();
                }
            };
        }

        @Override
        public void download(Download r, StreamObserver<DownloadChunk> out) {
            byte[] content = files.get(r.getRun().getRunId() + "/" + r.getRun().getPath());
            if (content == null) {
                out.onError(Status.NOT_FOUND.asRuntimeException());
                return;
            }
            out.onNext(DownloadChunk.newBuilder()
                    .setHeader(DownloadHeader.newBuilder()
                            .setTotalSize(content.length)
                            .setLength(content.length))
                    .build());
            out.onNext(DownloadChunk.newBuilder()
                    .setData(ByteString.copyFrom(content))
                    .build());
            out.onCompleted();
        }
    }

    static final class Prompts extends PromptServiceGrpc.PromptServiceImplBase {
        @Override
        public void getPromptVersion(GetPromptVersion r, StreamObserver<GetPromptVersion.Response> out) {
            if (r.getName().equals("long") && r.getVersion().equals("1")) {
                // a text prompt longer than a param value may be (the runs log it as prompt_template)
                out.onNext(GetPromptVersion.Response.newBuilder()
                        .setPromptVersion(PromptVersion.newBuilder()
                                .setName("long")
                                .setVersion("1")
                                .setType("text")
                                .setTemplate(PromptTemplate.newBuilder().setText("{{question}} " + "x".repeat(6000))))
                        .build());
                out.onCompleted();
                return;
            }
            if (!r.getName().equals("terse")
                    || !(r.getAlias().equals("prod") || r.getVersion().equals("3"))) {
                out.onError(Status.NOT_FOUND.withDescription("no prompt").asRuntimeException());
                return;
            }
            out.onNext(GetPromptVersion.Response.newBuilder()
                    .setPromptVersion(PromptVersion.newBuilder()
                            .setName("terse")
                            .setVersion("3")
                            .setType("chat")
                            .setTemplate(PromptTemplate.newBuilder()
                                    .addMessages(PromptMessage.newBuilder()
                                            .setRole("system")
                                            .setContent("Be terse."))
                                    .addMessages(PromptMessage.newBuilder()
                                            .setRole("user")
                                            .setContent("Q: {{ question }}"))))
                    .build());
            out.onCompleted();
        }
    }

    // -- helpers

    static Struct row(String... kv) {
        Struct.Builder b = Struct.newBuilder();
        for (int i = 0; i < kv.length; i += 2) {
            b.putFields(kv[i], Value.newBuilder().setStringValue(kv[i + 1]).build());
        }
        return b.build();
    }

    static JudgeMetric judge(String name, String endpoint) {
        return JudgeMetric.newBuilder()
                .setName(name)
                .setModel("endpoints:/" + endpoint)
                .build();
    }

    static final List<Struct> ROWS = List.of(
            row("question", "What is 2+2?", "targets", "4", "context", "Arithmetic: 2+2=4."),
            row("question", "Where is Paris?", "targets", "France", "context", "Paris is in France."),
            row("question", "Why is the sky blue?", "targets", "Rayleigh scattering", "context", "Light scatters."));

    static String fails(ErrorCode code, Runnable call) {
        StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class, call::run);
        assertThat(e).as("the call fails").isNotNull();
        assertThat(GrpcErrors.errorCode(e)).as(e.getStatus().getDescription()).isEqualTo(code);
        return e.getStatus().getDescription();
    }

    Evaluation ended(String id) throws InterruptedException {
        TestInfra.await("evaluation " + id + " ends", Duration.ofSeconds(90), () -> {
            EvaluationStatus s = evaluation
                    .getEvaluation(
                            GetEvaluation.newBuilder().setEvaluationId(id).build())
                    .getEvaluation()
                    .getStatus();
            return s == EvaluationStatus.SUCCEEDED || s == EvaluationStatus.FAILED;
        });
        return evaluation
                .getEvaluation(GetEvaluation.newBuilder().setEvaluationId(id).build())
                .getEvaluation();
    }

    static Map<String, Double> metrics(Evaluation e) {
        Map<String, Double> m = new LinkedHashMap<>();
        for (Metric x : e.getMetricsList()) {
            m.put(x.getKey(), x.getValue());
        }
        return m;
    }

    static JsonNode table(String runId) throws Exception {
        return LlmGatewayFake.JSON.readTree(files.get(runId + "/eval_results_table.json"));
    }

    static List<JsonNode> column(JsonNode table, String name) {
        int at = -1;
        for (int i = 0; i < table.get("columns").size(); i++) {
            if (table.get("columns").get(i).asText().equals(name)) {
                at = i;
            }
        }
        assertThat(at).as("column " + name + " in " + table.get("columns")).isGreaterThanOrEqualTo(0);
        List<JsonNode> out = new ArrayList<>();
        for (JsonNode r : table.get("data")) {
            out.add(r.get(at));
        }
        return out;
    }

    static double mean(List<Double> v) {
        return v.stream().mapToDouble(Double::doubleValue).average().orElseThrow();
    }

    static double variance(List<Double> v) {
        double m = mean(v);
        return v.stream().mapToDouble(x -> (x - m) * (x - m)).sum() / v.size();
    }

    /**
     * Waits until the clients reach the fake upstreams: another test class's fake on the same port went away before,
     * and a gRPC channel retries a refused connection after a backoff. A missing experiment and a missing prompt are
     * then told apart from an unreachable upstream.
     */
    @org.junit.jupiter.api.BeforeEach
    void upstreamsReachable() throws InterruptedException {
        for (PromptEvaluationSpec.Builder probe : List.of(
                PromptEvaluationSpec.newBuilder().setExperimentId("99").setTemplate("x"),
                PromptEvaluationSpec.newBuilder().setExperimentId("7").setPromptUri("prompts:/missing/1"))) {
            TestInfra.await("the fake upstreams are reached", Duration.ofSeconds(60), () -> {
                try {
                    create(probe.clone().addRows(row("q", "a")).addEndpoints("alpha"), List.of());
                    return false;
                } catch (StatusRuntimeException e) {
                    return GrpcErrors.errorCode(e) == ErrorCode.RESOURCE_DOES_NOT_EXIST;
                }
            });
        }
    }

    // -- tests

    @Test
    void shouldEvaluateAPromptOverThreeEndpointsWithBuiltInAndCustomJudges() throws Exception {
        EvaluationSpec spec = EvaluationSpec.newBuilder()
                .setPrompt(PromptEvaluationSpec.newBuilder()
                        .setExperimentId("7")
                        .setTemplate("Answer briefly: {{question}}")
                        .addAllRows(ROWS)
                        .addEndpoints("alpha")
                        .addEndpoints("beta")
                        .addEndpoints("gamma")
                        .setModelParameters(Struct.newBuilder()
                                .putFields(
                                        "temperature",
                                        Value.newBuilder().setNumberValue(0.5).build())
                                .putFields(
                                        "max_tokens",
                                        Value.newBuilder().setNumberValue(50).build()))
                        .setRunName("qa"))
                .addJudges(judge("answer_similarity", "judge"))
                .addJudges(judge("faithfulness", "judge-json"))
                .addJudges(JudgeMetric.newBuilder()
                        .setName("brevity")
                        .setModel("endpoints:/judge")
                        .setDefinition("Brevity is how short the answer is.")
                        .setGradingPrompt("5: one line; 1: an essay.")
                        .addAggregations("min")
                        .addAggregations("max")
                        .addAggregations("median"))
                .build();
        CreateEvaluation.Response created = evaluation.createEvaluation(
                CreateEvaluation.newBuilder().setSpec(spec).build());
        assertThat(created.hasEvaluation()).isFalse();
        assertThat(created.getEvaluationsList()).hasSize(3).allSatisfy(e -> {
            assertThat(e.getStatus()).isEqualTo(EvaluationStatus.PENDING);
            assertThat(e.getGroupId()).isEqualTo(created.getEvaluations(0).getEvaluationId());
        });
        List<String> endpoints = List.of("alpha", "beta", "gamma");
        for (int i = 0; i < 3; i++) {
            Evaluation e = created.getEvaluations(i);
            assertThat(e.getSpec().getPrompt().getEndpointsList()).containsExactly(endpoints.get(i));
            RunState run = runs.get(e.getRunId());
            assertThat(run.name).isEqualTo("qa-" + endpoints.get(i));
            assertThat(run.experimentId).isEqualTo("7");
            assertThat(run.params)
                    .containsEntry("prompt_template", "Answer briefly: {{question}}")
                    .containsEntry("model_route", endpoints.get(i))
                    .containsEntry("temperature", "0.5")
                    .containsEntry("max_tokens", "50");
            assertThat(run.tags)
                    .containsEntry("mlflow.runSourceType", "PROMPT_ENGINEERING")
                    .containsEntry("skein.evaluation.group", e.getGroupId());
        }

        Map<String, String> prefix = Map.of("alpha", "A:", "beta", "B:", "gamma", "G:");
        for (int i = 0; i < 3; i++) {
            String endpoint = endpoints.get(i);
            Evaluation e = ended(created.getEvaluations(i).getEvaluationId());
            assertThat(e.getStatus()).as(e.getStatusMessage()).isEqualTo(EvaluationStatus.SUCCEEDED);
            assertThat(e.getRowCount()).isEqualTo(3);
            assertThat(runs.get(e.getRunId()).status).isEqualTo(RunStatus.FINISHED);
            JsonNode table = table(e.getRunId());
            assertThat(table.get("columns").get(0).asText()).isEqualTo("question");
            assertThat(column(table, "inputs").get(1).asText()).isEqualTo("Answer briefly: Where is Paris?");

            // what the test expects each row's output and judge scores to be
            List<String> outputs = new ArrayList<>();
            for (Struct r : ROWS) {
                String q = r.getFieldsOrThrow("question").getStringValue();
                boolean fails = endpoint.equals("gamma") && q.contains("sky");
                outputs.add(fails ? null : prefix.get(endpoint) + "Answer briefly: " + q);
            }
            List<JsonNode> outs = column(table, "outputs");
            List<JsonNode> errors = column(table, "error");
            for (int r = 0; r < 3; r++) {
                if (outputs.get(r) == null) {
                    assertThat(outs.get(r).isNull()).isTrue();
                    assertThat(errors.get(r).asText())
                            .contains("HTTP 503: provider overloaded")
                            .contains("after 3 attempts");
                } else {
                    assertThat(outs.get(r).asText()).isEqualTo(outputs.get(r));
                    assertThat(errors.get(r).isNull()).isTrue();
                }
            }
            List<Double> scores = outputs.stream()
                    .filter(o -> o != null)
                    .map(o -> (double) judged(o))
                    .toList();
            Map<String, Double> m = metrics(e);
            for (String key : List.of("answer_similarity/v1", "faithfulness/v1")) {
                List<JsonNode> perRow = column(table, key + "/score");
                for (int r = 0; r < 3; r++) {
                    if (outputs.get(r) == null) {
                        assertThat(perRow.get(r).isNull()).isTrue();
                        assertThat(column(table, key + "/justification").get(r).asText())
                                .startsWith("Not judged: the endpoint's call failed");
                    } else {
                        assertThat(perRow.get(r).asDouble()).isEqualTo(judged(outputs.get(r)));
                    }
                }
                assertThat(m.get(key + "/mean")).isCloseTo(mean(scores), within(1e-9));
                assertThat(m.get(key + "/variance")).isCloseTo(variance(scores), within(1e-9));
                assertThat(m).containsKey(key + "/p90");
            }
            List<Double> sorted = scores.stream().sorted().toList();
            assertThat(m.get("brevity/v1/min")).isEqualTo(sorted.get(0));
            assertThat(m.get("brevity/v1/max")).isEqualTo(sorted.get(sorted.size() - 1));
            assertThat(m.get("brevity/v1/median"))
                    .isCloseTo(
                            sorted.size() % 2 == 1
                                    ? sorted.get(sorted.size() / 2)
                                    : (sorted.get(sorted.size() / 2 - 1) + sorted.get(sorted.size() / 2)) / 2,
                            within(1e-9));
            assertThat(m).doesNotContainKey("brevity/v1/mean");
            assertThat(m.get("failed_rows")).isEqualTo(endpoint.equals("gamma") ? 1.0 : 0.0);
            assertThat(m).containsKeys("latency/mean", "latency/variance", "latency/p90");
            if (endpoint.equals("alpha")) {
                assertThat(m.get("total_tokens/sum")).isEqualTo(30.0);
                assertThat(column(table, "token_count"))
                        .allSatisfy(t -> assertThat(t.asDouble()).isEqualTo(3.0));
            }
            if (endpoint.equals("beta")) {
                // no usage from the provider: tiktoken's count of the output, and no token sums
                assertThat(m).doesNotContainKey("total_tokens/sum");
                assertThat(column(table, "token_count").get(0).asInt()).isPositive();
            }
            // what was logged to the run is what the evaluation reports
            assertThat(runs.get(e.getRunId()).metrics).containsAllEntriesOf(m);
        }
        // every call as the user who started it; the judges' calls carry MLflow's default parameters
        assertThat(gateway.calls).allSatisfy(c -> assertThat(c.actor()).isNull());
        assertThat(gateway.calls.stream()
                        .filter(c -> c.endpoint().equals("alpha")
                                && LlmGatewayFake.text(c.body()).startsWith("Answer briefly:")))
                .hasSize(3)
                .allSatisfy(
                        c -> assertThat(c.body().path("temperature").asDouble()).isEqualTo(0.5));
        assertThat(gateway.calls.stream().filter(c -> c.endpoint().equals("judge")))
                .allSatisfy(c -> assertThat(c.body().path("max_tokens").asInt()).isEqualTo(200));
    }

    @Test
    void shouldEvaluateARegisteredChatPromptPinnedToItsVersion() throws Exception {
        CreateEvaluation.Response created = evaluation.createEvaluation(CreateEvaluation.newBuilder()
                .setSpec(EvaluationSpec.newBuilder()
                        .setPrompt(PromptEvaluationSpec.newBuilder()
                                .setExperimentId("7")
                                .setPromptUri("prompts:/terse@prod")
                                .addRows(row("question", "Capital of Italy?"))
                                .addEndpoints("alpha")))
                .build());
        Evaluation e = ended(created.getEvaluations(0).getEvaluationId());
        assertThat(e.getStatus()).as(e.getStatusMessage()).isEqualTo(EvaluationStatus.SUCCEEDED);
        assertThat(e.getSpec().getPrompt().getPromptUri()).isEqualTo("prompts:/terse/3");
        assertThat(runs.get(e.getRunId()).tags).containsEntry("skein.prompt.uri", "prompts:/terse/3");
        assertThat(runs.get(e.getRunId()).name).isEqualTo("prompt-eval-alpha");
        JsonNode sent = gateway.calls.stream()
                .filter(c -> c.endpoint().equals("alpha")
                        && LlmGatewayFake.text(c.body()).equals("Q: Capital of Italy?"))
                .findFirst()
                .orElseThrow()
                .body();
        assertThat(sent.path("messages").size()).isEqualTo(2);
        assertThat(sent.path("messages").get(0).path("content").asText()).isEqualTo("Be terse.");
        assertThat(column(table(e.getRunId()), "outputs").get(0).asText()).isEqualTo("A:Q: Capital of Italy?");
    }

    @Test
    void shouldRefuseATemplateWithAMissingVariableBeforeAnythingIsMade() {
        int before = created.get();
        String message = fails(
                ErrorCode.INVALID_PARAMETER_VALUE,
                () -> evaluation.createEvaluation(CreateEvaluation.newBuilder()
                        .setSpec(EvaluationSpec.newBuilder()
                                .setPrompt(PromptEvaluationSpec.newBuilder()
                                        .setExperimentId("7")
                                        .setTemplate("{{question}} in a {{ tone }} tone")
                                        .addRows(row("question", "a", "tone", "dry"))
                                        .addRows(row("question", "b"))
                                        .addEndpoints("alpha")))
                        .build()));
        assertThat(message).contains("'tone'").contains("row 1");
        // a chat prompt's variables are checked message by message, after it is read from the registry
        message = fails(
                ErrorCode.INVALID_PARAMETER_VALUE,
                () -> evaluation.createEvaluation(CreateEvaluation.newBuilder()
                        .setSpec(EvaluationSpec.newBuilder()
                                .setPrompt(PromptEvaluationSpec.newBuilder()
                                        .setExperimentId("7")
                                        .setPromptUri("prompts:/terse/3")
                                        .addRows(row("topic", "a"))
                                        .addEndpoints("alpha")))
                        .build()));
        assertThat(message).contains("'question'").contains("row 0");
        assertThat(created.get()).isEqualTo(before);
    }

    @Test
    void shouldRefuseBadPromptSpecsBeforeAnythingIsMade() {
        int before = created.get();
        PromptEvaluationSpec.Builder good = PromptEvaluationSpec.newBuilder()
                .setExperimentId("7")
                .setTemplate("{{question}}")
                .addRows(row("question", "a"))
                .addEndpoints("alpha");
        assertThat(fails(
                        ErrorCode.RESOURCE_DOES_NOT_EXIST,
                        () -> create(good.clone().addEndpoints("nowhere"), List.of())))
                .contains("'nowhere' does not exist");
        assertThat(fails(
                        ErrorCode.INVALID_PARAMETER_VALUE,
                        () -> create(good.clone().addEndpoints("embedder"), List.of())))
                .contains("llm/v1/embeddings");
        assertThat(fails(
                        ErrorCode.INVALID_PARAMETER_VALUE,
                        () -> create(
                                good.clone(),
                                List.of(JudgeMetric.newBuilder()
                                        .setName("answer_relevance")
                                        .setModel("openai:/gpt-4")
                                        .build()))))
                .contains("'openai:/gpt-4' is not supported")
                .contains("endpoints:/");
        assertThat(fails(
                        ErrorCode.RESOURCE_DOES_NOT_EXIST,
                        () -> create(good.clone(), List.of(judge("answer_relevance", "ghost")))))
                .contains("'ghost'");
        assertThat(fails(
                        ErrorCode.INVALID_PARAMETER_VALUE,
                        () -> create(good.clone(), List.of(judge("relevance", "judge")))))
                .contains("'context'");
        PromptEvaluationSpec.Builder many = good.clone().clearRows();
        for (int i = 0; i < 1001; i++) {
            many.addRows(row("question", "q" + i));
        }
        assertThat(fails(ErrorCode.INVALID_PARAMETER_VALUE, () -> create(many, List.of())))
                .contains("1 to 1000 rows");
        List<JudgeMetric> eleven = new ArrayList<>();
        for (int i = 0; i < 11; i++) {
            eleven.add(JudgeMetric.newBuilder()
                    .setName("j" + i)
                    .setModel("endpoints:/judge")
                    .setDefinition("d")
                    .setGradingPrompt("g")
                    .build());
        }
        assertThat(fails(ErrorCode.INVALID_PARAMETER_VALUE, () -> create(good.clone(), eleven)))
                .contains("at most 10 judges");
        assertThat(fails(
                        ErrorCode.INVALID_PARAMETER_VALUE,
                        () -> create(good.clone().setPromptUri("prompts:/terse/3"), List.of())))
                .contains("exactly one");
        assertThat(fails(
                        ErrorCode.RESOURCE_DOES_NOT_EXIST,
                        () -> create(good.clone().setExperimentId("99"), List.of())))
                .contains("99");
        assertThat(fails(ErrorCode.INVALID_STATE, () -> create(good.clone().setExperimentId("8"), List.of())))
                .contains("active");
        assertThat(fails(
                        ErrorCode.RESOURCE_DOES_NOT_EXIST,
                        () -> create(good.clone().clearTemplate().setPromptUri("prompts:/missing/1"), List.of())))
                .contains("prompts:/missing/1");
        assertThat(fails(
                        ErrorCode.INVALID_PARAMETER_VALUE,
                        () -> create(
                                good.clone()
                                        .clearRows()
                                        .addRows(Struct.newBuilder()
                                                .putFields(
                                                        "question",
                                                        Value.newBuilder()
                                                                .setListValue(
                                                                        com.google.protobuf.ListValue
                                                                                .getDefaultInstance())
                                                                .build())),
                                List.of())))
                .contains("rows[0].question")
                .contains("list");
        // rows × endpoints × (1 + judges) LLM calls: 1000 × 10 × 3 = 30,000 > 20,000
        PromptEvaluationSpec.Builder costly = many.clone().clearRows();
        for (int i = 0; i < 1000; i++) {
            costly.addRows(row("question", "q" + i));
        }
        for (int i = 0; i < 9; i++) {
            costly.addEndpoints("e" + i);
        }
        assertThat(fails(
                        ErrorCode.INVALID_PARAMETER_VALUE,
                        () -> create(
                                costly,
                                List.of(judge("answer_relevance", "judge"), judge("answer_similarity", "judge")))))
                .contains("30000 LLM calls")
                .contains("at most 20000");
        // the template is logged as the runs' prompt_template param (at most 6000 characters), inline or registered
        assertThat(fails(
                        ErrorCode.INVALID_PARAMETER_VALUE,
                        () -> create(good.clone().setTemplate("{{question}} " + "x".repeat(6000)), List.of())))
                .contains("spec.prompt.template")
                .contains("prompt_template");
        assertThat(fails(
                        ErrorCode.INVALID_PARAMETER_VALUE,
                        () -> create(good.clone().clearTemplate().setPromptUri("prompts:/long/1"), List.of())))
                .contains("prompts:/long/1")
                .contains("prompt_template");
        // the rendered prompt is bounded per row (values filled in) and over all rows, before anything is made
        String half = "h".repeat(60_000);
        assertThat(fails(
                        ErrorCode.INVALID_PARAMETER_VALUE,
                        () -> create(
                                good.clone()
                                        .setTemplate("{{question}} and {{ question }}")
                                        .clearRows()
                                        .addRows(row("question", "short"))
                                        .addRows(row("question", half)),
                                List.of())))
                .contains("spec.prompt.rows[1]")
                .contains("120005 characters");
        // a short template that uses a variable often: each row renders to 100,000 characters, 200 rows to 20 M
        PromptEvaluationSpec.Builder large =
                good.clone().setTemplate("{{q}}".repeat(1000)).clearRows();
        String hundred = "f".repeat(100);
        for (int i = 0; i < 200; i++) {
            large.addRows(row("q", hundred));
        }
        assertThat(fails(ErrorCode.INVALID_PARAMETER_VALUE, () -> create(large, List.of())))
                .contains("more than 16777216 characters together")
                .contains("spec.prompt.rows[167]");
        // model parameters are logged as params: MLflow's key rules
        assertThat(fails(
                        ErrorCode.INVALID_PARAMETER_VALUE,
                        () -> create(
                                good.clone()
                                        .setModelParameters(Struct.newBuilder()
                                                .putFields(
                                                        "../top_p",
                                                        Value.newBuilder()
                                                                .setNumberValue(0.5)
                                                                .build())),
                                List.of())))
                .contains("../top_p");
        // stream and n would change the answer's shape: refused for the prompt and for a judge
        for (String k : List.of("stream", "n", "messages")) {
            Struct one = Struct.newBuilder()
                    .putFields(k, Value.newBuilder().setBoolValue(true).build())
                    .build();
            assertThat(fails(
                            ErrorCode.INVALID_PARAMETER_VALUE,
                            () -> create(good.clone().setModelParameters(one), List.of())))
                    .contains("spec.prompt.model_parameters must not set '" + k + "'");
            assertThat(fails(
                            ErrorCode.INVALID_PARAMETER_VALUE,
                            () -> create(
                                    good.clone(),
                                    List.of(judge("answer_relevance", "judge").toBuilder()
                                            .setParameters(one)
                                            .build()))))
                    .contains("parameters must not set '" + k + "'");
        }
        assertThat(created.get()).isEqualTo(before);
    }

    @Test
    void shouldRefuseAUsersEleventhWaitingLlmEvaluationWithRequestLimitExceeded() {
        int before = created.get();
        // ten prompt evaluations of this (anonymous) user waiting: not due for a long while, so the queue leaves them
        long later = System.currentTimeMillis() + Duration.ofDays(365).toMillis();
        try {
            for (int i = 0; i < 10; i++) {
                waiting(java.util.UUID.randomUUID(), later);
            }
            PromptEvaluationSpec.Builder good = PromptEvaluationSpec.newBuilder()
                    .setExperimentId("7")
                    .setTemplate("{{question}}")
                    .addRows(row("question", "a"))
                    .addEndpoints("alpha");
            assertThat(fails(ErrorCode.REQUEST_LIMIT_EXCEEDED, () -> create(good, List.of())))
                    .contains("at most 10 at once");
            // an evaluation of a table with judges is bounded with them
            assertThat(fails(
                            ErrorCode.REQUEST_LIMIT_EXCEEDED,
                            () -> evaluation.createEvaluation(CreateEvaluation.newBuilder()
                                    .setRunId("any")
                                    .setSpec(EvaluationSpec.newBuilder()
                                            .setData("eval/qa.csv")
                                            .setModelType("question-answering")
                                            .setTargets("truth")
                                            .setPredictions("answer")
                                            .putColMapping("inputs", "question")
                                            .addJudges(judge("answer_relevance", "judge")))
                                    .build())))
                    .contains("at most 10 at once");
            assertThat(created.get()).isEqualTo(before);
        } finally {
            evaluations
                    .pool()
                    .preparedQuery("DELETE FROM evaluation.evaluations WHERE not_before = $1")
                    .execute(io.vertx.mutiny.sqlclient.Tuple.of(later))
                    .await()
                    .atMost(Duration.ofSeconds(30));
        }
    }

    @Test
    void shouldKeepARenewedClaimAndStopTheAttemptThatLostIt() {
        // a waiting evaluation not due for a long while (the service's own queue leaves it), claimed "then"
        long later = System.currentTimeMillis() + Duration.ofDays(365).toMillis();
        java.util.UUID id = java.util.UUID.randomUUID();
        try {
            waiting(id, later);
            var first = evaluations.claim(later, later + 1000, 10).await().atMost(Duration.ofSeconds(30));
            assertThat(first).extracting(EvaluationRecord::id).contains(id);
            int attempt = first.stream()
                    .filter(r -> r.id().equals(id))
                    .findFirst()
                    .orElseThrow()
                    .attempts();
            // renewed past the first lease: a claim when that lease would have run out does not take it
            assertThat(evaluations.renew(id, attempt, later + 10_000).await().atMost(Duration.ofSeconds(30)))
                    .isTrue();
            assertThat(evaluations.claim(later + 5000, later + 6000, 10).await().atMost(Duration.ofSeconds(30)))
                    .extracting(EvaluationRecord::id)
                    .doesNotContain(id);
            assertThat(evaluations.holds(id, attempt).await().atMost(Duration.ofSeconds(30)))
                    .isTrue();
            // once the renewed lease ran out, another claim takes it: the first attempt can neither renew nor write
            var second = evaluations
                    .claim(later + 20_000, later + 30_000, 10)
                    .await()
                    .atMost(Duration.ofSeconds(30));
            assertThat(second).extracting(EvaluationRecord::id).contains(id);
            assertThat(evaluations.renew(id, attempt, later + 40_000).await().atMost(Duration.ofSeconds(30)))
                    .isFalse();
            assertThat(evaluations.holds(id, attempt).await().atMost(Duration.ofSeconds(30)))
                    .isFalse();
            assertThat(evaluations.holds(id, attempt + 1).await().atMost(Duration.ofSeconds(30)))
                    .isTrue();
        } finally {
            evaluations
                    .pool()
                    .preparedQuery("DELETE FROM evaluation.evaluations WHERE evaluation_id = $1")
                    .execute(io.vertx.mutiny.sqlclient.Tuple.of(id))
                    .await()
                    .atMost(Duration.ofSeconds(30));
        }
    }

    /** A waiting evaluation of its own group, not due before {@code notBefore}. */
    private void waiting(java.util.UUID id, long notBefore) {
        evaluations
                .pool()
                .withTransaction(conn -> evaluations.insertInGroup(
                        conn,
                        id,
                        "waiting-" + id,
                        EvaluationSpec.newBuilder().setModelType("text").build(),
                        null,
                        id,
                        notBefore))
                .await()
                .atMost(Duration.ofSeconds(30));
    }

    private void create(PromptEvaluationSpec.Builder prompt, List<JudgeMetric> judges) {
        evaluation.createEvaluation(CreateEvaluation.newBuilder()
                .setSpec(EvaluationSpec.newBuilder().setPrompt(prompt).addAllJudges(judges))
                .build());
    }

    @Test
    void shouldJudgeAStaticQuestionAnsweringTableAndReportAnUnreadableJudge() throws Exception {
        String runId = "qa-run-" + System.nanoTime();
        runs.put(runId, new RunState("7", "qa"));
        files.put(
                runId + "/eval/qa.csv",
                ("question,truth,answer\n"
                                + "What is 2+2?,four,four\n"
                                + "Where is Paris?,France,In France\n"
                                + "Largest planet?,Jupiter,Saturn\n")
                        .getBytes(StandardCharsets.UTF_8));
        Evaluation e = evaluation
                .createEvaluation(CreateEvaluation.newBuilder()
                        .setRunId(runId)
                        .setSpec(EvaluationSpec.newBuilder()
                                .setData("eval/qa.csv")
                                .setModelType("question-answering")
                                .setTargets("truth")
                                .setPredictions("answer")
                                .putColMapping("inputs", "question")
                                .addJudges(judge("answer_correctness", "judge"))
                                .addJudges(judge("answer_relevance", "prose")))
                        .build())
                .getEvaluation();
        e = ended(e.getEvaluationId());
        assertThat(e.getStatus()).as(e.getStatusMessage()).isEqualTo(EvaluationStatus.SUCCEEDED);
        Map<String, Double> m = metrics(e);
        List<Double> scores = List.of((double) judged("four"), (double) judged("In France"), (double) judged("Saturn"));
        assertThat(m.get("answer_correctness/v1/mean")).isCloseTo(mean(scores), within(1e-9));
        assertThat(m.get("answer_correctness/v1/variance")).isCloseTo(variance(scores), within(1e-9));
        assertThat(m.get("exact_match/v1")).isCloseTo(1.0 / 3, within(1e-9));
        assertThat(m)
                .doesNotContainKeys(
                        "answer_relevance/v1/mean", "answer_relevance/v1/variance", "answer_relevance/v1/p90");
        Map<String, String> unavailable = new LinkedHashMap<>();
        for (UnavailableMetric u : e.getUnavailableMetricsList()) {
            unavailable.put(u.getKey(), u.getReason());
        }
        assertThat(unavailable.get("answer_relevance/v1/mean"))
                .contains("no row has a score")
                .contains("Raw output: Looks fine to me.");
        JsonNode table = table(runId);
        assertThat(column(table, "answer_correctness/v1/score").stream()
                        .map(JsonNode::asDouble)
                        .toList())
                .isEqualTo(scores);
        assertThat(column(table, "answer_relevance/v1/score"))
                .allSatisfy(s -> assertThat(s.isNull()).isTrue());
        assertThat(column(table, "answer_relevance/v1/justification"))
                .allSatisfy(s -> assertThat(s.asText()).startsWith("Failed to extract score and justification."));
        // the judge saw the input through col_mapping and the targets as its grading context
        String prompt = gateway.calls.stream()
                .filter(c -> c.endpoint().equals("judge")
                        && LlmGatewayFake.text(c.body()).contains("Largest planet?"))
                .map(c -> LlmGatewayFake.text(c.body()))
                .findFirst()
                .orElseThrow();
        assertThat(prompt)
                .contains("Input:\nLargest planet?")
                .contains("Output:\nSaturn")
                .contains("key: targets\nvalue:\nJupiter");
    }

    @Test
    void shouldRefuseJudgesOnATableOfAnotherModelType() {
        assertThat(fails(
                        ErrorCode.INVALID_PARAMETER_VALUE,
                        () -> evaluation.createEvaluation(CreateEvaluation.newBuilder()
                                .setRunId("any")
                                .setSpec(EvaluationSpec.newBuilder()
                                        .setData("eval/t.csv")
                                        .setModelType("classifier")
                                        .setTargets("y")
                                        .setPredictions("p")
                                        .addJudges(judge("answer_relevance", "judge")))
                                .build())))
                .contains("judges apply to model_type question-answering");
    }
}
