package dev.skein.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Closed-loop load: {@code n} clients, each on its own thread, send one batch after another — for a
 * fixed time ({@link #measure}) or until a fixed number of batches is sent ({@link #count}) — all
 * starting together once every client is connected. A failed batch fails the whole measurement: a
 * rate is only worth printing if everything it counts was written.
 */
final class Load {

    /** One client of a measurement: writes batch {@code batch} and returns how many points it held. */
    interface Client extends AutoCloseable {
        int send(long batch) throws Exception;

        @Override
        default void close() throws Exception {}
    }

    interface ClientFactory {
        Client open(int index) throws Exception;
    }

    /** What a measurement saw: points and requests written, per-request latencies, the time it took. */
    record Result(long points, long requests, long[] latenciesNanos, long elapsedNanos) {

        double pointsPerSecond() {
            return points * 1e9 / elapsedNanos;
        }

        double latencyMillis(double quantile) {
            return Quantiles.millis(latenciesNanos, quantile);
        }

        double seconds() {
            return elapsedNanos / 1e9;
        }
    }

    /** Hands client {@code c} the number of its next batch, or −1 when the measurement is over. */
    private interface Batches {
        long next(int client);
    }

    private Load() {}

    /**
     * Runs {@code n} clients for {@code duration}. {@code nextBatch[i]} is client i's next batch
     * number, carried from one measurement to the next so no batch is ever sent twice.
     */
    static Result measure(int n, Duration duration, ClientFactory factory, long[] nextBatch) throws Exception {
        long[] deadline = {Long.MAX_VALUE};
        return run(n, factory, c -> System.nanoTime() < deadline[0] ? nextBatch[c]++ : -1, begin -> {
            deadline[0] = begin + duration.toNanos();
        });
    }

    /**
     * Runs {@code n} clients until batches {@code first … first + batches − 1} are all sent, each
     * once, by whichever client is free: the clients' batches interleave in time as they would from
     * users working side by side.
     */
    static Result count(int n, long first, long batches, ClientFactory factory) throws Exception {
        AtomicLong next = new AtomicLong(first);
        long end = first + batches;
        return run(
                n,
                factory,
                c -> {
                    long b = next.getAndIncrement();
                    return b < end ? b : -1;
                },
                begin -> {});
    }

    private interface Start {
        void at(long nanoTime);
    }

    private static Result run(int n, ClientFactory factory, Batches batches, Start onStart) throws Exception {
        List<Client> clients = new ArrayList<>();
        try {
            for (int i = 0; i < n; i++) {
                clients.add(factory.open(i));
            }
            CyclicBarrier start = new CyclicBarrier(n + 1);
            AtomicReference<Throwable> failure = new AtomicReference<>();
            long[] points = new long[n];
            long[][] latencies = new long[n][];
            int[] counts = new int[n];
            List<Thread> threads = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                int c = i;
                Thread t = new Thread(
                        () -> {
                            long[] lat = new long[1024];
                            int count = 0;
                            try {
                                start.await();
                                for (long b = batches.next(c); b >= 0 && failure.get() == null; b = batches.next(c)) {
                                    long t0 = System.nanoTime();
                                    points[c] += clients.get(c).send(b);
                                    if (count == lat.length) {
                                        lat = Arrays.copyOf(lat, count * 2);
                                    }
                                    lat[count++] = System.nanoTime() - t0;
                                }
                            } catch (Throwable e) {
                                failure.compareAndSet(null, e);
                            }
                            latencies[c] = lat;
                            counts[c] = count;
                        },
                        "bench-client-" + i);
                threads.add(t);
                t.start();
            }
            long begin = System.nanoTime();
            onStart.at(begin);
            start.await();
            for (Thread t : threads) {
                t.join();
            }
            long elapsed = System.nanoTime() - begin;
            if (failure.get() != null) {
                throw new IllegalStateException("A client failed: " + failure.get(), failure.get());
            }
            long total = 0;
            int requests = 0;
            for (int i = 0; i < n; i++) {
                total += points[i];
                requests += counts[i];
            }
            long[] all = new long[requests];
            int at = 0;
            for (int i = 0; i < n; i++) {
                System.arraycopy(latencies[i], 0, all, at, counts[i]);
                at += counts[i];
            }
            Arrays.sort(all);
            return new Result(total, requests, all, elapsed);
        } finally {
            for (Client c : clients) {
                c.close();
            }
        }
    }
}
