package dev.skein.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

/** The public API over {@link HttpClient}: JSON in and out, files streamed, errors as {@link ApiException}. */
public final class Api {

    public static final ObjectMapper JSON = new ObjectMapper();

    /** How long a call may wait for the server's answer (a file upload's own transfer excepted). */
    static final Duration REQUEST_TIMEOUT = Duration.ofMinutes(5);

    private final Settings settings;
    private final HttpClient http;
    private final Duration timeout;

    public Api(Settings settings) {
        this(settings, REQUEST_TIMEOUT);
    }

    Api(Settings settings, Duration timeout) {
        this.settings = settings;
        this.timeout = timeout;
        HttpClient.Builder builder = HttpClient.newBuilder()
                .connectTimeout(Duration.ofSeconds(10))
                // redirects are followed by hand (send): never with the Authorization header to another origin
                .followRedirects(HttpClient.Redirect.NEVER);
        if (settings.insecureTls()) {
            // MLflow's MLFLOW_TRACKING_INSECURE_TLS: no certificate or host name check
            System.setProperty("jdk.internal.httpclient.disableHostnameVerification", "true");
            builder.sslContext(trustingEveryone());
        }
        this.http = builder.build();
    }

    public Settings settings() {
        return settings;
    }

    /** {@code path?k=v&…}, the values URL-encoded, null values left out. */
    public static String query(String path, Map<String, ?> params) {
        StringJoiner q = new StringJoiner("&");
        params.forEach((k, v) -> {
            if (v instanceof Iterable<?> many) {
                many.forEach(one -> q.add(enc(k) + "=" + enc(String.valueOf(one))));
            } else if (v != null) {
                q.add(enc(k) + "=" + enc(String.valueOf(v)));
            }
        });
        return q.length() == 0 ? path : path + "?" + q;
    }

    public static Map<String, Object> params(Object... keyValues) {
        Map<String, Object> map = new LinkedHashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            map.put((String) keyValues[i], keyValues[i + 1]);
        }
        return map;
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    /** A path's segments URL-encoded, the slashes kept (artifact paths in URLs). */
    public static String encodePath(String path) {
        StringJoiner joined = new StringJoiner("/");
        for (String segment : path.split("/", -1)) {
            joined.add(enc(segment).replace("+", "%20"));
        }
        return joined.toString();
    }

    public static ObjectNode object() {
        return JSON.createObjectNode();
    }

    /**
     * A search request of MLflow's ({@code experiments/search}, {@code runs/search}): its page size, and the filter,
     * order and page token where given (null: left out, as MLflow's clients leave them out).
     */
    public static ObjectNode search(int maxResults, String filter, List<String> orderBy, String pageToken) {
        ObjectNode body = object().put("max_results", maxResults);
        if (filter != null) {
            body.put("filter", filter);
        }
        if (orderBy != null) {
            orderBy.forEach(body.withArray("order_by")::add);
        }
        if (pageToken != null) {
            body.put("page_token", pageToken);
        }
        return body;
    }

    public JsonNode get(String pathAndQuery) {
        return json(request(pathAndQuery).timeout(timeout).GET());
    }

    public JsonNode post(String path, JsonNode body) {
        return json(request(path).timeout(timeout).POST(HttpRequest.BodyPublishers.ofString(body.toString())));
    }

    public JsonNode patch(String path, JsonNode body) {
        return json(
                request(path).timeout(timeout).method("PATCH", HttpRequest.BodyPublishers.ofString(body.toString())));
    }

    public JsonNode delete(String path, JsonNode body) {
        return json(
                request(path).timeout(timeout).method("DELETE", HttpRequest.BodyPublishers.ofString(body.toString())));
    }

    /** A file PUT from disk as it is read (never whole in memory). */
    public JsonNode putFile(String path, Path file) throws IOException {
        return json(request(path)
                .setHeader("Content-Type", "application/octet-stream")
                .PUT(HttpRequest.BodyPublishers.ofFile(file)));
    }

