package dev.skein.tracking.repository;

import dev.skein.tracking.config.TrackingConfig;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jboss.logging.Logger;

/**
 * Keeps the planner's statistics of the searched tables current where writes come in bulk (a sweep
 * creating thousands of runs a minute, a migration, an import): every {@code check-interval} it has
 * the database analyse those tables that changed enough since their last analysis ({@code
 * tracking.analyze_search_tables}, V12). Autovacuum does the same, but looks once a minute and then
 * queues; until it has, searches are planned for a far smaller table. With several replicas each
 * asks; a table just analysed no longer qualifies, and one being analysed is skipped. A database out
 * of reach only costs a log line per check.
 */
@ApplicationScoped
public class StatisticsKeeper {

    private static final Logger LOG = Logger.getLogger(StatisticsKeeper.class);

    private final Vertx vertx;
    private final Pool pool;
    private final TrackingConfig.Statistics config;
    private final Counter analysed;
    private final AtomicBoolean checking = new AtomicBoolean();
    private long timer = -1;

    public StatisticsKeeper(Vertx vertx, Pool pool, TrackingConfig config, MeterRegistry registry) {
        this.vertx = vertx;
        this.pool = pool;
        this.config = config.statistics();
        this.analysed = Counter.builder("skein.tracking.statistics.analyses")
                .description("Searched tables analysed by the service because they changed enough since their"
                        + " last analysis")
                .register(registry);
        Duration every = this.config.checkInterval();
        if (every.isNegative() || (!every.isZero() && every.toMillis() < 1)) {
            throw new IllegalStateException(
                    "skein.tracking.statistics.check-interval must be 0 (off) or at least 1 ms; it is " + every);
        }
        if (this.config.minChanges() < 0 || !(this.config.changedFraction() >= 0)) {
            throw new IllegalStateException(
                    "skein.tracking.statistics.min-changes and changed-fraction must not be" + " negative");
        }
    }

    void start(@Observes StartupEvent started) {
        Duration every = config.checkInterval();
        if (!every.isZero()) {
            timer = vertx.setPeriodic(every.toMillis(), id -> check());
        }
    }

    void stop(@Observes ShutdownEvent stopping) {
        if (timer >= 0) {
            vertx.cancelTimer(timer);
        }
    }

    private void check() {
        if (!checking.compareAndSet(false, true)) {
            return; // the last check is still analysing
        }
        pool.preparedQuery("SELECT tracking.analyze_search_tables($1, $2)")
                .execute(Tuple.of(config.minChanges(), config.changedFraction()))
                .subscribe()
                .with(
                        rows -> {
                            checking.set(false);
                            String[] tables = rows.iterator().next().getArrayOfStrings(0);
                            if (tables != null && tables.length > 0) {
                                analysed.increment(tables.length);
                                LOG.debugf("Analysed %s", String.join(", ", tables));
                            }
                        },
                        failure -> {
                            checking.set(false);
                            LOG.warnf(
                                    "Could not bring the search tables' statistics up to date: %s", failure.toString());
                        });
    }
}
