package dev.skein.registry;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Function;

/**
 * A webhook receiver on 127.0.0.1: records every request (with the time it arrived) and answers as
 * it is told — by default the statuses it is given, then 200. Each request is served on its own
 * thread, so a slow answer does not hold the next request.
 */
public final class Receiver implements AutoCloseable {

    public record Request(long at, Map<String, String> headers, String body) {
        public String header(String name) {
            return headers.get(name.toLowerCase());
        }
    }

    public record Reply(int status, Map<String, String> headers, String body, long delayMillis) {
        public static Reply of(int status) {
            return new Reply(status, Map.of(), "ok", 0);
        }
    }

    private final HttpServer server;
    private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "receiver");
        t.setDaemon(true);
        return t;
    });
    private final List<Request> requests = new CopyOnWriteArrayList<>();

    public Receiver(Integer... firstStatuses) throws IOException {
        this(replies(firstStatuses));
    }

    private static Function<Request, Reply> replies(Integer... firstStatuses) {
        ConcurrentLinkedQueue<Integer> statuses = new ConcurrentLinkedQueue<>(List.of(firstStatuses));
        return request -> {
            Integer status = statuses.poll();
            return Reply.of(status == null ? 200 : status);
        };
    }

    public Receiver(Function<Request, Reply> replies) throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 50);
        server.setExecutor(threads);
        server.createContext("/", exchange -> {
            Map<String, String> headers = new HashMap<>();
            exchange.getRequestHeaders().forEach((k, v) -> headers.put(k.toLowerCase(), v.get(0)));
            Request request = new Request(
                    System.currentTimeMillis(),
                    headers,
                    new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
            requests.add(request);
            Reply reply = replies.apply(request);
            try {
                if (reply.delayMillis() > 0) {
                    Thread.sleep(reply.delayMillis());
                }
                byte[] body = reply.body().getBytes(StandardCharsets.UTF_8);
                reply.headers().forEach((k, v) -> exchange.getResponseHeaders().add(k, v));
                exchange.sendResponseHeaders(reply.status(), body.length);
                exchange.getResponseBody().write(body);
            } catch (InterruptedException | IOException e) {
                // the client went away, or the receiver is closing
            } finally {
                exchange.close();
            }
        });
        server.start();
    }

    public int port() {
        return server.getAddress().getPort();
    }

    public String url() {
        return "http://127.0.0.1:" + port() + "/hook";
    }

    public List<Request> requests() {
        return new ArrayList<>(requests);
    }

    @Override
    public void close() {
        server.stop(0);
        threads.shutdownNow();
    }
}
