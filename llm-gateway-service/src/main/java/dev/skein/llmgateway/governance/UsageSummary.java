package dev.skein.llmgateway.governance;

import dev.skein.common.error.ApiException;
import dev.skein.common.paging.PageToken;
import dev.skein.llmgateway.config.LlmGatewayConfig;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Arrays;

/**
 * {@code GET /api/2.0/skein/llm/usage}: calls, errors, tokens and cost per UTC day, endpoint and caller, from the
 * usage records of every replica. Parameters: {@code start_time} and {@code end_time} (epoch milliseconds; the
 * last 30 days by default, at most 366 days), {@code endpoint}, {@code caller}, {@code max_results} (1000 by
 * default) and {@code page_token}.
 */
@Singleton
public class UsageSummary {

    private static final Duration DEFAULT_RANGE = Duration.ofDays(30);
    private static final Duration MAX_RANGE = Duration.ofDays(366);
    private static final int DEFAULT_RESULTS = 1000;

    private static final String QUERY = "SELECT (started_at AT TIME ZONE 'UTC')::date::text AS day, endpoint, caller,"
            + " count(*) AS requests, count(*) FILTER (WHERE error_code IS NOT NULL) AS errors,"
            + " coalesce(sum(input_tokens), 0) AS input_tokens, coalesce(sum(output_tokens), 0) AS output_tokens,"
            + " coalesce(sum(cost_usd), 0) AS cost_usd FROM llmgateway.usage"
            + " WHERE started_at >= $1 AND started_at < $2 AND ($3::text IS NULL OR endpoint = $3)"
            + " AND ($4::text IS NULL OR caller = $4) GROUP BY 1, 2, 3 ORDER BY 1, 2, 3 LIMIT $5 OFFSET $6";

    private final Pool pool;
    private final Vertx vertx;
    private final int maxResults;

    public UsageSummary(Pool pool, Vertx vertx, LlmGatewayConfig config) {
        this.pool = pool;
        this.vertx = vertx;
        this.maxResults = config.usage().maxResults();
    }

    /** A parameter the summary cannot take (400). */
    public static final class BadParameter extends RuntimeException {
        public final String parameter;

        BadParameter(String parameter, String message) {
            super(message, null, false, false);
            this.parameter = parameter;
        }
    }

    /** @param only the one caller whose usage may be read, or null: every caller's (an administrator) */
    public Future<JsonObject> summary(MultiMap params, String only) {
        Instant end;
        Instant start;
        int limit;
        long offset;
        try {
            end = params.get("end_time") == null ? Instant.now() : Instant.ofEpochMilli(millis(params, "end_time"));
            start = params.get("start_time") == null
                    ? end.minus(DEFAULT_RANGE)
                    : Instant.ofEpochMilli(millis(params, "start_time"));
            if (!start.isBefore(end)) {
                throw new BadParameter("start_time", "start_time must be before end_time");
            }
            if (Duration.between(start, end).compareTo(MAX_RANGE) > 0) {
                throw new BadParameter("start_time", "The range from start_time to end_time is at most 366 days");
            }
            limit = params.get("max_results") == null ? Math.min(DEFAULT_RESULTS, maxResults) : results(params);
            offset = offset(params.get("page_token"));
        } catch (BadParameter e) {
            return Future.failedFuture(e);
        }
        Tuple args = Tuple.tuple(Arrays.asList(
                start.atOffset(ZoneOffset.UTC),
                end.atOffset(ZoneOffset.UTC),
                blankToNull(params.get("endpoint")),
                only != null ? only : blankToNull(params.get("caller")),
                limit + 1,
                offset));
        return Future.fromCompletionStage(
                pool.preparedQuery(QUERY)
                        .execute(args)
                        .map(rows -> {
                            JsonArray usage = new JsonArray();
                            int n = 0;
                            boolean more = false;
                            for (Row row : rows) {
                                if (n++ == limit) {
                                    more = true;
                                    break;
                                }
                                usage.add(new JsonObject()
                                        .put("date", row.getString("day"))
                                        .put("endpoint", row.getString("endpoint"))
                                        .put("caller", row.getString("caller"))
                                        .put("requests", row.getLong("requests"))
                                        .put("errors", row.getLong("errors"))
                                        .put("input_tokens", row.getLong("input_tokens"))
                                        .put("output_tokens", row.getLong("output_tokens"))
                                        .put(
                                                "cost_usd",
                                                row.getBigDecimal("cost_usd").doubleValue()));
                            }
                            JsonObject out = new JsonObject().put("usage", usage);
                            if (more) {
                                out.put("next_page_token", PageToken.encode(offset + limit));
                            }
                            return out;
                        })
                        .subscribeAsCompletionStage(),
                vertx.getOrCreateContext());
    }

    /** 2100-01-01: times past it are refused (PostgreSQL's timestamps end long before a long's milliseconds). */
    private static final long LATEST = 4_102_444_800_000L;

    private static long millis(MultiMap params, String name) {
        try {
            long value = Long.parseLong(params.get(name).strip());
            if (value >= 0 && value <= LATEST) {
                return value;
            }
        } catch (NumberFormatException e) {
            // below
        }
        throw new BadParameter(
                name, name + " must be a time in epoch milliseconds (1970 to 2100), not '" + params.get(name) + "'");
    }

    private int results(MultiMap params) {
        try {
            int n = Integer.parseInt(params.get("max_results").strip());
            if (n >= 1 && n <= maxResults) {
                return n;
            }
        } catch (NumberFormatException e) {
            // below
        }
        throw new BadParameter("max_results", "max_results must be a number from 1 to " + maxResults);
    }

    private static long offset(String token) {
        try {
            long offset = PageToken.decodeOffset(token);
            if (offset < Integer.MAX_VALUE) {
                return offset;
            }
        } catch (ApiException e) {
            // below
        }
        throw new BadParameter("page_token", "Invalid page token: '" + token + "'");
    }

    private static String blankToNull(String value) {
        return value == null || value.isBlank() ? null : value;
    }
}
