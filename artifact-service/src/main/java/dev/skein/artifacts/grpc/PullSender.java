package dev.skein.artifacts.grpc;

import dev.skein.common.grpc.CallWrites;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import org.jboss.logging.Logger;

/**
 * Sends a server-streaming call's messages only as fast as the client takes them: one message at a
 * time is pulled from a blocking source (the store) on a worker thread, then written on the call's
 * event loop ({@link CallWrites}); the next is pulled only while the call is ready, and pulling
 * resumes when it becomes ready again. Memory stays at a message or two per call whatever the size
 * of the whole. A cancelled call gets no more writes, and its source is closed — by the cancel
 * handler when no pull is under way, otherwise once the pull has returned: never while a worker
 * still reads it (the store's HTTP client is not made for a close racing a read, and a source
 * opened during the cancel would leak).
 */
final class PullSender<T> {

    private static final Logger LOG = Logger.getLogger(PullSender.class);

    /** Where messages come from; {@code next()} blocks, null means the end. */
    interface Source<T> extends AutoCloseable {
        T next() throws Exception;

        @Override
        default void close() throws Exception {}
    }

    private final ServerCallStreamObserver<T> call;
    private final CallWrites writes;
    private final Source<T> source;
    private final Executor executor;
    private final Function<Throwable, Throwable> errors;
    /**
     * A message is being pulled or is on its way to the call's thread. Set and cleared only on the
     * call's thread, as {@link #done} is set there, so the two are never seen half-changed.
     */
    private volatile boolean pulling;

    private volatile boolean done;
    private final AtomicBoolean closed = new AtomicBoolean();

    private PullSender(
            StreamObserver<T> observer, Source<T> source, Executor executor, Function<Throwable, Throwable> errors) {
        this.call = (ServerCallStreamObserver<T>) observer;
        this.writes = CallWrites.of(observer);
        this.source = source;
        this.executor = executor;
        this.errors = errors;
    }

    /** Starts sending; must be called while the service method runs (it installs the call's handlers). */
    static <T> void start(
            StreamObserver<T> observer, Source<T> source, Executor executor, Function<Throwable, Throwable> errors) {
        PullSender<T> sender = new PullSender<>(observer, source, executor, errors);
        sender.call.setOnCancelHandler(() -> sender.writes.onCallThread(sender::cancelled));
        sender.call.setOnReadyHandler(() -> sender.writes.onCallThread(sender::schedule));
        sender.writes.onCallThread(sender::schedule);
    }

    /** Call's thread: the client went away. */
    private void cancelled() {
        done = true;
        if (!pulling) {
            closeSource();
        }
    }

    /** Call's thread: pulls the next message if the call takes one now and none is on its way. */
    private void schedule() {
        if (!done && !pulling && call.isReady()) {
            pulling = true;
            executor.execute(this::pull);
        }
    }

    /** On a worker: the next message from the source, then handed to the call's thread. */
    private void pull() {
        T next;
        try {
            next = source.next();
        } catch (Throwable failure) {
            writes.onCallThread(() -> {
                pulling = false;
                if (stopped()) {
                    return;
                }
                done = true;
                closeSource();
                call.onError(errors.apply(failure));
            });
            return;
        }
        writes.onCallThread(() -> {
            pulling = false;
            if (stopped()) {
                return;
            }
            if (next == null) {
                done = true;
                closeSource();
                call.onCompleted();
                return;
            }
            call.onNext(next);
            schedule();
        });
    }

    /** Call's thread, no pull under way: true (and the source closed) if nothing more is to be sent. */
    private boolean stopped() {
        if (done || writes.cancelled()) {
            done = true;
            closeSource();
            return true;
        }
        return false;
    }

    private void closeSource() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        try {
            source.close();
        } catch (Exception e) {
            LOG.debugf("Closing a stream source failed: %s", e);
        }
    }
}
