package dev.skein.tracking.model;

import static dev.skein.common.search.Grammar.Kind.NUMBER;
import static dev.skein.common.search.Grammar.Kind.STRING;

import dev.skein.common.error.ApiException;
import dev.skein.common.paging.ResultPage;
import dev.skein.common.search.Comparison;
import dev.skein.common.search.Field;
import dev.skein.common.search.Grammar;
import dev.skein.common.search.SearchParser;
import dev.skein.proto.tracking.v1.SearchLoggedModels;
import io.smallrye.mutiny.Uni;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * MLflow 3's logged-model search ({@code search_logged_models} of its SQL store): filter over
 * attributes, {@code metrics.}, {@code params.} and {@code tags.}, metric filters and order-by
 * optionally restricted to datasets, and MLflow's page token, which carries the offset and the
 * request it belongs to.
 */
@ApplicationScoped
public class LoggedModelSearch {

    /** MLflow's default page size (the proto's default). */
    static final int DEFAULT_MAX_RESULTS = 50;

    /** Skein's cap on one page (MLflow has none): a page is read with all its models' metrics. */
    static final int MAX_RESULTS = 1000;

    static final Grammar GRAMMAR = Grammar.builder("logged model")
            .anyKey(Field.Type.METRIC, NUMBER)
            .anyKey(Field.Type.PARAM, STRING)
            .anyKey(Field.Type.TAG, STRING)
            .key(Field.Type.ATTRIBUTE, "model_id", STRING, true)
            .key(Field.Type.ATTRIBUTE, "name", STRING, true)
            .key(Field.Type.ATTRIBUTE, "model_type", STRING, true)
            .key(Field.Type.ATTRIBUTE, "status", STRING, true)
            .key(Field.Type.ATTRIBUTE, "source_run_id", STRING, true)
            .key(Field.Type.ATTRIBUTE, "artifact_location", STRING, true)
            .attribute("creation_timestamp_ms", NUMBER)
            .attribute("last_updated_timestamp_ms", NUMBER)
            .alias("creation_time", "creation_timestamp_ms")
            .alias("creation_timestamp", "creation_timestamp_ms")
            .alias("last_updated_timestamp", "last_updated_timestamp_ms")
            .orderBy(Set.of())
            .build();

    /** Attributes that order results, MLflow's aliases included. */
    static final Map<String, String> ORDER_ATTRIBUTES = Map.ofEntries(
            Map.entry("model_id", "model_id"),
            Map.entry("experiment_id", "experiment_id"),
            Map.entry("name", "name"),
            Map.entry("artifact_location", "artifact_location"),
            Map.entry("creation_timestamp_ms", "creation_timestamp_ms"),
            Map.entry("creation_time", "creation_timestamp_ms"),
            Map.entry("creation_timestamp", "creation_timestamp_ms"),
            Map.entry("last_updated_timestamp_ms", "last_updated_timestamp_ms"),
            Map.entry("last_updated_timestamp", "last_updated_timestamp_ms"),
            Map.entry("status", "status"),
            Map.entry("lifecycle_stage", "lifecycle_stage"),
            Map.entry("model_type", "model_type"),
            Map.entry("source_run_id", "source_run_id"),
            Map.entry("status_message", "status_message"));

    /** A dataset a metric must have been logged on (digest optional). */
    record DatasetFilter(String name, String digest) {}

    /** One order-by: an attribute column, or a metric key (optionally on a dataset). */
    record Order(String column, String metric, boolean ascending, String datasetName, String datasetDigest) {}

    private final LoggedModelRepository models;

    public LoggedModelSearch(LoggedModelRepository models) {
        this.models = models;
    }

