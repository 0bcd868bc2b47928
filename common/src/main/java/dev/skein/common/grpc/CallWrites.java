package dev.skein.common.grpc;

import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.vertx.core.Context;
import io.vertx.core.Vertx;

/**
 * Writes to a server call — messages, completion, errors — made on the event loop that serves the
 * call, and only while the call is not cancelled. The work behind the call runs on worker threads;
 * were they to write themselves, a write could reach the HTTP/2 connection after the client's
 * RST_STREAM had removed the stream, and the Vert.x server would try to open the stream anew and
 * fail the whole connection with GOAWAY PROTOCOL_ERROR ("Request stream N is not correct for server
 * connection"): every other call on that connection — the gateway's uploads and downloads alike —
 * would fail with it. On the call's event loop a reset is seen (the call is cancelled) before any
 * later write, so a write after it is dropped instead. (artifact-service's transfers, and
 * tracking-service's methods bound to the call's cancel signal.)
 */
public final class CallWrites {

    private final ServerCallStreamObserver<?> call;
    private final Context context;

    private CallWrites(ServerCallStreamObserver<?> call, Context context) {
        this.call = call;
        this.context = context;
    }

    /** Must be called while the service method (or a listener callback) runs, on the call's thread. */
    public static CallWrites of(StreamObserver<?> observer) {
        return new CallWrites((ServerCallStreamObserver<?>) observer, Vertx.currentContext());
    }

    /** Runs {@code write} on the call's event loop, unless the call is cancelled by then. */
    public void run(Runnable write) {
        onCallThread(() -> {
            if (!cancelled()) {
                write.run();
            }
        });
    }

    /** Runs {@code task} on the call's event loop, cancelled or not. */
    public void onCallThread(Runnable task) {
        if (context == null) {
            task.run();
        } else {
            context.runOnContext(v -> task.run());
        }
    }

    /** Whether the client cancelled the call; exact on the call's event loop. */
    public boolean cancelled() {
        return call.isCancelled();
    }
}
