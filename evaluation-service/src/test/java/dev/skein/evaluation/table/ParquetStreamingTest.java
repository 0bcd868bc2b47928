package dev.skein.evaluation.table;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skein.evaluation.metrics.ClassifierAccumulator;
import dev.skein.evaluation.metrics.ClassifierOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.MessageTypeParser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A Parquet table of 2,000,000 rows in row groups of 250,000 rows, read one row at a time: it passes under
 * {@code -Xmx32m} (see the README for the heap observed), as the CSV of {@link StreamingTest} does.
 */
class ParquetStreamingTest {

    static final int ROWS = 2_000_000;

    /** pyarrow's default row group is 1Mi rows; smaller here so that the read crosses several. */
    static final int GROUP_ROWS = 250_000;

    static final MessageType SCHEMA = MessageTypeParser.parseMessageType(
            """
            message t {
              required int64 target;
              required int64 prediction;
              required binary comment (STRING);
            }
            """);

    @TempDir
    Path dir;

    @Test
    void shouldReadTwoMillionRowsOneAtATime() throws IOException {
        Path file = ParquetTableReaderTest.write(
                dir.resolve("big.parquet"), SCHEMA, CompressionCodecName.SNAPPY, ROWS, GROUP_ROWS, 20_000, (g, row) -> {
                    long target = row % 3 == 0 ? 1 : 0;
                    g.append("target", target);
                    g.append("prediction", row % 5 == 0 ? 1 - target : target);
                    g.append("comment", "row " + row + ", quoted");
                });
        System.out.println("the Parquet table: " + Files.size(file) + " bytes; reading from "
                + java.lang.management.ManagementFactory.getRuntimeMXBean().getUptime() + " ms");
        ClassifierAccumulator acc = new ClassifierAccumulator();
        try (TableReader table = TableReader.open(Files.newInputStream(file), Format.PARQUET)) {
            assertThat(Columns.of("target", "prediction").feed(table, acc)).isEqualTo(ROWS);
            assertThat(table.rowsRead()).isEqualTo(ROWS);
        }
        assertThat(acc.compute(ClassifierOptions.defaults()).metrics().get("example_count"))
                .isEqualTo((double) ROWS);
    }
}
