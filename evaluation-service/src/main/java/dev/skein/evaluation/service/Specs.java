package dev.skein.evaluation.service;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.skein.common.error.ApiException;
import dev.skein.evaluation.judge.Judges;
import dev.skein.proto.evaluation.v1.EvaluationSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Evaluation specs: read from a run's {@code skein.evaluate.*} tags, and checked before anything is
 * recorded. The tags (documented in the module README) carry the spec's fields by name; lists
 * ({@code probabilities}, {@code label_list}) are comma-separated or a JSON array of strings.
 */
public final class Specs {

    public static final String PREFIX = "skein.evaluate.";
    /** Set on the run when an evaluation ends: SUCCEEDED or FAILED, its id, and a failure's reason. */
    public static final String STATUS_TAG = "skein.evaluation.status";

    public static final String ID_TAG = "skein.evaluation.id";
    public static final String ERROR_TAG = "skein.evaluation.error";

    /** MLflow's text model types: targets are optional (the metrics that need them are then unavailable). */
    static final Set<String> TEXT_TYPES = Set.of("question-answering", "text-summarization", "text");

    static final List<String> MODEL_TYPES =
            List.of("classifier", "regressor", "retriever", "question-answering", "text-summarization", "text");

    static final Set<String> AVERAGES = Set.of("weighted", "macro", "micro");
    static final Set<String> FORMATS = Set.of("csv", "json", "jsonl", "parquet");
    static final int MAX_FIELD = 500;
    static final int MAX_LIST = 1000;

    private static final ObjectMapper JSON = new ObjectMapper();

    private Specs() {}

    /** The spec a run's tags ask for; empty when the run has no {@code skein.evaluate.data} tag. */
    public static Optional<EvaluationSpec> fromTags(Map<String, String> tags) {
        String data = tags.get(PREFIX + "data");
        if (data == null) {
            return Optional.empty();
        }
        EvaluationSpec.Builder b = EvaluationSpec.newBuilder().setData(data);
        text(tags, "model_type").ifPresent(b::setModelType);
        text(tags, "targets").ifPresent(b::setTargets);
        text(tags, "predictions").ifPresent(b::setPredictions);
        text(tags, "probabilities").ifPresent(v -> b.addAllProbabilities(list(v, "probabilities")));
        text(tags, "pos_label").ifPresent(b::setPosLabel);
        text(tags, "label_list").ifPresent(v -> b.addAllLabelList(list(v, "label_list")));
        text(tags, "average").ifPresent(b::setAverage);
        text(tags, "sample_weights").ifPresent(b::setSampleWeights);
        text(tags, "format").ifPresent(b::setFormat);
        text(tags, "retriever_k").ifPresent(v -> {
            try {
                b.setRetrieverK(Integer.parseInt(v.trim()));
            } catch (NumberFormatException e) {
                throw ApiException.invalidParameter(
                        "Tag " + PREFIX + "retriever_k must be a whole number, got '" + v + "'");
            }
        });
        return Optional.of(b.build());
    }

    private static Optional<String> text(Map<String, String> tags, String field) {
        return Optional.ofNullable(tags.get(PREFIX + field));
    }

    private static List<String> list(String value, String field) {
        String v = value.trim();
        List<String> out = new ArrayList<>();
        if (v.startsWith("[")) {
            JsonNode node;
            try {
                node = JSON.readTree(v);
            } catch (Exception e) {
                throw ApiException.invalidParameter("Tag " + PREFIX + field + " is not a JSON array: " + v);
            }
            for (JsonNode item : node) {
                if (!item.isValueNode() || item.isNull()) {
                    throw ApiException.invalidParameter("Tag " + PREFIX + field + " must list strings or numbers");
                }
                out.add(item.asText());
            }
            return out;
        }
        for (String part : v.split(",")) {
            if (!part.isBlank()) {
                out.add(part.trim());
            }
        }
        return out;
    }

