package dev.skein.cli.recipes;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code skein recipe inspect}: each step's state as the next run would find it. NOT RUN (never executed), SUCCEEDED
 * (its last execution ran it, and its key still holds: the next run skips it), CACHED (the same, the last run having
 * been a cache hit), STALE (its code, configuration or a step before it changed since: the next run runs it), FAILED
 * (its last execution failed), REFUSED (register: the last registration was refused), RUNNING (executing, or cut off).
 */
public final class Inspection {

    public record Row(
            Step step,
            String state,
            String runId,
            String key,
            String lastKey,
            boolean cacheHit,
            Long durationMs,
            String detail) {}

    private Inspection() {}

    public static List<Row> of(Recipe recipe, String trackingUri) {
        Map<Step, String> keys = CacheKeys.of(recipe);
        RecipeState state = RecipeState.load(recipe);
        List<Row> rows = new ArrayList<>();
        for (Step step : recipe.steps().keySet()) {
            String key = keys.get(step);
            ObjectNode r = state.step(step);
            if (r == null) {
                rows.add(new Row(step, "NOT RUN", null, key, null, false, null, ""));
                continue;
            }
            String status = r.path("status").asText();
            String lastKey = r.path("key").asText(null);
            String shown;
            if (step == Step.REGISTER || !status.equals("SUCCEEDED")) {
                shown = status.equals("SUCCEEDED") && !key.equals(lastKey) ? "STALE" : status;
            } else if (state.cached(step, key, trackingUri)) {
                shown = r.path("cache_hit").asBoolean() ? "CACHED" : "SUCCEEDED";
            } else {
                shown = "STALE";
            }
            rows.add(new Row(
                    step,
                    shown,
                    r.path("run_id").asText(null),
                    key,
                    lastKey,
                    r.path("cache_hit").asBoolean(),
                    r.has("duration_ms") ? r.path("duration_ms").asLong() : null,
                    r.path("detail").asText("")));
        }
        return rows;
    }
}
