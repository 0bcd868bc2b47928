package dev.skein.gateway.http;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The gateway-wide budget of request-body bytes held in memory at once. Each request body that is
 * collected before it is sent on takes a {@link Lease} and reserves its bytes as they arrive (never
 * what a {@code Content-Length} merely declares); a request whose next bytes do not fit is refused
 * instead of the heap running out. Closing the lease gives its bytes back, once.
 */
public final class BodyBudget {

    private final long capacity;
    private final AtomicLong used = new AtomicLong();

    public BodyBudget(long capacity) {
        this.capacity = capacity;
    }

    /** A new, empty reservation for one request's body. */
    public Lease lease() {
        return new Lease();
    }

    /** Bytes reserved by all open leases. */
    public long used() {
        return used.get();
    }

    public long capacity() {
        return capacity;
    }

    /** One request's share of the budget; {@link #close()} returns it (safe to call more than once). */
    public final class Lease implements AutoCloseable {

        private long held;
        private boolean closed;

        private Lease() {}

        /** Reserves {@code bytes} more; false, with nothing reserved, when the budget cannot take them. */
        public synchronized boolean grow(long bytes) {
            if (closed) {
                return false;
            }
            long now;
            do {
                now = used.get();
                if (now + bytes > capacity) {
                    return false;
                }
            } while (!used.compareAndSet(now, now + bytes));
            held += bytes;
            return true;
        }

        public synchronized long held() {
            return held;
        }

        @Override
        public synchronized void close() {
            if (!closed) {
                closed = true;
                used.addAndGet(-held);
                held = 0;
            }
        }
    }
}
