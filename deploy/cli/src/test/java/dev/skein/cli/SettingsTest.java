package dev.skein.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

class SettingsTest {

    @Test
    void shouldPreferTheOptionThenSkeinThenMlflowThenTheLocalGateway() {
        Map<String, String> both =
                Map.of("SKEIN_TRACKING_URI", "http://skein:1", "MLFLOW_TRACKING_URI", "http://mlflow:2");
        assertThat(Settings.from(both, "https://option:3").trackingUri()).hasToString("https://option:3");
        assertThat(Settings.from(both, null).trackingUri()).hasToString("http://skein:1");
        assertThat(Settings.from(Map.of("MLFLOW_TRACKING_URI", "http://mlflow:2"), null)
                        .trackingUri())
                .hasToString("http://mlflow:2");
        assertThat(Settings.from(Map.of(), null).trackingUri()).hasToString("http://127.0.0.1:8080");
    }

    @Test
    void shouldSendBasicCredentialsBeforeAToken() {
        Settings basic = Settings.from(
                Map.of(
                        "MLFLOW_TRACKING_USERNAME", "ada",
                        "MLFLOW_TRACKING_PASSWORD", "s3cret",
                        "MLFLOW_TRACKING_TOKEN", "tok"),
                null);
        assertThat(basic.authorization()).contains("Basic YWRhOnMzY3JldA==");
        assertThat(Settings.from(Map.of("MLFLOW_TRACKING_TOKEN", "tok"), null).authorization())
                .contains("Bearer tok");
        assertThat(Settings.from(Map.of(), null).authorization()).isEmpty();
    }

    @Test
    void shouldSkipCertificateChecksOnlyWhenAsked() {
        assertThat(Settings.from(Map.of("MLFLOW_TRACKING_INSECURE_TLS", "true"), null)
                        .insecureTls())
                .isTrue();
        assertThat(Settings.from(Map.of("MLFLOW_TRACKING_INSECURE_TLS", "false"), null)
                        .insecureTls())
                .isFalse();
        assertThat(Settings.from(Map.of(), null).insecureTls()).isFalse();
    }
}
