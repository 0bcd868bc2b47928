package dev.skein.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
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
}
