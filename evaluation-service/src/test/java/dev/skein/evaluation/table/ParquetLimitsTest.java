package dev.skein.evaluation.table;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.parquet.bytes.BytesInput;
import org.apache.parquet.column.ColumnDescriptor;
import org.apache.parquet.column.Encoding;
import org.apache.parquet.column.page.DictionaryPage;
import org.apache.parquet.compression.CompressionCodecFactory.BytesInputDecompressor;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.format.PageHeader;
import org.apache.parquet.format.Util;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.io.LocalInputFile;
import org.apache.parquet.io.api.Binary;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.MessageTypeParser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bounds on what a Parquet table decodes to (its size limit bounds only the file): each hostile file is
 * refused with a {@link TableException} naming the excess, and its temporary copy is deleted.
 */
class ParquetLimitsTest {

    @TempDir
    Path dir;

    private Path spool() throws IOException {
        return Files.createDirectories(dir.resolve("spool"));
    }

    /** Opens {@code file} as evaluation does, with {@code limit} as max-table-bytes; expects a refusal. */
    private void assertRefused(Path file, long limit, String message) throws IOException {
        Path spool = spool();
        assertThatThrownBy(() -> new ParquetTableReader(Files.newInputStream(file), spool, limit))
                .isInstanceOf(TableException.class)
                .hasMessageStartingWith("cannot read the Parquet table: ")
                .hasMessageContaining(message);
        assertThat(spool).isEmptyDirectory();
    }

    private static long rowsRead(Path file, long limit) throws IOException {
        try (TableReader table = new ParquetTableReader(Files.newInputStream(file), null, limit)) {
            long[] n = {0};
            table.forEach(row -> n[0]++);
            return n[0];
        }
    }

    @Test
    void shouldRefuseAFileThatDecompressesToMoreThanEightTimesTheLimit() throws IOException {
        MessageType schema = MessageTypeParser.parseMessageType("message t { required binary s (STRING); }");
        String text = "a".repeat(100_000);
        Path file = ParquetTableReaderTest.write(
                dir.resolve("bomb.parquet"),
                schema,
                CompressionCodecName.ZSTD,
                10,
                10,
                1,
                (g, i) -> g.append("s", text + i));
        long size = Files.size(file);
        assertThat(size).isLessThan(1_000_000 / 8); // compresses more than 8 times
        assertRefused(file, size, "its column chunks decompress to ");
        // the same file, under a limit eight times its decoded size allows
        assertThat(rowsRead(file, 1_000_000)).isEqualTo(10);
    }

    @Test
    void shouldRefuseMoreRowsThanTheLimitHasBytes() throws IOException {
        MessageType schema = MessageTypeParser.parseMessageType("message t { required int32 x; }");
        Path file = ParquetTableReaderTest.write(
                dir.resolve("rows.parquet"),
                schema,
                CompressionCodecName.SNAPPY,
                20_000,
                20_000,
                20_000,
                (g, i) -> g.append("x", 7));
        long size = Files.size(file);
        assertThat(size).isLessThan(20_000);
        assertRefused(file, size, "it holds 20000 rows; at most " + size + " are read");
        assertThat(rowsRead(file, 20_000)).isEqualTo(20_000);
    }

    @Test
    void shouldBoundThePagesTogetherWhateverTheirHeadersSay() throws IOException {
        BytesInputDecompressor pages = new ParquetCodecs(100).getDecompressor(CompressionCodecName.UNCOMPRESSED);
        assertThat(pages.decompress(BytesInput.from(new byte[60]), 60).size()).isEqualTo(60);
        assertThat(pages.decompress(BytesInput.from(new byte[40]), 40).size()).isEqualTo(40);
        assertThatThrownBy(() -> pages.decompress(BytesInput.from(new byte[1]), 1))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("more than 100 bytes in all");
        BytesInputDecompressor huge = new ParquetCodecs().getDecompressor(CompressionCodecName.SNAPPY);
        assertThatThrownBy(() -> huge.decompress(BytesInput.from(new byte[10]), ParquetCodecs.MAX_PAGE_BYTES + 1))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("at most " + ParquetCodecs.MAX_PAGE_BYTES);
    }

