package dev.skein.common.testing;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What an operator sees of a service's Kafka consumers: readiness check "consumers" on {@code
 * /q/health/ready} and the retry counter on {@code /q/metrics}.
 */
public final class ConsumerProbe {

    private static final HttpClient HTTP =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final Pattern CONSUMERS_CHECK =
            Pattern.compile("\"name\"\\s*:\\s*\"consumers\"\\s*,\\s*\"status\"\\s*:\\s*\"(UP|DOWN)\"");

    private ConsumerProbe() {}

    /** "UP" or "DOWN": the status of readiness check "consumers" of the service on this port. */
    public static String consumersReadiness(int port) {
        String body = get(port, "/q/health/ready");
        Matcher m = CONSUMERS_CHECK.matcher(body);
        if (!m.find()) {
            throw new AssertionError("No readiness check \"consumers\" in " + body);
        }
        return m.group(1);
    }

    /** The value of {@code skein_consumer_retries_total{consumer=...}}, 0 if not there yet. */
    public static double retries(int port, String consumer) {
        Matcher m = Pattern.compile("(?m)^skein_consumer_retries_total\\{[^}]*consumer=\"" + Pattern.quote(consumer)
                        + "\"[^}]*\\}\\s+(\\S+)$")
                .matcher(get(port, "/q/metrics"));
        return m.find() ? Double.parseDouble(m.group(1)) : 0;
    }

    private static String get(int port, String path) {
        try {
            return HTTP.send(
                            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                                    .timeout(Duration.ofSeconds(10))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString())
                    .body();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
