package dev.skein.tracking.trace;

import dev.skein.common.error.ApiException;
import dev.skein.common.paging.PageToken;
import dev.skein.common.paging.ResultPage;
import dev.skein.common.search.SearchParser;
import dev.skein.common.validation.Inputs;
import dev.skein.tracking.KeyValue;
import dev.skein.tracking.service.ExperimentService;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** MLflow Tracing's trace records (MLflow 2.17's SQL store): rules, messages and the artifact location. */
@ApplicationScoped
public class TraceService {

    static final int MAX_SEARCH_RESULTS = 500;
    static final int MAX_TAG_KEY_LENGTH = 250;
    static final int MAX_TAG_VALUE_LENGTH = 8000;

    private final TraceRepository traces;
    private final ExperimentService experiments;

    public TraceService(TraceRepository traces, ExperimentService experiments) {
        this.traces = traces;
        this.experiments = experiments;
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
        var comparisons = SearchParser.parseFilter(TraceGrammar.TRACES, filter);
        var order = SearchParser.parseOrderBy(TraceGrammar.TRACES, orderBy);
        long offset = PageToken.decodeOffset(pageToken);
        List<Long> ids = new ArrayList<>();
        for (String e : experimentIds) {
            try {
                ids.add(Long.parseLong(e));
            } catch (NumberFormatException notOurs) {
                // no experiment has a non-numeric id: it simply matches nothing
            }
        }
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
