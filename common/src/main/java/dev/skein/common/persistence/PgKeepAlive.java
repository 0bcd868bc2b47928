package dev.skein.common.persistence;

import io.quarkus.reactive.pg.client.PgPoolCreator;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import jakarta.inject.Singleton;
import java.util.List;

/**
 * The services' PostgreSQL pool, as Quarkus configures it, with TCP keep-alive on its connections:
 * a connection whose peer has gone without a word (a failover, a dropped network path: a half-open
 * socket) is found dead after {@link #IDLE_SECONDS} + {@link #PROBES} × {@link #INTERVAL_SECONDS}
 * seconds of silence and closed, failing the statement that waited on it, rather than held by that
 * statement for good. (Neither Quarkus's idle timeout nor its max lifetime reach a connection that
 * is waiting for an answer.)
 */
@Singleton
public class PgKeepAlive implements PgPoolCreator {

    static final int IDLE_SECONDS = 30;
    static final int INTERVAL_SECONDS = 10;
    static final int PROBES = 3;

    @Override
    public Pool create(Input input) {
        List<PgConnectOptions> servers = input.pgConnectOptionsList();
        for (PgConnectOptions options : servers) {
            options.setTcpKeepAlive(true)
                    .setTcpKeepAliveIdleSeconds(IDLE_SECONDS)
                    .setTcpKeepAliveIntervalSeconds(INTERVAL_SECONDS)
                    .setTcpKeepAliveCount(PROBES);
        }
        return PgBuilder.pool()
                .with(input.poolOptions())
                .connectingTo(List.copyOf(servers))
                .using(input.vertx())
                .build();
    }
}
