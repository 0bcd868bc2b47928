package dev.skein.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

class ApiTest {

    @Test
    void shouldReadMlflowErrorsAndTellNotFoundApart() {
        ApiException missing =
                Api.error(404, "{\"error_code\":\"RESOURCE_DOES_NOT_EXIST\",\"message\":\"Run 'x' not found\"}");
        assertThat(missing.describe()).isEqualTo("RESOURCE_DOES_NOT_EXIST: Run 'x' not found");
        assertThat(missing.notFound()).isTrue();
        ApiException bad = Api.error(400, "{\"error_code\":\"INVALID_PARAMETER_VALUE\",\"message\":\"no\"}");
        assertThat(bad.notFound()).isFalse();
        assertThat(bad.describe()).isEqualTo("INVALID_PARAMETER_VALUE: no");
    }

    @Test
    void shouldReadTheLlmRoutesDetailAndPlainText() {
        ApiException detail = Api.error(404, "{\"detail\":\"The endpoint 'x' is not present.\"}");
        assertThat(detail.describe()).isEqualTo("HTTP 404: The endpoint 'x' is not present.");
        assertThat(detail.notFound()).isTrue();
        assertThat(Api.error(502, "Bad Gateway").describe()).isEqualTo("HTTP 502: Bad Gateway");
    }

    @Test
    void shouldEncodeQueriesAndPaths() {
        assertThat(Api.query("/p", Api.params("filter", "name = 'a b'", "skip", null, "id", List.of("1", "2"))))
                .isEqualTo("/p?filter=name+%3D+%27a+b%27&id=1&id=2");
        assertThat(Api.query("/p", Api.params("skip", null))).isEqualTo("/p");
        assertThat(Api.encodePath("1/run/artifacts/my file#1.txt")).isEqualTo("1/run/artifacts/my%20file%231.txt");
    }

    record Seen(String path, String authorization) {}

    private static HttpServer server(List<Seen> seen, Map<String, String> redirects) throws Exception {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", exchange -> {
            String path = exchange.getRequestURI().getPath();
            seen.add(new Seen(path, exchange.getRequestHeaders().getFirst("Authorization")));
            String to = redirects.get(path);
            byte[] body = (to == null ? "{\"at\":\"" + path + "\"}" : "").getBytes(StandardCharsets.UTF_8);
            if (to != null) {
                exchange.getResponseHeaders().add("Location", to);
            }
            exchange.sendResponseHeaders(to == null ? 200 : 307, body.length == 0 ? -1 : body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
        return server;
    }

    @Test
    void shouldFollowRedirectsWithinTheOriginButNeverCarryCredentialsElsewhere() throws Exception {
        List<Seen> seenByOther = new CopyOnWriteArrayList<>();
        HttpServer other = server(seenByOther, Map.of());
        String otherUri = "http://127.0.0.1:" + other.getAddress().getPort();
        List<Seen> seen = new CopyOnWriteArrayList<>();
        HttpServer tracking = server(seen, Map.of("/old", "/new", "/away", otherUri + "/steal", "/loop", "/loop"));
        try {
            Api api = new Api(new Settings(
                    URI.create("http://127.0.0.1:" + tracking.getAddress().getPort()),
                    Optional.of("Bearer secret"),
                    false));

            assertThat(api.get("/old").path("at").asText()).isEqualTo("/new");
            assertThat(seen).contains(new Seen("/new", "Bearer secret"));

            assertThatThrownBy(() -> api.get("/away"))
                    .isInstanceOf(CliException.class)
                    .hasMessageContaining("redirected to http://127.0.0.1:"
                            + other.getAddress().getPort())
                    .hasMessageContaining("not following it");
            assertThat(seenByOther).isEmpty();

            assertThatThrownBy(() -> api.get("/loop")).hasMessageContaining("redirected more than 5 times");
        } finally {
            tracking.stop(0);
            other.stop(0);
        }
    }

    @Test
    void shouldGiveUpOnAServerThatNeverAnswersWithExitCode3() throws Exception {
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        HttpServer silent = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        silent.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
        silent.createContext("/", exchange -> {
            try {
                release.await();
            } catch (InterruptedException ignored) {
                Thread.currentThread().interrupt();
            }
            exchange.close();
        });
        silent.start();
        try {
            Api api = new Api(
                    new Settings(
                            URI.create("http://127.0.0.1:" + silent.getAddress().getPort()), Optional.empty(), false),
                    java.time.Duration.ofMillis(300));

            assertThatThrownBy(() -> api.get("/api/2.0/mlflow/experiments/search"))
                    .isInstanceOf(CliException.class)
                    .hasMessageContaining("did not answer within")
                    .satisfies(e -> assertThat(((CliException) e).exitCode()).isEqualTo(ExitCodes.CANNOT_CONNECT));
        } finally {
            release.countDown();
            silent.stop(0);
        }
    }
}
