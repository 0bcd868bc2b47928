package dev.skein.tracking.repository;

import dev.skein.common.search.SqlQuery;
import dev.skein.tracking.Experiment;
import dev.skein.tracking.ExperimentView;
import dev.skein.tracking.KeyValue;
import dev.skein.tracking.Run;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Executes the statements the search package builds. */
@ApplicationScoped
public class SearchRepository {

    private final Pool pool;

    public SearchRepository(Pool pool) {
        this.pool = pool;
    }

    /** Runs' insertion counter now: runs inserted later have a higher {@code seq}. */
    public Uni<Long> runsSnapshot() {
        return snapshot("runs_insert_seq");
    }

    /** Experiments' id counter now: experiments created later have a higher id. */
    public Uni<Long> experimentsSnapshot() {
        return snapshot("experiments_seq");
    }

    private Uni<Long> snapshot(String sequence) {
        return pool.query("SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM tracking." + sequence)
                .execute()
                .map(rows -> rows.iterator().next().getLong(0));
    }

    /**
     * A run a search found, with where a search ordered by a key placed it: its group (0: it has a
     * value, for a metric a number; 1: NaN; 2: none) and that value; both null in other orders.
     */
    public record Found(Run run, Integer sortGroup, Object sortValue) {}

    public Uni<List<Found>> runs(SqlQuery query) {
        return pool.preparedQuery(query.sql()).execute(query.tuple()).map(rows -> {
            List<Found> runs = new ArrayList<>(rows.size());
            boolean ranked = rows.columnsNames().contains("sort_group");
            rows.forEach(r -> runs.add(new Found(
                    Rows.run(r),
                    ranked ? r.getInteger("sort_group") : null,
                    ranked ? r.getValue("sort_value") : null)));
            return runs;
        });
    }

    public Uni<List<ExperimentView>> experiments(SqlQuery query) {
        return pool.preparedQuery(query.sql()).execute(query.tuple()).flatMap(rows -> {
            List<Experiment> experiments = new ArrayList<>(rows.size());
            rows.forEach(r -> experiments.add(Rows.experiment(r)));
            return withTags(experiments);
        });
    }

    public Uni<List<ExperimentView>> withTags(List<Experiment> experiments) {
        if (experiments.isEmpty()) {
            return Uni.createFrom().item(List.of());
        }
        Long[] ids = experiments.stream().map(e -> e.id).toArray(Long[]::new);
        return pool.preparedQuery("SELECT experiment_id, key, value FROM tracking.experiment_tags"
                        + " WHERE experiment_id = ANY($1) ORDER BY experiment_id, key")
                .execute(Tuple.of(ids))
                .map(rows -> {
                    Map<Long, List<KeyValue>> tags = new HashMap<>();
                    rows.forEach(r -> tags.computeIfAbsent(r.getLong("experiment_id"), k -> new ArrayList<>())
                            .add(new KeyValue(r.getString("key"), r.getString("value"))));
                    List<ExperimentView> views = new ArrayList<>(experiments.size());
                    for (Experiment e : experiments) {
                        views.add(new ExperimentView(e, tags.getOrDefault(e.id, List.of())));
                    }
                    return views;
                });
    }
}
