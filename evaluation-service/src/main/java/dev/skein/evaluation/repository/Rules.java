package dev.skein.evaluation.repository;

import dev.skein.evaluation.RuleSet;
import dev.skein.proto.evaluation.v1.ValidationRules;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Arrays;
import java.util.Optional;

/** Validation rules per registered model (by name). */
@ApplicationScoped
public class Rules {

    private final Pool pool;

    public Rules(Pool pool) {
        this.pool = pool;
    }

    /** Replaces the model's rules; none deletes them. */
    public Uni<Void> set(RuleSet rules) {
        if (rules.rules().isEmpty()) {
            return pool.preparedQuery("DELETE FROM evaluation.validation_rules WHERE name = $1")
                    .execute(Tuple.of(rules.name()))
                    .replaceWithVoid();
        }
        return pool.preparedQuery("INSERT INTO evaluation.validation_rules (name, rules, baseline_alias, user_id,"
                        + " last_updated_timestamp) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (name) DO UPDATE SET"
                        + " rules = EXCLUDED.rules, baseline_alias = EXCLUDED.baseline_alias,"
                        + " user_id = EXCLUDED.user_id, last_updated_timestamp = EXCLUDED.last_updated_timestamp")
                .execute(Tuple.from(Arrays.asList(
                        rules.name(),
                        ProtoJson.print(ValidationRules.newBuilder().addAllRules(rules.rules())),
                        rules.baselineAlias(),
                        rules.userId(),
                        rules.lastUpdatedTimestamp())))
                .replaceWithVoid();
    }

    public Uni<Optional<RuleSet>> get(String name) {
        return pool.preparedQuery("SELECT name, rules, baseline_alias, user_id, last_updated_timestamp"
                        + " FROM evaluation.validation_rules WHERE name = $1")
                .execute(Tuple.of(name))
                .map(rows -> rows.size() == 0
                        ? Optional.empty()
                        : Optional.of(map(rows.iterator().next())));
    }

    private static RuleSet map(Row r) {
        return new RuleSet(
                r.getString("name"),
                ProtoJson.parse(r.getString("rules"), ValidationRules.newBuilder())
                        .getRulesList(),
                r.getString("baseline_alias"),
                r.getString("user_id"),
                r.getLong("last_updated_timestamp"));
    }
}
