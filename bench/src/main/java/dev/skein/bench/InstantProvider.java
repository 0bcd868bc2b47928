package dev.skein.bench;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;

/**
 * A stand-in LLM provider that answers at once, speaking OpenAI's wire format on {@code POST
 * /v1/chat/completions}: a JSON chat completion, or with {@code "stream": true} {@value #CHUNKS} {@code
 * chat.completion.chunk} events, each written and flushed on its own, then {@code data: [DONE]}. For model
 * {@value #HOLD_MODEL} a stream that does not end: one chunk, then a comment every {@value #COMMENT_SECONDS} s
 * until {@link #finish} ends every such stream with a last chunk and {@code [DONE]}.
 *
 * <p>The JDK's {@code HttpServer} on 127.0.0.1, its handlers run on its dispatcher thread (an answer is a few
 * hundred bytes written at once: no hand-off to a pool), with {@code TCP_NODELAY} (off by default in the JDK's
 * server: with Nagle's algorithm and delayed ACKs a response written in two parts waits 40 ms) and idle
 * connections kept, as the callers' pools keep theirs.
 */
final class InstantProvider implements AutoCloseable {

    /** The key the runner's endpoints file gives llm-gateway-service (cmd_bench in ./skein): checked on every call. */
    static final String KEY = "sk-skein-bench-upstream";

    static final String MODEL = "bench-instant";
    static final String HOLD_MODEL = "bench-hold";
    static final int CHUNKS = 5;
    static final int COMMENT_SECONDS = 5;

    private static final Pattern STREAM = Pattern.compile("\"stream\"\\s*:\\s*true");
    private static final Pattern HOLD = Pattern.compile("\"model\"\\s*:\\s*\"" + HOLD_MODEL + "\"");
    private static final byte[] COMMENT = ": still thinking\n\n".getBytes(StandardCharsets.UTF_8);
    private static final byte[] DONE = "data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8);
    private static final byte[] UNAUTHORIZED = ("{\"error\":{\"message\":\"Incorrect API key provided.\","
                    + "\"type\":\"invalid_request_error\",\"param\":null,\"code\":\"invalid_api_key\"}}")
            .getBytes(StandardCharsets.UTF_8);

    private final HttpServer server;
    /** The held streams, touched only on this thread (its comments and {@link #finish}). */
    private final ScheduledExecutorService holder = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "bench-provider-holder");
        t.setDaemon(true);
        return t;
    });

    private final List<HttpExchange> held = new ArrayList<>();
    private final AtomicInteger holding = new AtomicInteger();
    private final AtomicInteger heldLost = new AtomicInteger();
    private final AtomicLong calls = new AtomicLong();
    private final byte[] answer;
    private final byte[][] chunks;
    private final byte[] holdFirst;
    private final byte[] holdLast;

    InstantProvider(int port) throws IOException {
        // read by the JDK's server when its first instance is made
        System.setProperty("sun.net.httpserver.nodelay", "true");
        System.setProperty("sun.net.httpserver.idleInterval", "3600");
        System.setProperty("sun.net.httpserver.maxIdleConnections", "4000");
        long created = System.currentTimeMillis() / 1000;
        answer = ("{\"id\":\"chatcmpl-bench\",\"object\":\"chat.completion\",\"created\":" + created + ",\"model\":\""
                        + MODEL + "\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":"
                        + "\"Hello! How can I help you today?\"},\"finish_reason\":\"stop\"}],"
                        + "\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":9,\"total_tokens\":18}}")
                .getBytes(StandardCharsets.UTF_8);
        String[] deltas = {
            "{\"role\":\"assistant\",\"content\":\"\"}",
            "{\"content\":\"Hello!\"}",
            "{\"content\":\" How can I\"}",
            "{\"content\":\" help you today?\"}",
            "{}"
        };
        chunks = new byte[CHUNKS][];
        for (int i = 0; i < CHUNKS; i++) {
            chunks[i] = chunk(created, MODEL, deltas[i], i == CHUNKS - 1 ? "\"stop\"" : "null");
        }
        holdFirst = chunk(created, HOLD_MODEL, deltas[0], "null");
        holdLast = chunk(created, HOLD_MODEL, "{\"content\":\"Done.\"}", "\"stop\"");
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 4096);
        server.createContext("/v1/chat/completions", this::handle);
        server.start();
        holder.scheduleAtFixedRate(this::comment, COMMENT_SECONDS, COMMENT_SECONDS, TimeUnit.SECONDS);
    }

    private static byte[] chunk(long created, String model, String delta, String finishReason) {
        return ("data: {\"id\":\"chatcmpl-bench\",\"object\":\"chat.completion.chunk\",\"created\":" + created
                        + ",\"model\":\"" + model + "\",\"choices\":[{\"index\":0,\"delta\":" + delta
                        + ",\"finish_reason\":" + finishReason + "}]}\n\n")
                .getBytes(StandardCharsets.UTF_8);
    }

    /** Calls answered (or begun, for held streams) since the start. */
    long calls() {
        return calls.get();
    }

    /** Streams held open now. */
    int holding() {
        return holding.get();
    }

    /** Held streams whose connection failed before {@link #finish}. */
    int heldLost() {
        return heldLost.get();
    }

    private void handle(HttpExchange exchange) throws IOException {
        byte[] body;
        try (InputStream in = exchange.getRequestBody()) {
            body = in.readAllBytes();
        }
        calls.incrementAndGet();
        if (!("Bearer " + KEY).equals(exchange.getRequestHeaders().getFirst("Authorization"))) {
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            exchange.sendResponseHeaders(401, UNAUTHORIZED.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(UNAUTHORIZED);
            }
            return;
        }
        String request = new String(body, StandardCharsets.UTF_8);
        if (!STREAM.matcher(request).find()) {
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, answer.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(answer);
            }
            return;
        }
        exchange.getResponseHeaders().set("Content-Type", "text/event-stream");
        exchange.getResponseHeaders().set("Cache-Control", "no-cache");
        exchange.sendResponseHeaders(200, 0);
        OutputStream out = exchange.getResponseBody();
        if (HOLD.matcher(request).find()) {
            out.write(holdFirst);
            out.flush();
            holding.incrementAndGet();
            holder.execute(() -> held.add(exchange));
            return;
        }
        for (byte[] c : chunks) {
            out.write(c);
            out.flush();
        }
        out.write(DONE);
        out.close();
    }

    /** A comment on every held stream: the provider is alive, with nothing to say yet. */
    private void comment() {
        for (int i = held.size() - 1; i >= 0; i--) {
            try {
                OutputStream out = held.get(i).getResponseBody();
                out.write(COMMENT);
                out.flush();
            } catch (IOException e) {
                held.remove(i).close();
                holding.decrementAndGet();
                heldLost.incrementAndGet();
            }
        }
    }

    /** Ends every held stream with a last chunk and {@code [DONE]}; returns how many were ended. */
    int finish() throws Exception {
        return holder.submit(() -> {
                    int ended = 0;
                    for (HttpExchange exchange : held) {
                        try (OutputStream out = exchange.getResponseBody()) {
                            out.write(holdLast);
                            out.write(DONE);
                            ended++;
                        } catch (IOException e) {
                            heldLost.incrementAndGet();
                        }
                    }
                    held.clear();
                    holding.set(0);
                    return ended;
                })
                .get();
    }

    @Override
    public void close() {
        holder.shutdownNow();
        server.stop(0);
    }
}