    public Uni<ResultPage<LoggedModel>> search(SearchLoggedModels r) {
        List<String> experimentIds = r.getExperimentIdsList();
        if (experimentIds.isEmpty()) {
            throw ApiException.missing("experiment_ids");
        }
        int maxResults = r.getMaxResults() == 0 ? DEFAULT_MAX_RESULTS : r.getMaxResults();
        if (maxResults < 0 || maxResults > MAX_RESULTS) {
            throw ApiException.invalidParameter("Invalid value " + maxResults
                    + " for parameter 'max_results' supplied. It must be between 1 and " + MAX_RESULTS + ".");
        }
        List<DatasetFilter> datasets = new ArrayList<>();
        for (SearchLoggedModels.Dataset d : r.getDatasetsList()) {
            if (!d.hasDatasetName() || d.getDatasetName().isEmpty()) {
                throw ApiException.invalidParameter("`dataset_name` in the `datasets` clause must be specified.");
            }
            datasets.add(new DatasetFilter(
                    d.getDatasetName(),
                    d.hasDatasetDigest() && !d.getDatasetDigest().isEmpty() ? d.getDatasetDigest() : null));
        }
        String filter = r.hasFilter() && !r.getFilter().isEmpty() ? r.getFilter() : null;
        List<Comparison> comparisons = SearchParser.parseFilter(GRAMMAR, filter);
        List<Order> order = new ArrayList<>();
        JsonArray orderJson = new JsonArray();
        for (SearchLoggedModels.OrderBy o : r.getOrderByList()) {
            order.add(order(o));
            orderJson.add(new JsonObject()
                    .put("field_name", o.getFieldName())
                    .put("ascending", o.getAscending())
                    .put("dataset_name", o.hasDatasetName() ? o.getDatasetName() : null)
                    .put("dataset_digest", o.hasDatasetDigest() ? o.getDatasetDigest() : null));
        }
        long offset = 0;
        if (r.hasPageToken() && !r.getPageToken().isEmpty()) {
            offset = Token.decode(r.getPageToken()).validate(experimentIds, filter, orderJson);
        }
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
        long start = offset;
        return models.search(LoggedModelSearchSql.build(
                        ids.toArray(Long[]::new), comparisons, datasets, order, maxResults + 1, offset))
                .map(found -> {
                    boolean more = found.size() > maxResults;
                    return new ResultPage<>(
                            more ? found.subList(0, maxResults) : found,
                            more ? new Token(start + maxResults, experimentIds, filter, orderJson).encode() : null);
                });
    }

    private static Order order(SearchLoggedModels.OrderBy o) {
        String fieldName = o.getFieldName();
        if (!o.hasFieldName() || fieldName.isEmpty()) {
            throw ApiException.invalidParameter("Invalid order by field name: " + fieldName);
        }
        String dsName = o.hasDatasetName() && !o.getDatasetName().isEmpty() ? o.getDatasetName() : null;
        String dsDigest = o.hasDatasetDigest() && !o.getDatasetDigest().isEmpty() ? o.getDatasetDigest() : null;
        int dot = fieldName.indexOf('.');
        if (dot < 0) {
            String column = ORDER_ATTRIBUTES.get(fieldName);
            if (column == null) {
                throw ApiException.invalidParameter("Invalid order by field name: " + fieldName);
            }
            return new Order(column, null, o.getAscending(), null, null);
        }
        if (!fieldName.substring(0, dot).equals("metrics")) {
            throw ApiException.invalidParameter(
                    "Invalid order by field name: " + fieldName + ". Only metrics are supported.");
        }
        return new Order(null, fieldName.substring(dot + 1), o.getAscending(), dsName, dsDigest);
    }

    /**
     * MLflow's logged-model page token: base64 of the offset and the request it was issued for; a
     * token used with another experiment list, filter or order is refused, as in MLflow.
     */
    record Token(long offset, List<String> experimentIds, String filter, JsonArray orderBy) {

        String encode() {
            JsonObject json = new JsonObject()
                    .put("offset", offset)
                    .put("experiment_ids", new JsonArray(new ArrayList<>(experimentIds)))
                    .put("filter_string", filter)
                    .put("order_by", orderBy);
            return Base64.getEncoder().encodeToString(json.encode().getBytes(StandardCharsets.UTF_8));
        }

        static Token decode(String token) {
            try {
                JsonObject json = new JsonObject(new String(Base64.getDecoder().decode(token), StandardCharsets.UTF_8));
                Object offset = json.getValue("offset");
                if (!(offset instanceof Number n) || n.longValue() < 0) {
                    throw new IllegalArgumentException("no offset");
                }
                List<String> ids = new ArrayList<>();
                JsonArray idArray = json.getJsonArray("experiment_ids", new JsonArray());
                for (int i = 0; i < idArray.size(); i++) {
                    ids.add(String.valueOf(idArray.getValue(i)));
                }
                return new Token(
                        n.longValue(),
                        ids,
                        json.getString("filter_string"),
                        json.getJsonArray("order_by", new JsonArray()));
            } catch (RuntimeException malformed) {
                throw ApiException.invalidParameter(
                        "Invalid page token, could not base64-decode or parse it: '" + token + "'");
            }
        }

        /** The offset, if the token belongs to this request. */
        long validate(List<String> experimentIds, String filter, JsonArray orderBy) {
            if (!this.experimentIds.equals(experimentIds)) {
                throw ApiException.invalidParameter("Experiment IDs in the page token do not match the requested"
                        + " experiment IDs. Expected: " + this.experimentIds + ". Found: " + experimentIds);
            }
            if (!Objects.equals(this.filter, filter)) {
                throw ApiException.invalidParameter("Filter string in the page token does not match the requested"
                        + " filter string. Expected: " + this.filter + ". Found: " + filter);
            }
            if (!this.orderBy.equals(orderBy)) {
                throw ApiException.invalidParameter("Order by in the page token does not match the requested order"
                        + " by. Expected: " + this.orderBy + ". Found: " + orderBy);
            }
            return offset;
        }
    }
}
