package dev.skein.tracking.grpc;

import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.subscription.MultiSubscriber;
import java.util.concurrent.Flow;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;

/**
 * Sends a server stream's messages only as fast as the client takes them: one message is asked of
 * the (lazy, demand-driven) {@link Multi} at a time, and only while the call is ready; when it is
 * not, asking resumes on the call's ready signal. Memory stays at a message or two per call however
 * slowly the client reads — the pull pattern of artifact-service's downloads, for a reactive source.
 * (Quarkus's Mutiny bridge requests without bound, so a slow reader would pile messages up here.)
 */
final class ReadySender<T> implements MultiSubscriber<T> {

    private final ServerCallStreamObserver<T> call;
    private final Function<Throwable, Throwable> errors;
    private final AtomicReference<Flow.Subscription> upstream = new AtomicReference<>();
    /** One message asked for and not yet arrived. */
    private final AtomicBoolean asked = new AtomicBoolean();

    private final AtomicBoolean done = new AtomicBoolean();

    private ReadySender(StreamObserver<T> observer, Function<Throwable, Throwable> errors) {
        this.call = (ServerCallStreamObserver<T>) observer;
        this.errors = errors;
    }

    /** Starts sending; must be called while the service method runs (it installs the call's handlers). */
    static <T> void send(Multi<T> messages, StreamObserver<T> observer, Function<Throwable, Throwable> errors) {
        ReadySender<T> sender = new ReadySender<>(observer, errors);
        sender.call.setOnCancelHandler(sender::cancel);
        sender.call.setOnReadyHandler(sender::askIfReady);
        messages.subscribe().withSubscriber(sender);
    }

    @Override
    public void onSubscribe(Flow.Subscription subscription) {
        upstream.set(subscription);
        if (done.get()) {
            subscription.cancel();
            return;
        }
        askIfReady();
    }

    @Override
    public void onItem(T item) {
        if (done.get()) {
            return;
        }
        call.onNext(item);
        asked.set(false);
        askIfReady();
    }

    @Override
    public void onFailure(Throwable failure) {
        if (done.compareAndSet(false, true)) {
            call.onError(errors.apply(failure));
        }
    }

    @Override
    public void onCompletion() {
        if (done.compareAndSet(false, true)) {
            call.onCompleted();
        }
    }

    private void askIfReady() {
        Flow.Subscription s = upstream.get();
        if (s != null && !done.get() && call.isReady() && asked.compareAndSet(false, true)) {
            s.request(1);
        }
    }

    private void cancel() {
        done.set(true);
        Flow.Subscription s = upstream.get();
        if (s != null) {
            s.cancel();
        }
    }
}
