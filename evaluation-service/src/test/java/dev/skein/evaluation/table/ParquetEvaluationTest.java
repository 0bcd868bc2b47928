package dev.skein.evaluation.table;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.skein.evaluation.metrics.InvalidInputException;
import dev.skein.evaluation.output.Artifact;
import dev.skein.evaluation.service.Evaluator;
import dev.skein.proto.evaluation.v1.EvaluationSpec;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.MessageTypeParser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An evaluation of a Parquet table gives what the same table in CSV gives. */
class ParquetEvaluationTest {

    private static final MessageType SCHEMA = MessageTypeParser.parseMessageType(
            """
            message predictions {
              required int64 y;
              required int64 p;
              required double proba;
              required binary animal (STRING);
              required binary guess (STRING);
              required double weight;
            }
            """);

    @TempDir
    Path dir;

    /** Deterministic, imperfect predictions: about 1 in 4 wrong. */
    private static int target(int i) {
        return (i * 7 + 3) % 5 < 2 ? 1 : 0;
    }

    private static double proba(int i) {
        return ((i * 37) % 1000) / 1000.0 * 0.5 + target(i) * (i % 4 == 0 ? 0.1 : 0.45);
    }

    private static String animal(int i) {
        return new String[] {"cat", "dog", "owl"}[(i * 11) % 3];
    }

    private static String guess(int i) {
        return i % 5 == 0 ? animal(i + 1) : animal(i);
    }

    private Path parquet(CompressionCodecName codec, int rows) throws IOException {
        return ParquetTableReaderTest.write(dir.resolve(codec + ".parquet"), SCHEMA, codec, rows, (g, i) -> {
            g.append("y", (long) target(i));
            g.append("p", proba(i) >= 0.5 ? 1L : 0L);
            g.append("proba", proba(i));
            g.append("animal", animal(i));
            g.append("guess", guess(i));
            g.append("weight", (double) (1 + i % 3));
        });
    }

    private static byte[] csv(int rows) {
        StringBuilder csv = new StringBuilder("y,p,proba,animal,guess,weight\n");
        for (int i = 0; i < rows; i++) {
            csv.append(target(i))
                    .append(',')
                    .append(proba(i) >= 0.5 ? 1 : 0)
                    .append(',')
                    .append(proba(i))
                    .append(',')
                    .append(animal(i))
                    .append(',')
                    .append(guess(i))
                    .append(',')
                    .append(1 + i % 3)
                    .append('\n');
        }
        return csv.toString().getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void shouldGiveTheMetricsAndArtifactsOfTheSameTableInCsv() throws IOException {
        int rows = 3000;
        EvaluationSpec binary = EvaluationSpec.newBuilder()
                .setData("eval/predictions.parquet")
                .setModelType("classifier")
                .setTargets("y")
                .setPredictions("p")
                .addProbabilities("proba")
                .setSampleWeights("weight")
                .build();
        EvaluationSpec multiclass = EvaluationSpec.newBuilder()
                .setData("eval/predictions.parquet")
                .setModelType("classifier")
                .setTargets("animal")
                .setPredictions("guess")
                .build();
        Path snappy = parquet(CompressionCodecName.SNAPPY, rows);
        Path uncompressed = parquet(CompressionCodecName.UNCOMPRESSED, rows);
        Evaluator evaluator = new Evaluator(1 << 26);
        for (EvaluationSpec spec : new EvaluationSpec[] {binary, multiclass}) {
            Evaluator.Outcome fromCsv =
                    evaluator.evaluate(spec, "eval/predictions.csv", new ByteArrayInputStream(csv(rows)));
            assertThat(fromCsv.metrics()).containsKey("accuracy_score");
            assertThat(fromCsv.metrics().get("accuracy_score")).isBetween(0.5, 0.95);
            for (Path table : new Path[] {snappy, uncompressed}) {
                Evaluator.Outcome fromParquet =
                        evaluator.evaluate(spec, "eval/predictions.parquet", Files.newInputStream(table));
                assertThat(fromParquet.rows()).isEqualTo(rows);
                assertThat(fromParquet.metrics()).isEqualTo(fromCsv.metrics());
                assertThat(fromParquet.artifacts())
                        .extracting(Artifact::path)
                        .isNotEmpty()
                        .isEqualTo(
                                fromCsv.artifacts().stream().map(Artifact::path).toList());
            }
        }
    }

    @Test
    void shouldReadParquetWhenTheSpecSaysSoWhateverTheName() throws IOException {
        EvaluationSpec spec = EvaluationSpec.newBuilder()
                .setData("eval/predictions")
                .setModelType("classifier")
                .setTargets("animal")
                .setPredictions("guess")
                .setFormat("parquet")
                .build();
        Map<String, Double> metrics = new Evaluator(1 << 26)
                .evaluate(spec, "eval/predictions", Files.newInputStream(parquet(CompressionCodecName.ZSTD, 100)))
                .metrics();
        assertThat(metrics.get("example_count")).isEqualTo(100.0);
    }

    @Test
    void shouldFailTheEvaluationWithTheReasonForAFileThatIsNotParquet() {
        EvaluationSpec spec = EvaluationSpec.newBuilder()
                .setData("eval/predictions.parquet")
                .setModelType("classifier")
                .setTargets("animal")
                .setPredictions("guess")
                .build();
        assertThatThrownBy(() -> new Evaluator(1 << 26)
                        .evaluate(spec, "eval/predictions.parquet", new ByteArrayInputStream(csv(10))))
                .isInstanceOf(TableException.class)
                .hasMessageContaining("not a Parquet file");
    }

    @Test
    void shouldRefuseAParquetTableOverTheSizeLimitWhileCopyingIt() throws IOException {
        EvaluationSpec spec = EvaluationSpec.newBuilder()
                .setData("eval/predictions.parquet")
                .setModelType("classifier")
                .setTargets("animal")
                .setPredictions("guess")
                .build();
        Path table = parquet(CompressionCodecName.UNCOMPRESSED, 2000);
        long size = Files.size(table);
        assertThatThrownBy(() -> new Evaluator(size - 1).evaluate(spec, "t.parquet", Files.newInputStream(table)))
                .isInstanceOf(TableException.class)
                .hasMessageContaining("larger than the limit of " + (size - 1) + " bytes");
        assertThat(new Evaluator(size)
                        .evaluate(spec, "t.parquet", Files.newInputStream(table))
                        .rows())
                .isEqualTo(2000);
    }

    @Test
    void shouldNameParquetAmongTheExtensionsItKnows() {
        EvaluationSpec spec = EvaluationSpec.newBuilder()
                .setData("eval/predictions.xlsx")
                .setModelType("classifier")
                .setTargets("y")
                .setPredictions("p")
                .build();
        assertThatThrownBy(() -> new Evaluator(1 << 20)
                        .evaluate(spec, "eval/predictions.xlsx", new ByteArrayInputStream(new byte[0])))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining(".parquet");
        assertThat(Format.fromPath("eval/Predictions.PARQUET")).isEqualTo(Format.PARQUET);
    }
}
