package dev.skein.tracking.service;

import dev.skein.common.error.ApiException;
import dev.skein.common.paging.PageToken;
import dev.skein.tracking.search.RunSearchSql.After;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * runs/search's page token: MLflow's {@code {"offset": N}} with the search's {@code "snapshot"}
 * ({@link PageToken}), and, for a search ordered by one metric, param or tag whose page ended on a
 * run with a value, {@code "after": {"value", "start", "run"}} — where the next page starts (keyset
 * paging; the offset stays the position it is at). Tokens without it, as every token issued before
 * it existed, page by offset.
 */
final class RunPageToken {

    /** Where a page starts: the offset, the snapshot (null: none), the run it comes after (null: none). */
    record Position(long offset, Long snapshot, After after) {}

    /** As MLflow's offsets (and {@link PageToken}'s): at most 18 digits. */
    private static final long MAX_OFFSET = 999_999_999_999_999_999L;

    private RunPageToken() {}

    static String encode(long offset, long snapshot, After after) {
        if (after == null) {
            return PageToken.encode(offset, snapshot);
        }
        JsonObject json = new JsonObject()
                .put("offset", offset)
                .put("snapshot", snapshot)
                .put(
                        "after",
                        new JsonObject()
                                .put("value", after.value())
                                .put("start", after.startTime())
                                .put("run", after.runId()));
        return Base64.getEncoder().encodeToString(json.encode().getBytes(StandardCharsets.UTF_8));
    }

    static Position decode(String token) {
        if (token == null || token.isEmpty()) {
            return new Position(0, null, null);
        }
        try {
            JsonObject json = new JsonObject(new String(Base64.getDecoder().decode(token), StandardCharsets.UTF_8));
            if (json.containsKey("after")) {
                JsonObject after = json.getJsonObject("after");
                long offset = json.getLong("offset");
                Long snapshot = json.getLong("snapshot");
                String value = after.getString("value");
                String run = after.getString("run");
                if (offset >= 0
                        && offset <= MAX_OFFSET
                        && snapshot != null
                        && snapshot >= 0
                        && value != null
                        && run != null
                        && Validation.RUN_ID.matcher(run).matches()) {
                    return new Position(offset, snapshot, new After(value, after.getLong("start"), run));
                }
                throw invalid(token);
            }
        } catch (IllegalArgumentException | ClassCastException | DecodeException | NullPointerException notOurs) {
            // an MLflow token, or one we did not issue: PageToken tells
        }
        PageToken.Position at = PageToken.decode(token);
        return new Position(at.offset(), at.snapshot(), null);
    }

    static ApiException invalid(String token) {
        return ApiException.invalidParameter(
                "Invalid page token, could not base64-decode or parse it: '" + token + "'");
    }
}
