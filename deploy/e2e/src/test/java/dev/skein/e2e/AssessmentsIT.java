package dev.skein.e2e;

import static dev.skein.e2e.Http.api;
import static dev.skein.e2e.Http.error;
import static dev.skein.e2e.Http.newExperiment;
import static dev.skein.e2e.Http.ok;
import static org.assertj.core.api.Assertions.assertThat;

import io.restassured.http.ContentType;
import io.restassured.response.Response;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * MLflow 3's assessments against the running suite, in MLflow 3.6's raw JSON wire format, as its
 * client sends them: {@code mlflow.log_feedback} / {@code log_expectation} (CreateAssessment),
 * {@code get_assessment} (GET with query parameters), {@code update_assessment} (PATCH with a
 * lowerCamel update mask), {@code override_feedback} (a new assessment with {@code overrides}),
 * {@code delete_assessment} (DELETE with a JSON body); and the assessments answered inside the trace
 * info by get, batchGet and search.
 */
@ExtendWith(Suite.class)
class AssessmentsIT {

    private static Response v3(String method, String path, JsonObject body) {
        return api().contentType(ContentType.JSON).body(body.encode()).request(method, "/api/3.0/mlflow/" + path);
    }

    private static JsonObject location(String experimentId) {
        return new JsonObject()
                .put("type", "MLFLOW_EXPERIMENT")
                .put("mlflow_experiment", new JsonObject().put("experiment_id", experimentId));
    }

    /** A finished trace, logged as TracingClient.start_trace sends it. */
    private static String newTrace(String experimentId) {
        String id = "tr-" + UUID.randomUUID().toString().replace("-", "");
        ok(v3(
                "POST",
                "traces",
                new JsonObject()
                        .put(
                                "trace",
                                new JsonObject()
                                        .put(
                                                "trace_info",
                                                new JsonObject()
                                                        .put("trace_id", id)
                                                        .put("trace_location", location(experimentId))
                                                        .put("request_time", "2025-06-01T10:00:00Z")
                                                        .put("execution_duration", "0.250s")
                                                        .put("state", "OK")))));
        return id;
    }

    /** CreateAssessment's body as {@code message_to_json(CreateAssessment(assessment=a.to_proto()))} makes it. */
    private static JsonObject assessment(String traceId, String name, String sourceType, String sourceId) {
        return new JsonObject()
                .put("assessment_name", name)
                .put("trace_id", traceId)
                .put("source", new JsonObject().put("source_type", sourceType).put("source_id", sourceId))
                .put("create_time", "2025-06-01T10:05:00.123Z")
                .put("last_update_time", "2025-06-01T10:05:00.123Z")
                .put("valid", true);
    }

    private static Response create(String traceId, JsonObject assessment) {
        return v3("POST", "traces/" + traceId + "/assessments", new JsonObject().put("assessment", assessment));
    }

    private static Response get(String traceId, String assessmentId) {
        // the client's GET carries the request's fields as query parameters too
        return api().queryParam("trace_id", traceId)
                .queryParam("assessment_id", assessmentId)
                .get("/api/3.0/mlflow/traces/" + traceId + "/assessments/" + assessmentId);
    }

    private static JsonArray assessmentsInInfo(String traceId) {
        return ok(api().get("/api/3.0/mlflow/traces/" + traceId))
                .getJsonObject("trace")
                .getJsonObject("trace_info")
                .getJsonArray("assessments", new JsonArray());
    }

