package dev.skein.gateway.transcode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.skein.common.error.ApiException;
import dev.skein.proto.tracking.v1.CreateExperiment;
import dev.skein.proto.tracking.v1.GetMetricHistoryBulkInterval;
import dev.skein.proto.tracking.v1.LogBatch;
import dev.skein.proto.tracking.v1.Metric;
import dev.skein.proto.tracking.v1.RunInfo;
import dev.skein.proto.tracking.v1.RunStatus;
import dev.skein.proto.tracking.v1.SearchRuns;
import dev.skein.proto.tracking.v1.ViewType;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TranscodeTest {

    private static LogBatch batch(String json) {
        return (LogBatch) ProtoJsonReader.read(json.getBytes(StandardCharsets.UTF_8), LogBatch.getDefaultInstance());
    }

    @Test
    void shouldReadMlflowJsonAsTheJavaAndPythonClientsSendIt() {
        LogBatch b = batch("{\"run_id\": \"r1\", \"metrics\": ["
                + "{\"key\": \"a\", \"value\": 1.5, \"timestamp\": \"1700000000000\", \"step\": 3},"
                + "{\"key\": \"b\", \"value\": \"NaN\", \"timestamp\": 1},"
                + "{\"key\": \"c\", \"value\": \"-Infinity\", \"timestamp\": 1, \"unknown\": {\"x\": [1, 2]}}],"
                + " \"params\": null, \"somethingNew\": true}");
        assertThat(b.getRunId()).isEqualTo("r1");
        assertThat(b.getMetrics(0))
                .isEqualTo(Metric.newBuilder()
                        .setKey("a")
                        .setValue(1.5)
                        .setTimestamp(1_700_000_000_000L)
                        .setStep(3)
                        .build());
        assertThat(b.getMetrics(1).getValue()).isNaN();
        assertThat(b.getMetrics(1).hasStep()).isFalse();
        assertThat(b.getMetrics(2).getValue()).isEqualTo(Double.NEGATIVE_INFINITY);
        assertThat(b.getParamsCount()).isZero();
    }

    @Test
    void shouldAcceptCamelCaseNamesAndEnumNames() {
        SearchRuns s = (SearchRuns) ProtoJsonReader.read(
                "{\"experimentIds\": [\"1\"], \"run_view_type\": \"ALL\", \"max_results\": 5.0}".getBytes(),
                SearchRuns.getDefaultInstance());
        assertThat(s.getExperimentIdsList()).containsExactly("1");
        assertThat(s.getRunViewType()).isEqualTo(ViewType.ALL);
        assertThat(s.getMaxResults()).isEqualTo(5);
    }

    @Test
    void shouldRefuseWrongTypesWithMlflowWording() {
        assertThatThrownBy(
                        () -> ProtoJsonReader.read("{\"name\": 123}".getBytes(), CreateExperiment.getDefaultInstance()))
                .isInstanceOf(ApiException.class)
                .hasMessage("Invalid value 123 for parameter 'name' supplied. Hint: Value was of type 'int'."
                        + " See the API docs for more information about request parameters.");
        for (String bad : List.of(
                "{\"run_id\": [\"a\"]}",
                "{\"metrics\": {\"key\": \"a\"}}",
                "{\"metrics\": [{\"value\": \"lots\"}]}",
                "{\"metrics\": [{\"timestamp\": 1.5}]}",
                "{\"metrics\": [{\"timestamp\": \"soon\"}]}",
                "{\"metrics\": [{\"step\": 99999999999999999999999}]}",
                "{\"metrics\": [null]}",
                "{\"metrics\": [\"a\"]}",
                "[]",
                "\"run\"",
                "{\"run_id\": \"a\"} {}",
                "{\"run_id\": \"a\"",
                "{run_id: 1}",
                "[".repeat(1000))) {
            assertThatThrownBy(() -> batch(bad)).as(bad).isInstanceOf(ApiException.class);
        }
        assertThatThrownBy(() -> ProtoJsonReader.read(
                        "{\"run_view_type\": \"SOME\"}".getBytes(), SearchRuns.getDefaultInstance()))
                .hasMessageContaining("ACTIVE_ONLY");
        assertThatThrownBy(() -> ProtoJsonReader.read(
                        "{\"max_results\": 3000000000}".getBytes(), SearchRuns.getDefaultInstance()))
                .hasMessageContaining("32-bit");
    }

    @Test
    void shouldTreatAnEmptyBodyAsAnEmptyMessage() {
        assertThat(batch("")).isEqualTo(LogBatch.getDefaultInstance());
    }

    @Test
    void shouldWriteSetFieldsOnlyWithNumbersForInt64AndNamedSpecialDoubles() {
        RunInfo info = RunInfo.newBuilder()
                .setRunId("r")
                .setStatus(RunStatus.FINISHED)
                .setStartTime(1_700_000_000_123L)
                .build();
        JsonObject json = new JsonObject(new String(ProtoJsonWriter.write(info), StandardCharsets.UTF_8));
        assertThat(json.fieldNames()).containsExactlyInAnyOrder("run_id", "status", "start_time");
        assertThat(json.getValue("start_time")).isEqualTo(1_700_000_000_123L);
        assertThat(json.getString("status")).isEqualTo("FINISHED");

        String metrics = new String(ProtoJsonWriter.write(LogBatch.newBuilder()
                .addMetrics(Metric.newBuilder().setKey("n").setValue(Double.NaN).setStep(0))
                .addMetrics(Metric.newBuilder().setKey("p").setValue(Double.POSITIVE_INFINITY))
                .addMetrics(Metric.newBuilder().setKey("z").setValue(0.0))
                .build()));
        assertThat(metrics)
                .isEqualTo("{\"metrics\":[{\"key\":\"n\",\"value\":\"NaN\",\"step\":0},"
                        + "{\"key\":\"p\",\"value\":\"Infinity\"},{\"key\":\"z\",\"value\":0.0}]}");
    }

    @Test
    void shouldMapQueryParametersWithRepeatedKeys() {
        GetMetricHistoryBulkInterval m = (GetMetricHistoryBulkInterval) QueryReader.read(
                Map.of(
                        "run_ids",
                        List.of("a", "b"),
                        "metric_key",
                        List.of("loss"),
                        "max_results",
                        List.of("7"),
                        "ignored",
                        List.of("x")),
                GetMetricHistoryBulkInterval.getDefaultInstance());
        assertThat(m.getRunIdsList()).containsExactly("a", "b");
        assertThat(m.getMetricKey()).isEqualTo("loss");
        assertThat(m.getMaxResults()).isEqualTo(7);
        assertThatThrownBy(() -> QueryReader.read(
                        Map.of("max_results", List.of("many")), GetMetricHistoryBulkInterval.getDefaultInstance()))
                .isInstanceOf(ApiException.class)
                .hasMessageContaining("max_results");
    }

    @Test
    void shouldWriteAndReadMapFieldsAsJsonObjects() {
        var state = dev.skein.events.v1.RegisteredModelState.newBuilder()
                .setName("m")
                .putTags("team", "vision")
                .putAliases("champion", "3")
                .build();
        JsonObject json = new JsonObject(new String(ProtoJsonWriter.write(state), StandardCharsets.UTF_8));
        assertThat(json.getJsonObject("tags").getMap()).containsExactly(Map.entry("team", "vision"));
        assertThat(json.getJsonObject("aliases").getString("champion")).isEqualTo("3");
        var read = ProtoJsonReader.read(ProtoJsonWriter.write(state), state.getDefaultInstanceForType());
        assertThat(read).isEqualTo(state);
    }

    @Test
    void shouldReadAndWriteMlflow3TimesAsProtobufJsonStrings() {
        dev.skein.proto.tracking.v1.StartTraceV3 start =
                (dev.skein.proto.tracking.v1.StartTraceV3) ProtoJsonReader.read(
                        ("{\"trace\": {\"trace_info\": {\"trace_id\": \"tr-1\", \"request_time\": \"2024-05-29T16:26:40.123Z\","
                                        + " \"execution_duration\": \"1.500s\", \"state\": \"OK\", \"tags\": {\"a\": \"b\"}}}}")
                                .getBytes(StandardCharsets.UTF_8),
                        dev.skein.proto.tracking.v1.StartTraceV3.getDefaultInstance());
        var info = start.getTrace().getTraceInfo();
        assertThat(info.getRequestTime().getSeconds()).isEqualTo(1_717_000_000L);
        assertThat(info.getRequestTime().getNanos()).isEqualTo(123_000_000);
        assertThat(info.getExecutionDuration().getSeconds()).isEqualTo(1);
        assertThat(info.getExecutionDuration().getNanos()).isEqualTo(500_000_000);
        JsonObject written = new JsonObject(new String(ProtoJsonWriter.write(info), StandardCharsets.UTF_8));
        assertThat(written.getString("request_time")).isEqualTo("2024-05-29T16:26:40.123Z");
        assertThat(written.getString("execution_duration")).isEqualTo("1.500s");
        assertThat(written.getJsonObject("tags").getString("a")).isEqualTo("b");
        assertThatThrownBy(() -> ProtoJsonReader.read(
                        "{\"trace\": {\"trace_info\": {\"request_time\": \"yesterday\"}}}"
                                .getBytes(StandardCharsets.UTF_8),
                        dev.skein.proto.tracking.v1.StartTraceV3.getDefaultInstance()))
                .isInstanceOf(ApiException.class)
                .hasMessageContaining("trace.trace_info.request_time");
    }

    @Test
    void shouldReadAndWriteAssessmentValuesAsTheJsonTheyHold() {
        var create = (dev.skein.proto.tracking.v1.CreateAssessment) ProtoJsonReader.read(
                ("{\"assessment\": {\"assessment_name\": \"quality\", \"feedback\": {\"value\":"
                                + " {\"score\": 4, \"tags\": [\"short\", true, null], \"note\": {\"a\": 1.5}}}}}")
                        .getBytes(StandardCharsets.UTF_8),
                dev.skein.proto.tracking.v1.CreateAssessment.getDefaultInstance());
        var value = create.getAssessment().getFeedback().getValue();
        assertThat(value.getStructValue().getFieldsOrThrow("score").getNumberValue())
                .isEqualTo(4.0);
        var tags = value.getStructValue().getFieldsOrThrow("tags").getListValue();
        assertThat(tags.getValues(0).getStringValue()).isEqualTo("short");
        assertThat(tags.getValues(1).getBoolValue()).isTrue();
        assertThat(tags.getValues(2).hasNullValue()).isTrue();

        JsonObject written = new JsonObject(new String(ProtoJsonWriter.write(create), StandardCharsets.UTF_8));
        JsonObject writtenValue =
                written.getJsonObject("assessment").getJsonObject("feedback").getJsonObject("value");
        assertThat(writtenValue.getDouble("score")).isEqualTo(4.0);
        assertThat(writtenValue.getJsonArray("tags").getList()).containsExactly("short", true, null);
        assertThat(writtenValue.getJsonObject("note").getDouble("a")).isEqualTo(1.5);
        // a scalar value, and JSON null (the value of a feedback that has an error instead)
        var scalar = (dev.skein.proto.tracking.v1.Feedback) ProtoJsonReader.read(
                "{\"value\": \"yes\"}".getBytes(StandardCharsets.UTF_8),
                dev.skein.proto.tracking.v1.Feedback.getDefaultInstance());
        assertThat(scalar.getValue().getStringValue()).isEqualTo("yes");
        var none = dev.skein.proto.tracking.v1.Feedback.newBuilder()
                .setValue(com.google.protobuf.Value.newBuilder().setNullValue(com.google.protobuf.NullValue.NULL_VALUE))
                .build();
        assertThat(new String(ProtoJsonWriter.write(none), StandardCharsets.UTF_8))
                .isEqualTo("{\"value\":null}");
    }

    @Test
    void shouldReadAFieldMaskFromItsLowerCamelStringAsMlflowsClientSendsIt() {
        var update = (dev.skein.proto.tracking.v1.UpdateAssessment) ProtoJsonReader.read(
                "{\"assessment\": {\"rationale\": \"r\"}, \"update_mask\": \"assessmentName,feedback,rationale\"}"
                        .getBytes(StandardCharsets.UTF_8),
                dev.skein.proto.tracking.v1.UpdateAssessment.getDefaultInstance());
        assertThat(update.getUpdateMask().getPathsList()).containsExactly("assessment_name", "feedback", "rationale");
        assertThat(new JsonObject(new String(ProtoJsonWriter.write(update), StandardCharsets.UTF_8))
                        .getString("update_mask"))
                .isEqualTo("assessmentName,feedback,rationale");
    }

    @Test
    void shouldSetNestedFieldsFromDottedPathParameters() {
        var create = (dev.skein.proto.tracking.v1.CreateAssessment) QueryReader.read(
                Map.of("assessment.trace_id", List.of("tr-1")),
                dev.skein.proto.tracking.v1.CreateAssessment.getDefaultInstance());
        assertThat(create.getAssessment().getTraceId()).isEqualTo("tr-1");
    }
}
