package dev.skein.gateway.http;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * werkzeug's merge_slashes as it is ({@code re.sub("/{2,}?", "/", path)}): two slashes at a time, so
 * three or more in a row stay a double slash, which then matches nothing (404, not a redirect).
 */
class MergeSlashesTest {

    @Test
    void shouldMergeSlashesTwoAtATimeAsWerkzeugDoes() {
        assertThat(MlflowApi.mergeSlashes("/api/2.0//mlflow/experiments/get"))
                .isEqualTo("/api/2.0/mlflow/experiments/get");
        assertThat(MlflowApi.mergeSlashes("/api/2.0///mlflow/experiments/get"))
                .isEqualTo("/api/2.0//mlflow/experiments/get");
        assertThat(MlflowApi.mergeSlashes("////x//y/z")).isEqualTo("//x/y/z");
    }
}
