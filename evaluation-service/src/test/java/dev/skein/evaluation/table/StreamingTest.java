package dev.skein.evaluation.table;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skein.evaluation.metrics.ClassifierAccumulator;
import dev.skein.evaluation.metrics.ClassifierOptions;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** A table far larger than any buffer, generated as it is read: never materialised. */
class StreamingTest {

    static final int ROWS = 2_000_000;

    /** "target,prediction,comment" then ROWS rows, produced on demand. */
    static final class GeneratedCsv extends InputStream {
        private final int rows;
        private int row = -1;
        private byte[] line = "target,prediction,comment\n".getBytes(StandardCharsets.UTF_8);
        private int pos;

        GeneratedCsv(int rows) {
            this.rows = rows;
        }

        @Override
        public int read() {
            if (pos == line.length && !advance()) {
                return -1;
            }
            return line[pos++] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) {
            if (len == 0) {
                return 0;
            }
            if (pos == line.length && !advance()) {
                return -1;
            }
            int n = Math.min(len, line.length - pos);
            System.arraycopy(line, pos, b, off, n);
            pos += n;
            return n;
        }

        private boolean advance() {
            if (++row >= rows) {
                return false;
            }
            int target = row % 3 == 0 ? 1 : 0;
            int prediction = row % 5 == 0 ? 1 - target : target;
            line = (target + "," + prediction + ",\"row " + row + ", quoted\"\n").getBytes(StandardCharsets.UTF_8);
            pos = 0;
            return true;
        }
    }

    @Test
    void shouldReadTwoMillionRowsOneAtATime() {
        ClassifierAccumulator acc = new ClassifierAccumulator();
        try (TableReader table = TableReader.open(new GeneratedCsv(ROWS), Format.CSV)) {
            assertThat(Columns.of("target", "prediction").feed(table, acc)).isEqualTo(ROWS);
            assertThat(table.rowsRead()).isEqualTo(ROWS);
        }
        assertThat(acc.compute(ClassifierOptions.defaults()).metrics().get("example_count"))
                .isEqualTo((double) ROWS);
    }
}
