package dev.skein.registry.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.skein.common.error.ApiException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The source rules of MLflow's {@code _validate_source}, case by case from its server tests. */
class ModelSourcesTest {

    private static final String RELATIVE = "If supplying a source as an http, https, local file path, ftp,"
            + " objectstore, or mlflow-artifacts uri, an absolute path must be provided without relative path"
            + " references present. Please provide an absolute path.";

    @Test
    void shouldAcceptAbsoluteRemoteSources() {
        for (String ok : List.of(
                "mlflow-artifacts:/models",
                "mlflow-artifacts:/models/",
                "mlflow-artifacts:/models///",
                "mlflow-artifacts:/models/foo///bar",
                "mlflow-artifacts://host:9000/models",
                "mlflow-artifacts://host:9000/models/artifact/..../",
                "runs:/run_id/model",
                "models:/name/1",
                "s3://bucket/a+b/c%20d?versionId=3")) {
            assertThat(ModelSources.isLocal(ok)).as(ok).isFalse();
            assertThatCode(() -> ModelSources.checkAbsolute(ok)).as(ok).doesNotThrowAnyException();
        }
    }

    @Test
    void shouldRefuseRelativeReferencesHoweverOftenTheyAreEncoded() {
        for (String bad : List.of(
                "mlflow-artifacts://host:9000/models/../../../",
                "http://host:9000/models/../../../",
                "https://host/api/2.0/mlflow-artifacts/artifacts/../../../",
                "s3a://my_bucket/api/2.0/mlflow-artifacts/artifacts/../../../",
                "ftp://host:8888/api/2.0/mlflow-artifacts/artifacts/../../../",
                "mlflow-artifacts://host:9000/models/..%2f..%2fartifacts",
                "mlflow-artifacts://host:9000/models/artifact%00",
                "http://host:9000/api/2.0/mlflow-artifacts/artifacts%00",
                "dbfs:/0123/artifacts/a%3f/../../../../../../../../../../",
                "s3://bucket/a/%252e%252e%252f%252e%252e/secret",
                "s3://bucket/a/%25252e%25252e/secret",
                "s3://bucket/a/.%2e/secret",
                "s3://bucket/a/./b",
                "s3://bucket",
                "s3:bucket/relative",
                "runs:/",
                "C:\\models\\m")) {
            assertThatThrownBy(() -> ModelSources.checkAbsolute(bad))
                    .as(bad)
                    .isInstanceOf(ApiException.class)
                    .hasMessageStartingWith("Invalid model version source: '")
                    .hasMessageContaining(RELATIVE);
        }
        assertThatThrownBy(() -> ModelSources.checkAbsolute("mlflow-artifacts://h/models/..%2f..%2fartifacts"))
                .hasMessageContaining("'mlflow-artifacts://h/models/../../artifacts'");
    }

    @Test
    void shouldTellLocalPathsAndRefuseFileUrisOfOtherHosts() {
        for (String local : List.of("/tmp", "relative/model", "file:///tmp", "file:/tmp", "file://localhost/tmp")) {
            assertThat(ModelSources.isLocal(local)).as(local).isTrue();
        }
        assertThatThrownBy(() -> ModelSources.isLocal("file://123.456.789.123/path/to/source"))
                .hasMessageContaining("is not a valid remote uri");
        assertThat(ModelSources.localSourceRefused("/tmp").getMessage())
                .contains("To use a local path as a model version source, the run_id request parameter has to be"
                        + " specified and the local path has to be contained within the artifact directory of the run"
                        + " specified by the run_id.");
    }

    @Test
    void shouldAcceptALocalSourceOnlyInsideItsRunsLocalArtifactDirectory() {
        assertThat(ModelSources.isWithin("/srv/mlruns/1/r/artifacts", "file:///srv/mlruns/1/r/artifacts"))
                .isTrue();
        assertThat(ModelSources.isWithin("file:///srv/mlruns/1/r/artifacts/model/..", "/srv/mlruns/1/r/artifacts"))
                .isTrue();
        assertThat(ModelSources.isWithin("/srv/mlruns/1/r/artifacts/.", "/srv/mlruns/1/r/artifacts"))
                .isTrue();
        assertThat(ModelSources.isWithin("/srv/mlruns/1/r/artifacts-other", "/srv/mlruns/1/r/artifacts"))
                .isFalse();
        assertThat(ModelSources.isWithin("/srv/mlruns/1/r/artifacts/../..", "/srv/mlruns/1/r/artifacts"))
                .isFalse();
        assertThat(ModelSources.isWithin("/tmp", "file:///srv/mlruns/1/r/artifacts"))
                .isFalse();
        assertThat(ModelSources.isWithin("/srv/x", "s3://bucket/srv/x")).isFalse();
    }

    @Test
    void shouldDecodeAsPythonsUnquotePlus() {
        assertThat(ModelSources.decodeFully("a+b%20c%2Fd")).isEqualTo("a b c/d");
        assertThat(ModelSources.decodeFully("%25252e")).isEqualTo(".");
        assertThat(ModelSources.decodeFully("100%zz%e2%82%ac")).isEqualTo("100%zz€");
    }
}
