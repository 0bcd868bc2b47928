package dev.skein.artifacts.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.skein.common.error.ApiException;
import dev.skein.proto.common.v1.ErrorCode;
import org.junit.jupiter.api.Test;

class ArtifactPathsTest {

    @Test
    void shouldNormaliseEmptyAndDotSegments() {
        assertThat(ArtifactPaths.normalize("a//b/./c/")).isEqualTo("a/b/c");
        assertThat(ArtifactPaths.normalize("./model/MLmodel")).isEqualTo("model/MLmodel");
        assertThat(ArtifactPaths.normalize("")).isEmpty();
        assertThat(ArtifactPaths.normalize(null)).isEmpty();
        // names that merely contain dots, percent signs or pluses are fine
        assertThat(ArtifactPaths.normalize("v1..2/a.b/100%/x+y")).isEqualTo("v1..2/a.b/100%/x+y");
    }

    @Test
    void shouldRefuseEveryWayOutOfTheRoot() {
        for (String path : new String[] {
            "..",
            "../x",
            "a/../../x",
            "a/..",
            "/etc/passwd",
            "//etc/passwd",
            "a\\..\\b",
            "a\u0000b",
            "a\nb",
            "%2e%2e/x",
            "%2E%2E%2Fx",
            "a/%2e%2e",
            "%252e%252e/x",
            "%25252e%25252e/x",
            "%2fetc/passwd",
            "%5c..%5cx",
            "a%00b",
            "C:/Windows",
            "s3://other-bucket/x",
            "a#b",
            "a%23b",
        }) {
            assertThatThrownBy(() -> ArtifactPaths.normalize(path))
                    .as(path)
                    .isInstanceOfSatisfying(ApiException.class, e -> {
                        assertThat(e.code()).isEqualTo(ErrorCode.INVALID_PARAMETER_VALUE);
                        // MLflow's test_path_validation wants exactly this message
                        assertThat(e.getMessage()).isEqualTo("Invalid path");
                    });
        }
    }

    @Test
    void shouldWantAPathInsideTheRootWhereAFileIsMeant() {
        assertThatThrownBy(() -> ArtifactPaths.requireNonRoot("./", "path"))
                .hasMessageContaining("a path inside the root is required");
        assertThat(ArtifactPaths.requireNonRoot("a/b.txt", "path")).isEqualTo("a/b.txt");
    }
}