    /**
     * Streams a GET's body into {@code target}: written to a temporary file beside it first, so an interrupted
     * download never leaves a partial file under the real name. Returns the bytes written.
     */
    public long download(String pathAndQuery, Path target) throws IOException {
        Path parent = target.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        Path partial = Files.createTempFile(parent, "." + target.getFileName(), ".part");
        try {
            HttpResponse<InputStream> response = send(
                    request(pathAndQuery).timeout(timeout).GET().build(), HttpResponse.BodyHandlers.ofInputStream());
            try (InputStream body = response.body()) {
                if (response.statusCode() / 100 != 2) {
                    throw error(response.statusCode(), new String(body.readNBytes(64 * 1024), StandardCharsets.UTF_8));
                }
                Files.copy(body, partial, StandardCopyOption.REPLACE_EXISTING);
            }
            Files.move(partial, target, StandardCopyOption.REPLACE_EXISTING);
            return Files.size(target);
        } finally {
            Files.deleteIfExists(partial);
        }
    }

    /** A request to a URL outside the API (presigned part URLs): sent as is, without our credentials. */
    public <T> HttpResponse<T> sendRaw(HttpRequest request, HttpResponse.BodyHandler<T> handler) {
        return send(request, handler, true);
    }

    private HttpRequest.Builder request(String pathAndQuery) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(settings.trackingUri() + pathAndQuery))
                .header("Accept", "application/json")
                .header("Content-Type", "application/json")
                .header("User-Agent", "skein-cli/" + Version.get());
        settings.authorization().ifPresent(value -> builder.header("Authorization", value));
        return builder;
    }

    private JsonNode json(HttpRequest.Builder builder) {
        HttpResponse<String> response = send(builder.build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() / 100 != 2) {
            throw error(response.statusCode(), response.body());
        }
        String body = response.body();
        if (body == null || body.isBlank()) {
            return object();
        }
        try {
            return JSON.readTree(body);
        } catch (IOException e) {
            throw new CliException("the server at " + settings.trackingUri() + " answered something that is not JSON: "
                    + abbreviate(body));
        }
    }

    private <T> HttpResponse<T> send(HttpRequest request, HttpResponse.BodyHandler<T> handler) {
        return send(request, handler, false);
    }

    static final int MAX_REDIRECTS = 5;

    /**
     * Sends, following up to {@link #MAX_REDIRECTS} redirects: with our credentials only within the same origin
     * (scheme, host and port), a redirect elsewhere refused; without them ({@code anyOrigin}) anywhere but from
     * https to http. As the JDK's NORMAL policy, a 303 (and a 301/302 of a POST) becomes a GET without a body.
     */
    private <T> HttpResponse<T> send(HttpRequest request, HttpResponse.BodyHandler<T> handler, boolean anyOrigin) {
        HttpRequest current = request;
        for (int hops = 0; ; hops++) {
            HttpResponse<T> response = sendOnce(current, handler);
            int status = response.statusCode();
            java.util.Optional<String> location = response.headers().firstValue("Location");
            if (!(status == 301 || status == 302 || status == 303 || status == 307 || status == 308)
                    || location.isEmpty()) {
                return response;
            }
            discard(response.body());
            URI target;
            try {
                target = current.uri().resolve(location.get());
            } catch (IllegalArgumentException e) {
                throw new CliException("the server at " + origin(current.uri()) + " redirected to a bad location: "
                        + abbreviate(location.get()));
            }
            if (anyOrigin
                    ? "https".equalsIgnoreCase(current.uri().getScheme())
                            && !"https".equalsIgnoreCase(target.getScheme())
                    : !origin(target).equals(origin(current.uri()))) {
                throw new CliException("the server at " + origin(current.uri()) + " redirected to " + origin(target)
                        + "; not following it (credentials stay with the tracking server's origin): set"
                        + " SKEIN_TRACKING_URI or --tracking-uri to the server's own address");
            }
            if (hops + 1 >= MAX_REDIRECTS) {
                throw new CliException(
                        "the server at " + origin(current.uri()) + " redirected more than " + MAX_REDIRECTS + " times");
            }
            boolean toGet = status == 303 || ((status == 301 || status == 302) && "POST".equals(current.method()));
            HttpRequest.Builder next =
                    HttpRequest.newBuilder(current, (name, value) -> true).uri(target);
            if (toGet) {
                next.GET();
            }
            current = next.build();
        }
    }

    /** scheme://host:port, the port made explicit. */
    static String origin(URI uri) {
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(java.util.Locale.ROOT);
        int port = uri.getPort() >= 0 ? uri.getPort() : "https".equals(scheme) ? 443 : "http".equals(scheme) ? 80 : -1;
        String host = uri.getHost() == null ? "" : uri.getHost().toLowerCase(java.util.Locale.ROOT);
        return scheme + "://" + host + ":" + port;
    }

    private static void discard(Object body) {
        if (body instanceof java.io.Closeable closeable) {
            try {
                closeable.close();
            } catch (IOException ignored) {
                // a redirect's body is not read
            }
        }
    }

    private <T> HttpResponse<T> sendOnce(HttpRequest request, HttpResponse.BodyHandler<T> handler) {
        try {
            return http.send(request, handler);
        } catch (ConnectException | HttpConnectTimeoutException | SSLHandshakeException e) {
            throw cannotConnect(request.uri(), e);
        } catch (java.net.http.HttpTimeoutException e) {
            throw new CliException(
                    ExitCodes.CANNOT_CONNECT,
                    "the server at " + origin(request.uri()) + " did not answer within "
                            + request.timeout().map(Duration::toString).orElse("the time allowed") + " ("
                            + request.method() + " " + request.uri().getPath() + ")");
        } catch (IOException e) {
            if (e.getCause() instanceof ConnectException
                    || e.getCause() instanceof java.nio.channels.UnresolvedAddressException) {
                throw cannotConnect(request.uri(), e);
            }
            throw new CliException(
                    ExitCodes.CANNOT_CONNECT,
                    "the call to " + request.uri().getHost() + ":"
                            + request.uri().getPort() + " failed: " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliException("interrupted");
        }
    }

    private static CliException cannotConnect(URI uri, Exception e) {
        String reason = e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
        return new CliException(
                ExitCodes.CANNOT_CONNECT,
                "cannot connect to " + uri.getScheme() + "://" + uri.getHost()
                        + (uri.getPort() < 0 ? "" : ":" + uri.getPort()) + " (" + reason
                        + "); set SKEIN_TRACKING_URI or --tracking-uri, or start Skein with ./skein up");
    }

    /** MLflow's {@code {"error_code","message"}}, or the LLM routes' {@code {"detail"}}, or plain text. */
    static ApiException error(int status, String body) {
        try {
            JsonNode node = JSON.readTree(body);
            if (node != null && node.hasNonNull("error_code")) {
                return new ApiException(
                        status,
                        node.get("error_code").asText(),
                        node.path("message").asText(""));
            }
            if (node != null && node.has("detail")) {
                JsonNode detail = node.get("detail");
                return new ApiException(status, null, detail.isTextual() ? detail.asText() : detail.toString());
            }
        } catch (IOException | RuntimeException ignored) {
            // not JSON: the text itself says what went wrong
        }
        return new ApiException(status, null, body == null || body.isBlank() ? "(no message)" : abbreviate(body));
    }

    private static String abbreviate(String text) {
        String flat = text.strip();
        return flat.length() > 300 ? flat.substring(0, 300) + "…" : flat;
    }

    private static SSLContext trustingEveryone() {
        try {
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(
                    null,
                    new TrustManager[] {
                        new X509TrustManager() {
                            @Override
                            public void checkClientTrusted(X509Certificate[] chain, String authType) {}

                            @Override
                            public void checkServerTrusted(X509Certificate[] chain, String authType) {}

                            @Override
                            public X509Certificate[] getAcceptedIssuers() {
                                return new X509Certificate[0];
                            }
                        }
                    },
                    new SecureRandom());
            return context;
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
