package dev.skein.common.vertx;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import java.util.concurrent.Executor;

/**
 * Brings work back to the Vert.x context a request started on — after a gRPC client call or blocking
 * work on a worker, say. Hibernate Reactive only runs on that context.
 */
public final class CallerContext {

    private CallerContext() {}

    /** An executor that runs tasks on the current Vert.x context (or at once, outside one). */
    public static Executor capture() {
        Context context = Vertx.currentContext();
        return context == null ? Runnable::run : task -> context.runOnContext(v -> task.run());
    }
}