    @Test
    void shouldRefuseADictionaryPageDeclaringMoreEntriesThanItsBytesHold() {
        MessageType schema = MessageTypeParser.parseMessageType(
                "message t { required int64 n; required binary s (STRING); required fixed_len_byte_array(3) f; }");
        ColumnDescriptor n = schema.getColumns().get(0);
        ColumnDescriptor s = schema.getColumns().get(1);
        ColumnDescriptor f = schema.getColumns().get(2);
        ParquetTableReader.checkDictionary(n, page(80, 10));
        ParquetTableReader.checkDictionary(s, page(40, 10));
        ParquetTableReader.checkDictionary(f, page(30, 10));
        assertThatThrownBy(() -> ParquetTableReader.checkDictionary(n, page(80, 11)))
                .isInstanceOf(TableException.class)
                .hasMessage(
                        "cannot read the Parquet table: column n's dictionary page declares 11 entries in 80 bytes");
        assertThatThrownBy(() -> ParquetTableReader.checkDictionary(s, page(16, 2_000_000_000)))
                .isInstanceOf(TableException.class)
                .hasMessageContaining("declares 2000000000 entries in 16 bytes");
        assertThatThrownBy(() -> ParquetTableReader.checkDictionary(f, page(29, 10)))
                .isInstanceOf(TableException.class);
        assertThatThrownBy(() -> ParquetTableReader.checkDictionary(f, page(29, -1)))
                .isInstanceOf(TableException.class);
    }

    @Test
    void shouldRefuseAFileWhoseDictionaryPageHeaderClaimsMoreEntries() throws IOException {
        MessageType schema = MessageTypeParser.parseMessageType("message t { required int64 n; }");
        Path file = ParquetTableReaderTest.write(
                dir.resolve("dict.parquet"),
                schema,
                CompressionCodecName.UNCOMPRESSED,
                100,
                100,
                100,
                (g, i) -> g.append("n", (long) i % 3));
        byte[] bytes = Files.readAllBytes(file);
        long offset;
        try (ParquetFileReader footer =
                new ParquetFileReader(new LocalInputFile(file), ParquetTableReader.options(new ParquetCodecs()))) {
            offset = footer.getRowGroups().get(0).getColumns().get(0).getDictionaryPageOffset();
        }
        // rewrite the dictionary page's header: 63 entries (8 bytes each) in its 24 bytes; the same length
        ByteArrayInputStream in = new ByteArrayInputStream(bytes, (int) offset, bytes.length - (int) offset);
        PageHeader header = Util.readPageHeader(in);
        int length = bytes.length - (int) offset - in.available();
        assertThat(header.getDictionary_page_header().getNum_values()).isEqualTo(3);
        assertThat(header.getUncompressed_page_size()).isEqualTo(24);
        header.getDictionary_page_header().setNum_values(63);
        ByteArrayOutputStream patched = new ByteArrayOutputStream();
        Util.writePageHeader(header, patched);
        assertThat(patched.size()).isEqualTo(length);
        System.arraycopy(patched.toByteArray(), 0, bytes, (int) offset, length);
        Path spool = spool();
        try (TableReader table = new ParquetTableReader(new ByteArrayInputStream(bytes), spool, Long.MAX_VALUE)) {
            assertThatThrownBy(table::next)
                    .isInstanceOf(TableException.class)
                    .hasMessage("row 1: cannot read the Parquet table: column n's dictionary page declares 63 entries"
                            + " in 24 bytes");
        }
        assertThat(spool).isEmptyDirectory();
    }

    private static DictionaryPage page(int bytes, int entries) {
        return new DictionaryPage(BytesInput.from(new byte[bytes]), entries, Encoding.PLAIN);
    }

    @Test
    void shouldRefuseMoreLeafColumnsThanTheLimit() throws IOException {
        StringBuilder fields = new StringBuilder("message t {");
        for (int i = 0; i <= ParquetTableReader.MAX_LEAF_COLUMNS; i++) {
            fields.append(" optional int32 c").append(i).append(';');
        }
        MessageType schema =
                MessageTypeParser.parseMessageType(fields.append(" }").toString());
        Path file = ParquetTableReaderTest.write(
                dir.resolve("wide.parquet"), schema, CompressionCodecName.UNCOMPRESSED, 1, (g, i) -> g.append("c0", 1));
        assertRefused(file, Long.MAX_VALUE, "more than 10000 leaf columns");
    }

