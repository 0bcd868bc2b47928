package dev.skein.cli.commands;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.skein.cli.Api;
import dev.skein.cli.CliException;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine.TypeConversionException;

/** The pieces of the commands that work without a server: sizes, ages, CSV, artifact URIs, part sizes. */
class CommandsTest {

    @Test
    void shouldReadSizesInBinaryUnits() {
        assertThat(ByteSize.parse("5242880")).isEqualTo(5L << 20);
        assertThat(ByteSize.parse("16MiB")).isEqualTo(16L << 20);
        assertThat(ByteSize.parse("2 gb")).isEqualTo(2L << 30);
        assertThat(ByteSize.parse("64k")).isEqualTo(64L << 10);
        assertThatThrownBy(() -> ByteSize.parse("1.5MiB")).isInstanceOf(TypeConversionException.class);
        assertThatThrownBy(() -> ByteSize.parse("99999999999999999999G")).isInstanceOf(TypeConversionException.class);
    }

    @Test
    void shouldReadMlflowsOlderThanFormat() {
        assertThat(GcCommand.olderThanMs("1d2h3m4s")).isEqualTo(((24 + 2) * 3600 + 3 * 60 + 4) * 1000L);
        assertThat(GcCommand.olderThanMs("30m")).isEqualTo(30 * 60_000L);
        assertThatThrownBy(() -> GcCommand.olderThanMs("2 weeks")).isInstanceOf(CliException.class);
        assertThatThrownBy(() -> GcCommand.olderThanMs("")).isInstanceOf(CliException.class);
    }

    @Test
    void shouldWriteRunsAsMlflowsCsvColumns() throws Exception {
        RunsCsv csv = new RunsCsv();
        csv.add(
                run(
                        "{\"info\":{\"run_id\":\"r1\",\"experiment_id\":\"1\",\"status\":\"FINISHED\",\"artifact_uri\":\"a\","
                                + "\"start_time\":0},\"data\":{\"metrics\":[{\"key\":\"rmse\",\"value\":0.5}],"
                                + "\"params\":[{\"key\":\"alpha\",\"value\":\"a,b\"}],\"tags\":[{\"key\":\"note\",\"value\":\"say \\\"hi\\\"\"}]}}"));
        csv.add(run("{\"info\":{\"run_id\":\"r2\",\"experiment_id\":\"1\",\"status\":\"RUNNING\"},"
                + "\"data\":{\"metrics\":[{\"key\":\"acc\",\"value\":1}]}}"));
        StringWriter out = new StringWriter();
        csv.write(out);
        assertThat(out.toString())
                .isEqualTo("run_id,experiment_id,status,artifact_uri,start_time,end_time,metrics.acc,metrics.rmse,"
                        + "params.alpha,tags.note\n"
                        + "r1,1,FINISHED,a,1970-01-01T00:00:00Z,,,0.5,\"a,b\",\"say \"\"hi\"\"\"\n"
                        + "r2,1,RUNNING,,,,1,,,\n");
    }

    private static JsonNode run(String json) throws Exception {
        return Api.JSON.readTree(json);
    }

    @Test
    void shouldFindTheProxyPathOfARunsArtifacts() {
        assertThat(ArtifactsCommand.proxyPath("mlflow-artifacts:/1/abc/artifacts", "abc"))
                .isEqualTo("1/abc/artifacts");
        assertThat(ArtifactsCommand.proxyPath("mlflow-artifacts://gw:8080/1/abc/artifacts", "abc"))
                .isEqualTo("1/abc/artifacts");
        assertThatThrownBy(() -> ArtifactsCommand.proxyPath("s3://bucket/teams/abc", "abc"))
                .isInstanceOf(CliException.class)
                .hasMessageContaining("not behind Skein's artifact proxy");
    }

    @Test
    void shouldKeepPartsWithinS3sTenThousand() {
        assertThat(MultipartUpload.partSize(100L << 20, 16L << 20)).isEqualTo(16L << 20);
        long huge = 1L << 40; // 1 TiB at 16 MiB parts would need 65,536 parts
        long part = MultipartUpload.partSize(huge, 16L << 20);
        assertThat(MultipartUpload.parts(huge, part)).isLessThanOrEqualTo(10_000);
        assertThat(MultipartUpload.parts(12L << 20, 5L << 20)).isEqualTo(3);
        assertThat(MultipartUpload.parts(0, 5L << 20)).isEqualTo(1);
    }

    @Test
    void shouldFollowOnlyListedEntriesStrictlyInsideTheDirectory() {
        assertThat(ArtifactsCommand.isUnder("", "model")).isTrue();
        assertThat(ArtifactsCommand.isUnder("model", "model/data")).isTrue();
        assertThat(ArtifactsCommand.isUnder("model", "model")).isFalse();
        assertThat(ArtifactsCommand.isUnder("", "")).isFalse();
        assertThat(ArtifactsCommand.isUnder("", ".")).isFalse();
        assertThat(ArtifactsCommand.isUnder("model", "model/.")).isFalse();
        assertThat(ArtifactsCommand.isUnder("model", "other")).isFalse();
        assertThat(ArtifactsCommand.isUnder("model", "modelx/a")).isFalse();
    }

    @Test
    void shouldUploadRegularFilesOnlyAndSayWhichLinksItSkipped(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        java.nio.file.Path outside = java.nio.file.Files.writeString(dir.resolve("secret"), "x");
        java.nio.file.Path upload = java.nio.file.Files.createDirectories(dir.resolve("up/sub"));
        java.nio.file.Path kept = java.nio.file.Files.writeString(upload.resolve("a.txt"), "a");
        java.nio.file.Files.createSymbolicLink(upload.resolve("link"), outside);
        java.util.List<String> skipped = new java.util.ArrayList<>();

        assertThat(ArtifactsCommand.regularFiles(dir.resolve("up"), skipped::add))
                .containsExactly(kept);
        assertThat(skipped).singleElement().asString().contains("symbolic link").contains("link");
    }
}
