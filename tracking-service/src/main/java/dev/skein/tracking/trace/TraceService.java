package dev.skein.tracking.trace;

import dev.skein.common.error.ApiException;
import dev.skein.common.paging.PageToken;
import dev.skein.common.paging.ResultPage;
import dev.skein.common.search.SearchParser;
import dev.skein.common.validation.Inputs;
import dev.skein.tracking.KeyValue;
import dev.skein.tracking.config.TrackingConfig;
import dev.skein.tracking.service.ExperimentService;
import dev.skein.tracking.service.Ids;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Pattern;

/** MLflow Tracing's trace records (MLflow 2.17's SQL store): rules, messages and the artifact location. */
@ApplicationScoped
public class TraceService {

    static final int MAX_SEARCH_RESULTS = 500;
    static final int MAX_TAG_KEY_LENGTH = 250;
    static final int MAX_TAG_VALUE_LENGTH = 8000;

    private final TraceRepository traces;
    private final ExperimentService experiments;
    private final TrackingConfig.Traces config;

    public TraceService(TraceRepository traces, ExperimentService experiments, TrackingConfig config) {
        this.traces = traces;
        this.experiments = experiments;
        this.config = config.traces();
    }

    /**
     * A new IN_PROGRESS trace in an active experiment. Its spans go to {@code
     * <experiment artifact location>/traces/<request_id>/artifacts}, recorded in tag {@value
     * TraceInfo#ARTIFACT_LOCATION}.
     */
    public Uni<TraceInfo> start(
            String experimentId, long timestampMs, List<KeyValue> requestMetadata, List<KeyValue> tags) {
        Map<String, String> metadata = entries(requestMetadata, "request_metadata");
        Map<String, String> allTags = entries(tags, "tags");
        return experiments.active(experimentId).flatMap(e -> {
            String requestId = UUID.randomUUID().toString().replace("-", "");
            allTags.put(TraceInfo.ARTIFACT_LOCATION, artifactLocation(e.artifactLocation, requestId));
            TraceInfo trace = new TraceInfo(
                    requestId, e.id, timestampMs, null, TraceInfo.IN_PROGRESS, list(metadata), list(allTags));
            return traces.insert(trace).replaceWith(trace);
        });
    }

    /** {@code <location>/traces/<request_id>/artifacts}, appended as MLflow appends to a URI. */
    static String artifactLocation(String experimentLocation, String requestId) {
        String root = experimentLocation.endsWith("/") ? experimentLocation : experimentLocation + "/";
        return root + "traces/" + requestId + "/artifacts";
    }

    public Uni<TraceInfo> end(
            String requestId, long timestampMs, String status, List<KeyValue> requestMetadata, List<KeyValue> tags) {
        Map<String, String> metadata = entries(requestMetadata, "request_metadata");
        Map<String, String> newTags = entries(tags, "tags");
        // MLflow's client drops its immutable tags before ending a trace; the server keeps its own
        newTags.remove(TraceInfo.ARTIFACT_LOCATION);
        return traces.end(requestId, timestampMs, status, list(metadata), list(newTags))
                .flatMap(found -> {
                    if (!found) {
                        throw notFound(requestId);
                    }
                    return get(requestId);
                });
    }

    public Uni<TraceInfo> get(String requestId) {
        return traces.find(requestId).map(trace -> {
            if (trace == null) {
                throw notFound(requestId);
            }
            return trace;
        });
    }

    public Uni<ResultPage<TraceInfo>> search(
            List<String> experimentIds, String filter, int maxResults, List<String> orderBy, String pageToken) {
        return search(TraceGrammar.TRACES, experimentIds, filter, maxResults, orderBy, pageToken);
    }

    /** MLflow 3's search: the same, and filters on spans ({@code span.name}, {@code span.type}, {@code span.status}). */
    public Uni<ResultPage<TraceInfo>> searchV3(
            List<String> experimentIds, String filter, int maxResults, List<String> orderBy, String pageToken) {
        if (experimentIds.isEmpty()) {
            throw ApiException.missing("locations");
        }
        return search(TraceGrammar.TRACES_V3, experimentIds, filter, maxResults, orderBy, pageToken);
    }

