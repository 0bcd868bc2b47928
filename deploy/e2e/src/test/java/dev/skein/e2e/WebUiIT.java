package dev.skein.e2e;

import static dev.skein.e2e.Http.api;
import static org.assertj.core.api.Assertions.assertThat;

import dev.skein.common.testing.TestInfra;
import io.restassured.response.Response;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The web UI as the suite serves it: the index at {@code /} never cached, the bundle's hashed files
 * cached as immutable, nothing else under {@code /assets/}; then the browser tests
 * (gateway-service/src/main/ui/tests, Node's test runner driving Debian's Chromium through
 * playwright-core) against the running suite — the LLM endpoints' local provider ({@link OpenAiProvider})
 * listening —, their screenshots in target/ui-screenshots. The
 * tests of signing in, tokens and permissions (auth.test.mjs) run against the shared gateway with
 * authentication on ({@link AuthGateway}) and its identity provider ({@link FakeIdp}).
 */
@ExtendWith({Suite.class, AuthGateway.class})
class WebUiIT {

    private static final Path UI = TestInfra.repoRoot().resolve("gateway-service/src/main/ui");

    @Test
    void shouldServeTheIndexUncachedAndTheBundleImmutable() {
        Response index = api().get("/");
        assertThat(index.statusCode()).isEqualTo(200);
        assertThat(index.contentType()).startsWith("text/html");
        assertThat(index.header("Cache-Control")).isEqualTo("no-cache");
        assertThat(index.header("Content-Security-Policy")).contains("default-src 'self'");
        Matcher script = Pattern.compile("src=\"/assets/([^\"]+\\.js)\"").matcher(index.asString());
        assertThat(script.find()).as("the index loads its script from /assets/").isTrue();

        Response bundle = api().get("/assets/" + script.group(1));
        assertThat(bundle.statusCode()).isEqualTo(200);
        assertThat(bundle.contentType()).startsWith("text/javascript");
        assertThat(bundle.header("Cache-Control")).isEqualTo("public, max-age=31536000, immutable");
        assertThat(bundle.asString()).contains("ajax-api/2.0");

        assertThat(api().get("/assets/not-in-the-bundle.js").statusCode()).isEqualTo(404);
        assertThat(api().get("/index.html").header("Cache-Control")).isEqualTo("no-cache");
        Response head = api().head("/");
        assertThat(head.statusCode()).isEqualTo(200);
        assertThat(head.header("Cache-Control")).isEqualTo("no-cache");
        assertThat(head.asByteArray()).isEmpty();
        // the API beside it is untouched
        assertThat(api().get("/ajax-api/2.0/mlflow/experiments/get?experiment_id=0")
                        .statusCode())
                .isEqualTo(200);
    }

    /** The suite's LLM endpoints' provider, for llm.test.mjs (LlmGatewayIT starts its own). */
    private static OpenAiProvider provider;

    @BeforeAll
    static void startProvider() {
        provider = OpenAiProvider.start(Suite.LLM_PROVIDER_PORT);
    }

    @AfterAll
    static void stopProvider() {
        provider.close();
    }

    @Test
    void shouldPassTheBrowserTests() throws Exception {
        Path shots = Path.of("target/ui-screenshots").toAbsolutePath();
        List<String> command = new ArrayList<>(List.of("node", "--test", "--test-concurrency=1"));
        // SKEIN_UI_TESTS=prompts,llm runs only those files (tests/prompts.test.mjs…), while working on a screen
        String only = System.getenv().getOrDefault("SKEIN_UI_TESTS", "").trim();
        List<String> chosen = only.isEmpty()
                ? List.of()
                : Stream.of(only.split(","))
                        .map(String::trim)
                        .map(n -> "tests/" + n + ".test.mjs")
                        .toList();
        try (Stream<Path> files = Files.list(UI.resolve("tests"))) {
            files.map(f -> "tests/" + f.getFileName())
                    .filter(f -> f.endsWith(".test.mjs"))
                    .filter(f -> chosen.isEmpty() || chosen.contains(f))
                    .sorted()
                    .forEach(command::add);
        }
        assertThat(command).as("browser test files (SKEIN_UI_TESTS=%s)", only).hasSizeGreaterThan(3);
        Files.deleteIfExists(shots.resolve("sign-in.png")); // taken again by auth.test.mjs
        ProcessBuilder node = new ProcessBuilder(command).directory(UI.toFile()).redirectErrorStream(true);
        node.environment().put("SKEIN_UI_URL", Suite.url());
        node.environment().put("SKEIN_UI_SCREENSHOTS", shots.toString());
        // auth.test.mjs: the gateway with authentication on, its first administrator and its identity provider
        node.environment().put("SKEIN_UI_AUTH_URL", AuthGateway.url());
        node.environment().put("SKEIN_UI_AUTH_ADMIN", AuthGateway.ADMIN);
        node.environment().put("SKEIN_UI_AUTH_PASSWORD", AuthGateway.password(AuthGateway.ADMIN));
        node.environment().put("SKEIN_UI_AUTH_PROVIDER", FakeIdp.DISPLAY_NAME);
        node.environment().put("SKEIN_UI_AUTH_PROVIDER_USER", FakeIdp.USER);
        // llm.test.mjs: the key in the suite's LLM endpoints file, which no page may show
        node.environment().put("SKEIN_UI_LLM_PROVIDER_KEY", Suite.LLM_PROVIDER_KEY);
        Process run = node.start();
        // the runner's report, through this JVM's own stdout (the test report keeps it)
        Thread report = new Thread(() -> {
            try (BufferedReader lines =
                    new BufferedReader(new InputStreamReader(run.getInputStream(), StandardCharsets.UTF_8))) {
                lines.lines().forEach(System.out::println);
            } catch (IOException e) {
                System.out.println("(the browser tests' report broke off: " + e + ")");
            }
        });
        report.start();
        if (!run.waitFor(15, TimeUnit.MINUTES)) {
            run.destroyForcibly();
            throw new AssertionError("the browser tests did not end within 15 minutes");
        }
        report.join(10_000);
        if (run.exitValue() != 0) {
            System.err.println("--- the authenticating gateway's log (" + AuthGateway.log() + "), its end:\n"
                    + AuthGateway.tail(60) + "\n--- the identity provider refused: "
                    + AuthGateway.idp().refusals());
        }
        assertThat(run.exitValue())
                .as("browser tests (their report is in this test's output)")
                .isZero();
        if (chosen.isEmpty()) {
            assertThat(shots.resolve("experiments.png")).exists();
            assertThat(shots.resolve("sign-in.png")).as("the sign-in tests ran").exists();
        }
    }
}
