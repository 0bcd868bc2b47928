package dev.skein.gateway.http;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;

/** Writing a stream out no faster than the HTTP client takes it. */
final class Backpressure {

    private Backpressure() {}

    /** Writes {@code data}, then asks for more ({@code next}) at once, or once the client has drained the queue. */
    static void write(HttpServerResponse response, Buffer data, Runnable next) {
        if (data != null) {
            response.write(data);
        }
        if (response.writeQueueFull()) {
            response.drainHandler(d -> next.run());
        } else {
            next.run();
        }
    }
}