    private Uni<ResultPage<TraceInfo>> search(
            dev.skein.common.search.Grammar grammar,
            List<String> experimentIds,
            String filter,
            int maxResults,
            List<String> orderBy,
            String pageToken) {
        if (experimentIds.isEmpty()) {
            throw ApiException.missing("experiment_ids");
        }
        if (maxResults < 1) {
            throw ApiException.invalidParameter("Invalid value " + maxResults
                    + " for parameter 'max_results' supplied. It must be a positive integer");
        }
        if (maxResults > MAX_SEARCH_RESULTS) {
            throw ApiException.invalidParameter("Invalid value " + maxResults
                    + " for parameter 'max_results' supplied. It must be at most " + MAX_SEARCH_RESULTS);
        }
        var comparisons = SearchParser.parseFilter(grammar, filter);
        var order = SearchParser.parseOrderBy(grammar, orderBy);
        long offset = PageToken.decodeOffset(pageToken);
        List<Long> ids = numericIds(experimentIds);
        if (ids.isEmpty()) {
            return Uni.createFrom().item(new ResultPage<>(List.of(), null));
        }
        return traces.search(TraceSearchSql.build(ids.toArray(Long[]::new), comparisons, order, maxResults + 1, offset))
                .map(found -> {
                    boolean more = found.size() > maxResults;
                    return new ResultPage<>(
                            more ? found.subList(0, maxResults) : found,
                            more ? PageToken.encode(offset + maxResults) : null);
                });
    }

    /** The ids that can be experiments' (no experiment has a non-numeric id: such an id matches nothing). */
    private static List<Long> numericIds(List<String> experimentIds) {
        List<Long> ids = new ArrayList<>();
        for (String e : experimentIds) {
            try {
                ids.add(Long.parseLong(e));
            } catch (NumberFormatException notOurs) {
                // matches nothing
            }
        }
        return ids;
    }

    /**
     * Deletes an experiment's traces by id, or by age ({@code max_timestamp_millis}, optionally at
     * most {@code max_traces}, oldest first), with MLflow's rules on which combinations are allowed.
     */
    public Uni<Integer> delete(String experimentId, Long maxTimestampMs, Integer maxTraces, List<String> requestIds) {
        Inputs.required(experimentId, "experiment_id");
        if (maxTimestampMs == null && requestIds.isEmpty()) {
            throw ApiException.invalidParameter("Either `max_timestamp_millis` or `request_ids` must be specified.");
        }
        if (maxTimestampMs != null && !requestIds.isEmpty()) {
            throw ApiException.invalidParameter(
                    "Only one of `max_timestamp_millis` and `request_ids` can be specified.");
        }
        if (!requestIds.isEmpty() && maxTraces != null) {
            throw ApiException.invalidParameter("`max_traces` can't be specified if `request_ids` is specified.");
        }
        if (maxTraces != null && maxTraces <= 0) {
            throw ApiException.invalidParameter("`max_traces` must be a positive integer, received " + maxTraces + ".");
        }
        long id;
        try {
            id = Long.parseLong(experimentId);
        } catch (NumberFormatException notOurs) {
            return Uni.createFrom().item(0);
        }
        return traces.delete(id, maxTimestampMs, maxTraces, requestIds);
    }

    public Uni<Void> setTag(String requestId, String key, String value) {
        Inputs.required(key, "key");
        Inputs.key("Tag", key);
        Inputs.length("Trace tag key", key, MAX_TAG_KEY_LENGTH);
        immutable(key, "set");
        String stored = value != null && value.length() > MAX_TAG_VALUE_LENGTH
                ? value.substring(0, MAX_TAG_VALUE_LENGTH)
                : value;
        return traces.setTag(requestId, key, stored).map(found -> {
            if (!found) {
                throw notFound(requestId);
            }
            return null;
        });
    }

    public Uni<Void> deleteTag(String requestId, String key) {
        Inputs.required(key, "key");
        immutable(key, "deleted");
        return traces.deleteTag(requestId, key).map(found -> {
            if (!found) {
                throw ApiException.notFound(
                        "No trace tag with key '" + key + "' for trace with request_id '" + requestId + "'");
            }
            return null;
        });
    }

    /**
     * The trace's artifact location is the server's: MLflow's client refuses to set or delete it
     * (its IMMUTABLE_TAGS); here the server refuses too, so no client can point a trace elsewhere.
     */
    private static void immutable(String key, String verb) {
        if (TraceInfo.ARTIFACT_LOCATION.equals(key)) {
            throw ApiException.invalidParameter(
                    "Tag '" + key + "' is immutable and cannot be " + verb + " on a trace.");
        }
    }

    /** MLflow 3 trace ids: {@code tr-} and the OTel trace id in hex (MLflow 3 clients make them). */
    static final int MAX_TRACE_ID_LENGTH = 250;

    /**
     * The trace ids MLflow makes: 32 hex digits (MLflow 2's, made by the server) or {@code tr-} and
     * the OTel trace id in hex (MLflow 3's, made by the client). Only hex digits follow the prefix:
     * the id becomes part of the trace's artifact location, which no id may lead elsewhere.
     */
    private static final Pattern TRACE_ID = Pattern.compile("(tr-)?[0-9a-fA-F]+");