    @Test
    void shouldLogReadUpdateOverrideAndDeleteAssessmentsAsAnMlflow3ClientDoes() {
        String exp = newExperiment();
        String traceId = newTrace(exp);

        // mlflow.log_feedback(trace_id, name="correctness", value=0.5, rationale=…, source=LLM judge)
        JsonObject judged = ok(create(
                        traceId,
                        assessment(traceId, "correctness", "LLM_JUDGE", "openai:/gpt-4o")
                                .put("feedback", new JsonObject().put("value", 0.5))
                                .put("rationale", "The answer names the wrong river.")
                                .put("metadata", new JsonObject().put("mlflow.assessment.sourceRunId", "r-1"))))
                .getJsonObject("assessment");
        String judgedId = judged.getString("assessment_id");
        assertThat(judgedId).matches("a-[0-9a-f]{32}");
        assertThat(judged.getString("trace_id")).isEqualTo(traceId);
        assertThat(judged.getJsonObject("feedback").getDouble("value")).isEqualTo(0.5);
        assertThat(judged.getString("create_time")).isEqualTo("2025-06-01T10:05:00.123Z");
        assertThat(judged.getBoolean("valid")).isTrue();
        assertThat(judged.getJsonObject("source").getString("source_type")).isEqualTo("LLM_JUDGE");

        // mlflow.log_expectation(trace_id, name="expected_facts", value=["Seine", "Paris"]): serialized
        JsonObject expected = ok(create(
                        traceId,
                        assessment(traceId, "expected_facts", "HUMAN", "ann@example.com")
                                .put(
                                        "expectation",
                                        new JsonObject()
                                                .put(
                                                        "serialized_value",
                                                        new JsonObject()
                                                                .put("serialization_format", "JSON_FORMAT")
                                                                .put("value", "[\"Seine\", \"Paris\"]")))))
                .getJsonObject("assessment");
        assertThat(new JsonArray(expected.getJsonObject("expectation")
                                .getJsonObject("serialized_value")
                                .getString("value"))
                        .getList())
                .containsExactly("Seine", "Paris");

        // mlflow.get_assessment
        JsonObject read = ok(get(traceId, judgedId)).getJsonObject("assessment");
        assertThat(read).isEqualTo(judged);

        // mlflow.update_assessment(… Feedback(value=1.0), rationale): the mask as protobuf's JSON writes it
        JsonObject updated = ok(v3(
                        "PATCH",
                        "traces/" + traceId + "/assessments/" + judgedId,
                        new JsonObject()
                                .put(
                                        "assessment",
                                        new JsonObject()
                                                .put("assessment_id", judgedId)
                                                .put("trace_id", traceId)
                                                .put("feedback", new JsonObject().put("value", 1.0))
                                                .put("rationale", "Right after all."))
                                .put("update_mask", "feedback,rationale")))
                .getJsonObject("assessment");
        assertThat(updated.getJsonObject("feedback").getDouble("value")).isEqualTo(1.0);
        assertThat(updated.getString("rationale")).isEqualTo("Right after all.");
        assertThat(updated.getString("assessment_name")).isEqualTo("correctness");
        assertThat(updated.getString("create_time")).isEqualTo("2025-06-01T10:05:00.123Z");
        assertThat(updated.getString("last_update_time")).isNotEqualTo("2025-06-01T10:05:00.123Z");

        // mlflow.override_feedback: a human's verdict supersedes the judge's
        JsonObject human = ok(create(
                        traceId,
                        assessment(traceId, "correctness", "HUMAN", "bob")
                                .put("feedback", new JsonObject().put("value", false))
                                .put("overrides", judgedId)))
                .getJsonObject("assessment");
        assertThat(human.getString("overrides")).isEqualTo(judgedId);
        assertThat(ok(get(traceId, judgedId)).getJsonObject("assessment").getBoolean("valid"))
                .isFalse();

        // every MLflow 3 trace answer carries the assessments, oldest first
        JsonArray inInfo = assessmentsInInfo(traceId);
        assertThat(inInfo.stream().map(a -> ((JsonObject) a).getString("assessment_id")))
                .containsExactlyInAnyOrder(
                        judgedId, expected.getString("assessment_id"), human.getString("assessment_id"));
        JsonArray batch = ok(api().queryParam("trace_ids", traceId).get("/api/3.0/mlflow/traces/batchGet"))
                .getJsonArray("traces")
                .getJsonObject(0)
                .getJsonObject("trace_info")
                .getJsonArray("assessments");
        assertThat(batch).isEqualTo(inInfo);
        JsonArray searched = ok(v3(
                        "POST", "traces/search", new JsonObject().put("locations", new JsonArray().add(location(exp)))))
                .getJsonArray("traces")
                .getJsonObject(0)
                .getJsonArray("assessments");
        assertThat(searched).isEqualTo(inInfo);

        // mlflow.delete_assessment (a JSON body on DELETE); the judge's verdict counts again
        assertThat(ok(v3(
                        "DELETE",
                        "traces/" + traceId + "/assessments/" + human.getString("assessment_id"),
                        new JsonObject()
                                .put("trace_id", traceId)
                                .put("assessment_id", human.getString("assessment_id")))))
                .isEqualTo(new JsonObject());
        assertThat(ok(get(traceId, judgedId)).getJsonObject("assessment").getBoolean("valid"))
                .isTrue();
        assertThat(error(get(traceId, human.getString("assessment_id")))).isEqualTo("404 RESOURCE_DOES_NOT_EXIST");
        // the UI deletes under /ajax-api/
        assertThat(api().delete("/ajax-api/3.0/mlflow/traces/" + traceId + "/assessments/"
                                + expected.getString("assessment_id"))
                        .statusCode())
                .isEqualTo(200);
        assertThat(assessmentsInInfo(traceId).size()).isEqualTo(1);
    }