    /** Refuses an incomplete or contradictory spec with INVALID_PARAMETER_VALUE, naming the field. */
    public static EvaluationSpec check(EvaluationSpec spec) {
        required(spec.getData(), "data");
        String type = required(spec.getModelType(), "model_type");
        if (!MODEL_TYPES.contains(type)) {
            throw ApiException.invalidParameter(
                    "model_type must be one of " + String.join(", ", MODEL_TYPES) + ", got '" + type + "'");
        }
        boolean text = TEXT_TYPES.contains(type);
        if (!text) {
            required(spec.getTargets(), "targets");
        }
        required(spec.getPredictions(), "predictions");
        checkText("spec.data", spec.getData());
        checkText("spec.targets", spec.getTargets());
        checkText("spec.predictions", spec.getPredictions());
        checkText("spec.pos_label", spec.getPosLabel());
        checkText("spec.sample_weights", spec.getSampleWeights());
        checkText("spec.format", spec.getFormat());
        checkText("spec.average", spec.getAverage());
        spec.getProbabilitiesList().forEach(c -> checkText("spec.probabilities", c));
        spec.getLabelListList().forEach(l -> checkText("spec.label_list", l));

        if (spec.getProbabilitiesCount() > MAX_LIST || spec.getLabelListCount() > MAX_LIST) {
            throw ApiException.invalidParameter("probabilities and label_list hold at most " + MAX_LIST + " entries");
        }
        if (spec.hasAverage() && !AVERAGES.contains(spec.getAverage())) {
            throw ApiException.invalidParameter(
                    "average must be weighted, macro or micro, got '" + spec.getAverage() + "'");
        }
        if (spec.hasFormat() && !FORMATS.contains(spec.getFormat().toLowerCase(Locale.ROOT))) {
            throw ApiException.invalidParameter(
                    "format must be csv, json, jsonl or parquet, got '" + spec.getFormat() + "'");
        }
        if (spec.hasRetrieverK() && spec.getRetrieverK() <= 0) {
            throw ApiException.invalidParameter("retriever_k must be a positive integer, got " + spec.getRetrieverK());
        }
        boolean classifier = type.equals("classifier");
        if (!classifier
                && (spec.getProbabilitiesCount() > 0
                        || spec.hasPosLabel()
                        || spec.getLabelListCount() > 0
                        || spec.hasAverage())) {
            throw ApiException.invalidParameter(
                    "probabilities, pos_label, label_list and average apply to classifiers only");
        }
        if ((text || type.equals("retriever")) && spec.hasSampleWeights()) {
            // MLflow's text and retriever metrics take no sample weights
            throw ApiException.invalidParameter("sample_weights apply to classifiers and regressors only");
        }
        if (!type.equals("retriever") && spec.hasRetrieverK()) {
            throw ApiException.invalidParameter("retriever_k applies to retrievers only");
        }
        if (spec.getJudgesCount() > 0) {
            if (!text) {
                throw ApiException.invalidParameter("judges apply to model_type question-answering,"
                        + " text-summarization or text (or to a prompt evaluation), not " + type);
            }
            Judges.resolve(spec.getJudgesList());
        }
        checkColMapping(spec);
        if (spec.getLabelListCount() > 0
                && spec.getProbabilitiesCount() > 1
                && spec.getLabelListCount() != spec.getProbabilitiesCount()) {
            throw ApiException.invalidParameter("probabilities names " + spec.getProbabilitiesCount()
                    + " columns but label_list has " + spec.getLabelListCount() + " labels: one column per label");
        }
        return spec;
    }

    /** col_mapping: at most 20 entries of short names. */
    static void checkColMapping(EvaluationSpec spec) {
        if (spec.getColMappingCount() > 20) {
            throw ApiException.invalidParameter("col_mapping holds at most 20 entries");
        }
        spec.getColMappingMap().forEach((k, v) -> {
            checkText("spec.col_mapping", k);
            checkText("spec.col_mapping", v);
        });
    }

    /**
     * Refuses a value longer than {@value #MAX_FIELD} characters or holding control characters (PostgreSQL
     * cannot store NUL; none belongs in a column name, a path or a label).
     */
    static void checkText(String field, String value) {
        if (value.length() > MAX_FIELD) {
            throw ApiException.invalidParameter(
                    field + " is at most " + MAX_FIELD + " characters, got " + value.length());
        }
        if (value.chars().anyMatch(Character::isISOControl)) {
            throw ApiException.invalidParameter(field + " must not hold control characters");
        }
    }

    private static String required(String value, String field) {
        if (value == null || value.isBlank()) {
            throw ApiException.invalidParameter("Missing value for required parameter 'spec." + field + "'.");
        }
        return value;
    }
}