    /** Refuses a trace id a client made that is not of MLflow's form (see {@link #TRACE_ID}). */
    static void checkTraceId(String traceId, String field) {
        Inputs.length(field, traceId, MAX_TRACE_ID_LENGTH);
        if (!TRACE_ID.matcher(traceId).matches()) {
            throw ApiException.invalidParameter("Invalid " + field + " '" + traceId
                    + "': a trace id is hexadecimal digits, optionally after 'tr-'");
        }
    }

    /** Previews of a root span's inputs and outputs are cut to this many characters, as MLflow's OSS store. */
    static final int MAX_PREVIEW_CHARS = 1000;

    /** Trace ids one batchGet may ask for. */
    static final int MAX_BATCH_GET = 100;

    /** Spans one LogSpans call may carry (the gateway's body limit keeps batches below this). */
    static final int MAX_SPANS_PER_CALL = 100_000;

    static String preview(String text) {
        return text == null || text.length() <= MAX_PREVIEW_CHARS ? text : text.substring(0, MAX_PREVIEW_CHARS);
    }

    /**
     * Records an MLflow 3 trace info under the client's trace id, in an active experiment. If the
     * trace's spans were logged first, their record is completed and keeps tag {@value
     * TraceInfo#SPANS_LOCATION}, which tells the client its spans are stored already.
     */
    public Uni<TraceInfo> startV3(TraceInfo given) {
        if (given.requestId() == null || given.requestId().isEmpty()) {
            throw ApiException.missing("trace.trace_info.trace_id");
        }
        checkTraceId(given.requestId(), "trace_id");
        Map<String, String> metadata = entries(given.requestMetadata(), "trace_metadata");
        Map<String, String> tags = entries(given.tags(), "tags");
        // the server's own tags: where the trace's artifacts go, and where its spans are
        tags.remove(TraceInfo.ARTIFACT_LOCATION);
        tags.remove(TraceInfo.SPANS_LOCATION);
        return experiments.active(Long.toString(given.experimentId())).flatMap(e -> {
            TraceInfo trace = new TraceInfo(
                    given.requestId(),
                    e.id,
                    given.timestampMs(),
                    given.executionTimeMs(),
                    given.status(),
                    list(metadata),
                    list(tags),
                    given.clientRequestId(),
                    preview(given.requestPreview()),
                    preview(given.responsePreview()));
            return traces.startV3(trace, artifactLocation(e.artifactLocation, trace.requestId()))
                    .flatMap(ok -> {
                        if (!ok) {
                            throw ApiException.invalidParameter(
                                    "Trace with id '" + trace.requestId() + "' already exists in another experiment.");
                        }
                        return get(trace.requestId());
                    });
        });
    }

    /** A trace with its stored spans (OTLP bytes; none if its spans are an artifact). */
    public record WithSpans(TraceInfo info, List<byte[]> spans) {}

    /** The traces with these ids that exist (and belong to these experiments, when given), in the order asked. */
    public Uni<List<WithSpans>> batchGet(List<String> traceIds, List<String> experimentIds) {
        if (traceIds.isEmpty()) {
            throw ApiException.missing("trace_ids");
        }
        if (traceIds.size() > MAX_BATCH_GET) {
            throw ApiException.invalidParameter(
                    "At most " + MAX_BATCH_GET + " trace ids may be fetched at once, got " + traceIds.size());
        }
        Long[] experimentFilter =
                experimentIds.isEmpty() ? null : numericIds(experimentIds).toArray(Long[]::new);
        long maxBytes = config.maxSpanBytesPerRead().asLongValue();
        return traces.findAll(traceIds, experimentFilter).flatMap(found -> {
            List<String> ids = found.stream().map(TraceInfo::requestId).toList();
            return traces.spanBytes(ids)
                    .flatMap(bytes -> {
                        if (bytes > maxBytes) {
                            throw ApiException.invalidParameter("The spans of the " + ids.size()
                                    + " traces asked for take " + bytes + " bytes, more than one answer may carry ("
                                    + maxBytes + "); ask for fewer traces at once");
                        }
                        return traces.spans(ids);
                    })
                    .map(spans -> {
                        Map<String, TraceInfo> byId = new LinkedHashMap<>();
                        found.forEach(t -> byId.put(t.requestId(), t));
                        List<WithSpans> out = new ArrayList<>();
                        for (String id : new java.util.LinkedHashSet<>(traceIds)) {
                            TraceInfo t = byId.get(id);
                            if (t != null) {
                                out.add(new WithSpans(t, spans.getOrDefault(id, List.of())));
                            }
                        }
                        return out;
                    });
        });
    }

