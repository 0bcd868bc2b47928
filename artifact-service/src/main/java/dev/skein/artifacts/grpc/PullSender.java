package dev.skein.artifacts.grpc;

import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import org.jboss.logging.Logger;

/**
 * Sends a server-streaming call's messages only as fast as the client takes them: the next one is
 * pulled from a blocking source (the store) on a worker thread while the call is ready, and pulling
 * resumes when the call becomes ready again. Memory stays at a message or two per call whatever the
 * size of the whole. A cancelled call closes the source.
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
    private final Source<T> source;
    private final Executor executor;
    private final Function<Throwable, Throwable> errors;
    private final AtomicBoolean running = new AtomicBoolean();
    private final AtomicBoolean done = new AtomicBoolean();

    private PullSender(
            StreamObserver<T> observer, Source<T> source, Executor executor, Function<Throwable, Throwable> errors) {
        this.call = (ServerCallStreamObserver<T>) observer;
        this.source = source;
        this.executor = executor;
        this.errors = errors;
    }

    /** Starts sending; must be called while the service method runs (it installs the call's handlers). */
    static <T> void start(
            StreamObserver<T> observer, Source<T> source, Executor executor, Function<Throwable, Throwable> errors) {
        PullSender<T> sender = new PullSender<>(observer, source, executor, errors);
        sender.call.setOnCancelHandler(() -> {
            sender.done.set(true);
            sender.closeSource();
        });
        sender.call.setOnReadyHandler(sender::schedule);
        sender.schedule();
    }

    private void schedule() {
        if (!done.get() && running.compareAndSet(false, true)) {
            executor.execute(this::drain);
        }
    }

    private void drain() {
        try {
            while (!done.get() && call.isReady()) {
                T next = source.next();
                if (next == null) {
                    if (done.compareAndSet(false, true)) {
                        closeSource();
                        call.onCompleted();
                    }
                    return;
                }
                call.onNext(next);
            }
        } catch (Throwable failure) {
            if (done.compareAndSet(false, true)) {
                closeSource();
                call.onError(errors.apply(failure));
            }
            return;
        } finally {
            running.set(false);
        }
        // the call may have become ready again between the last check and clearing `running`
        if (!done.get() && call.isReady()) {
            schedule();
        }
    }

    private void closeSource() {
        try {
            source.close();
        } catch (Exception e) {
            LOG.debugf("Closing a stream source failed: %s", e);
        }
    }
}
