package dev.skein.tracking.service;

import io.smallrye.mutiny.Context;
import java.util.ArrayList;
import java.util.List;

/**
 * What is to be done once a call's answer has been written out, or the call ended without one: the
 * gRPC layer puts one in the Mutiny context of each call it serves ({@link #KEY}) and runs it last.
 * A bulk read keeps its place among the concurrent reads until then, so the memory its answer takes
 * while it is turned into a message and serialized is still counted. A task added once it ran runs
 * at once.
 */
public final class AnswerDelivery {

    public static final String KEY = AnswerDelivery.class.getName();

    private final List<Runnable> tasks = new ArrayList<>();
    private boolean ran;

    /** The delivery of the call this context belongs to, or null outside a gRPC call. */
    static AnswerDelivery of(Context context) {
        return context.getOrElse(KEY, () -> null);
    }

    void add(Runnable task) {
        synchronized (this) {
            if (!ran) {
                tasks.add(task);
                return;
            }
        }
        task.run();
    }

    /** Runs the tasks (once; later calls do nothing). */
    public void run() {
        List<Runnable> now;
        synchronized (this) {
            if (ran) {
                return;
            }
            ran = true;
            now = List.copyOf(tasks);
            tasks.clear();
        }
        now.forEach(Runnable::run);
    }
}