    /** One trace with its stored spans. */
    public Uni<WithSpans> getWithSpans(String traceId) {
        Inputs.required(traceId, "trace_id");
        return batchGet(List.of(traceId), List.of()).map(found -> {
            if (found.isEmpty()) {
                throw notFound(traceId);
            }
            return found.get(0);
        });
    }

    /**
     * Writes spans to an active experiment, creating or widening their traces' records (see {@link
     * TraceRepository#logSpans}). A span sent twice in one batch is written once, as last sent;
     * spans are written in key order. Returns how many traces the spans belong to.
     */
    public Uni<Integer> logSpans(String experimentId, List<io.opentelemetry.proto.trace.v1.Span> spans) {
        Inputs.required(experimentId, "experiment_id");
        long id = Ids.experimentId(experimentId);
        if (spans.size() > MAX_SPANS_PER_CALL) {
            throw ApiException.invalidParameter(
                    "At most " + MAX_SPANS_PER_CALL + " spans may be logged at once, got " + spans.size());
        }
        Map<List<String>, SpanRow> byKey = new java.util.HashMap<>();
        for (io.opentelemetry.proto.trace.v1.Span span : spans) {
            SpanRow r = OtlpSpans.row(span);
            checkTraceId(r.traceId(), "trace_id");
            byKey.put(List.of(r.traceId(), r.spanId()), r);
        }
        List<SpanRow> rows = byKey.values().stream()
                .sorted(java.util.Comparator.comparing(SpanRow::traceId).thenComparing(SpanRow::spanId))
                .toList();
        Map<String, Long> perTrace = new java.util.TreeMap<>();
        rows.forEach(r -> perTrace.merge(r.traceId(), 1L, Long::sum));
        int maxPerTrace = config.maxSpansPerTrace();
        perTrace.forEach((trace, n) -> {
            if (n > maxPerTrace) {
                throw tooManySpans(trace, maxPerTrace);
            }
        });
        if (rows.isEmpty()) {
            return experiments.active(experimentId).replaceWith(0);
        }
        return traces.logSpans(
                        id,
                        e -> {
                            ExperimentService.requireActive(e == null ? null : e.lifecycleStage(), experimentId);
                            return e.artifactLocation();
                        },
                        rows,
                        maxPerTrace)
                .onFailure(TraceRepository.ForeignTraces.class)
                .transform(f -> ApiException.invalidParameter("Trace with id '"
                        + ((TraceRepository.ForeignTraces) f).ids.get(0) + "' belongs to another experiment than "
                        + experimentId + "."))
                .onFailure(TraceRepository.TooManySpans.class)
                .transform(f -> tooManySpans(((TraceRepository.TooManySpans) f).traceId, maxPerTrace))
                .replaceWith(perTrace.size());
    }

    private static ApiException tooManySpans(String traceId, int max) {
        return ApiException.invalidParameter("Trace with id '" + traceId + "' would hold more than " + max
                + " spans (skein.tracking.traces.max-spans-per-trace)");
    }

    static ApiException notFound(String requestId) {
        return ApiException.notFound("Trace with request_id '" + requestId + "' not found.");
    }

    /** Tags or request metadata entries one request may carry. */
    static final int MAX_ENTRIES = 1000;

    /**
     * Key-value entries as MLflow reads them into a dict: each needs a key (at most 250 characters,
     * the size of MLflow's key columns); a later one wins; values are cut to 8,000 characters, as
     * set-trace-tag cuts them.
     */
    private static Map<String, String> entries(List<KeyValue> entries, String field) {
        if (entries.size() > MAX_ENTRIES) {
            throw ApiException.invalidParameter("A trace may be given at most " + MAX_ENTRIES + " " + field
                    + " entries at once, got " + entries.size());
        }
        Map<String, String> map = new LinkedHashMap<>();
        for (KeyValue e : entries) {
            if (e.key() == null) {
                throw ApiException.invalidParameter("Missing value for required parameter '" + field
                        + "'. See the API docs for more information about request parameters.");
            }
            Inputs.length("Trace " + field + " key", e.key(), MAX_TAG_KEY_LENGTH);
            String value = e.value() == null ? "" : e.value();
            map.put(e.key(), value.length() > MAX_TAG_VALUE_LENGTH ? value.substring(0, MAX_TAG_VALUE_LENGTH) : value);
        }
        return map;
    }

    private static List<KeyValue> list(Map<String, String> map) {
        return map.entrySet().stream()
                .map(e -> new KeyValue(e.getKey(), e.getValue()))
                .toList();
    }
}
