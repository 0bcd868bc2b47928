package dev.skein.common.grpc;

import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import java.util.function.Supplier;

/**
 * For gRPC service methods: validation may throw before any Uni exists; deferring the work turns
 * that into a failed call, answered like any other failure.
 */
public final class Calls {

    private Calls() {}

    public static <T> Uni<T> unary(Supplier<Uni<? extends T>> body) {
        return Uni.createFrom().deferred(body);
    }

    public static <T> Multi<T> streaming(Supplier<Multi<? extends T>> body) {
        return Multi.createFrom().deferred(body);
    }
}