    @Test
    void shouldRefuseASchemaNestedDeeperThanTheLimit() throws IOException {
        for (int depth : new int[] {ParquetTableReader.MAX_DEPTH, ParquetTableReader.MAX_DEPTH + 1}) {
            StringBuilder fields = new StringBuilder("message t {");
            for (int i = 1; i < depth; i++) {
                fields.append(" optional group g").append(i).append(" {");
            }
            fields.append(" optional int32 leaf;")
                    .append(" }".repeat(depth - 1))
                    .append(" }");
            MessageType schema = MessageTypeParser.parseMessageType(fields.toString());
            Path file = ParquetTableReaderTest.write(
                    dir.resolve("deep" + depth + ".parquet"), schema, CompressionCodecName.SNAPPY, 2, (g, row) -> {
                        Group group = g;
                        for (int i = 1; i < depth; i++) {
                            group = group.addGroup("g" + i);
                        }
                        group.append("leaf", row);
                    });
            if (depth <= ParquetTableReader.MAX_DEPTH) {
                assertThat(rowsRead(file, Long.MAX_VALUE)).isEqualTo(2);
            } else {
                assertRefused(file, Long.MAX_VALUE, "nested more than 64 levels deep (at leaf)");
            }
        }
    }

    @Test
    void shouldRefuseAFixedLengthDecimalLongerThanSixteenBytes() throws IOException {
        MessageType schema = MessageTypeParser.parseMessageType(
                "message t { required fixed_len_byte_array(17) d (DECIMAL(40, 2)); }");
        Path file = ParquetTableReaderTest.write(
                dir.resolve("decimal.parquet"),
                schema,
                CompressionCodecName.SNAPPY,
                3,
                (g, i) -> g.append("d", Binary.fromConstantByteArray(new byte[17])));
        assertRefused(file, Long.MAX_VALUE, "column d is a DECIMAL of 17 bytes; at most 16 are read");
    }

    @Test
    void shouldRefuseABinaryDecimalValueLongerThanSixteenBytesNamingTheRow() throws IOException {
        MessageType schema = MessageTypeParser.parseMessageType("message t { required binary d (DECIMAL(38, 2)); }");
        Path file = ParquetTableReaderTest.write(
                dir.resolve("decimal.parquet"), schema, CompressionCodecName.SNAPPY, 3, (g, i) -> {
                    BigInteger unscaled = i == 1 ? BigInteger.TEN.pow(40) : BigInteger.valueOf(12345);
                    g.append("d", Binary.fromConstantByteArray(unscaled.toByteArray()));
                });
        Path spool = spool();
        try (TableReader table = new ParquetTableReader(Files.newInputStream(file), spool, Long.MAX_VALUE)) {
            assertThat(table.next().value("d")).isEqualTo(123.45);
            assertThatThrownBy(table::next)
                    .isInstanceOf(TableException.class)
                    .hasMessage("row 2: cannot read the Parquet table: column d holds a DECIMAL of 17 bytes; at most 16"
                            + " are read");
        }
        assertThat(spool).isEmptyDirectory();
    }

    @Test
    void shouldRefuseAFooterLongerThanSixteenMebibytesBeforeDecodingIt() throws IOException {
        MessageType schema = MessageTypeParser.parseMessageType("message t { required int32 x; }");
        Path file = ParquetTableReaderTest.write(
                dir.resolve("footer.parquet"), schema, CompressionCodecName.SNAPPY, 5, (g, i) -> g.append("x", i));
        byte[] bytes = Files.readAllBytes(file);
        ByteBuffer tail = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        int declared = tail.getInt(bytes.length - 8);
        assertThat(declared).isPositive().isLessThan(bytes.length);
        tail.putInt(bytes.length - 8, (int) ParquetTableReader.MAX_FOOTER_BYTES + 1);
        Path spool = spool();
        assertThatThrownBy(() -> new ParquetTableReader(new ByteArrayInputStream(bytes), spool, Long.MAX_VALUE))
                .isInstanceOf(TableException.class)
                .hasMessage("cannot read the Parquet table: its footer is 16777217 bytes; at most 16777216 are read");
        assertThat(spool).isEmptyDirectory();
        tail.putInt(bytes.length - 8, -1); // 4 GiB - 1, unsigned
        assertThatThrownBy(() -> new ParquetTableReader(new ByteArrayInputStream(bytes), spool, Long.MAX_VALUE))
                .isInstanceOf(TableException.class)
                .hasMessageContaining("its footer is 4294967295 bytes");
        assertThat(spool).isEmptyDirectory();
    }
}