    @Test
    void shouldAnswerBadAssessmentsWithMlflowsErrors() {
        String exp = newExperiment();
        String traceId = newTrace(exp);

        Response unknownTrace = create(
                "tr-00000000000000000000000000000000",
                assessment("tr-00000000000000000000000000000000", "c", "HUMAN", "x")
                        .put("feedback", new JsonObject().put("value", 1)));
        assertThat(error(unknownTrace)).isEqualTo("404 RESOURCE_DOES_NOT_EXIST");
        assertThat(new JsonObject(unknownTrace.asString()).getString("message"))
                .isEqualTo("Trace with ID 'tr-00000000000000000000000000000000' not found.");

        Response noValue =
                create(traceId, assessment(traceId, "c", "HUMAN", "x").put("feedback", new JsonObject()));
        assertThat(error(noValue)).isEqualTo("400 INVALID_PARAMETER_VALUE");
        assertThat(new JsonObject(noValue.asString()).getString("message"))
                .isEqualTo("Either `value` or `error` must be provided.");
        assertThat(error(create(traceId, assessment(traceId, "c", "HUMAN", "x"))))
                .isEqualTo("400 INVALID_PARAMETER_VALUE");
        assertThat(error(create(
                        traceId,
                        assessment(traceId, "c", "NOT_A_SOURCE", "x")
                                .put("feedback", new JsonObject().put("value", 1)))))
                .isEqualTo("400 INVALID_PARAMETER_VALUE");
        assertThat(error(create(
                        traceId,
                        assessment(traceId, "c", "HUMAN", "x")
                                .put("feedback", new JsonObject().put("value", 1))
                                .put("rationale", "r".repeat(70_000)))))
                .isEqualTo("400 INVALID_PARAMETER_VALUE");
        assertThat(error(v3(
                        "PATCH",
                        "traces/" + traceId + "/assessments/a-0",
                        new JsonObject()
                                .put("assessment", new JsonObject().put("rationale", "r"))
                                .put("update_mask", "rationale"))))
                .isEqualTo("404 RESOURCE_DOES_NOT_EXIST");
        assertThat(assessmentsInInfo(traceId)).isEmpty();

        // deleting the trace deletes its assessments
        String id = ok(create(
                        traceId,
                        assessment(traceId, "c", "HUMAN", "x")
                                .put("expectation", new JsonObject().put("value", "Paris"))))
                .getJsonObject("assessment")
                .getString("assessment_id");
        ok(v3(
                "POST",
                "traces/delete-traces",
                new JsonObject().put("experiment_id", exp).put("request_ids", new JsonArray().add(traceId))));
        Response gone = get(traceId, id);
        assertThat(error(gone)).isEqualTo("404 RESOURCE_DOES_NOT_EXIST");
        assertThat(new JsonObject(gone.asString()).getString("message"))
                .isEqualTo("Trace with ID '" + traceId + "' not found.");
    }
}
