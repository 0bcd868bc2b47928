package dev.skein.evaluation.table;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.skein.evaluation.metrics.RetrieverAccumulator;
import io.airlift.compress.Compressor;
import io.airlift.compress.lz4.Lz4Compressor;
import io.airlift.compress.snappy.SnappyCompressor;
import io.airlift.compress.zstd.ZstdCompressor;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import org.apache.parquet.bytes.BytesInput;
import org.apache.parquet.compression.CompressionCodecFactory;
import org.apache.parquet.conf.ParquetConfiguration;
import org.apache.parquet.conf.PlainParquetConfiguration;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.NanoTime;
import org.apache.parquet.example.data.simple.SimpleGroupFactory;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.example.ExampleParquetWriter;
import org.apache.parquet.hadoop.metadata.BlockMetaData;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.io.LocalInputFile;
import org.apache.parquet.io.LocalOutputFile;
import org.apache.parquet.io.OutputFile;
import org.apache.parquet.io.api.Binary;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.MessageTypeParser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Parquet tables written here with parquet-java's writer (and a few by pyarrow: {@link PyarrowParquetFiles}), read
 * back row by row. No Hadoop is on the test class path, so these tests also show the reader needs none.
 */
class ParquetTableReaderTest {

    static final MessageType CLASSIFIER = MessageTypeParser.parseMessageType(
            """
            message predictions {
              required binary label (STRING);
              optional binary prediction (STRING);
              optional double prob;
              optional float prob32;
              optional int32 n;
              required int64 big;
              optional boolean flag;
              optional group docs (LIST) {
                repeated group list {
                  optional binary element (STRING);
                }
              }
              optional group ids (LIST) {
                repeated group list {
                  required int32 element;
                }
              }
            }
            """);

    @TempDir
    Path dir;

    /** Row {@code i} of the classifier-like table; nulls in every optional column at some rows. */
    static void classifierRow(Group g, int i) {
        g.append("label", i % 3 == 0 ? "dog" : "cat");
        if (i % 11 != 0) {
            g.append("prediction", i % 4 == 0 ? "dog" : "cat");
        }
        if (i % 13 != 0) {
            g.append("prob", i / 1000.0);
        }
        g.append("prob32", 0.1f);
        if (i % 7 != 0) {
            g.append("n", i);
        }
        g.append("big", 10_000_000_000L + i);
        if (i % 5 != 0) {
            g.append("flag", i % 2 == 0);
        }
        if (i % 6 != 0) {
            Group docs = g.addGroup("docs");
            docs.addGroup("list").append("element", "d" + i);
            docs.addGroup("list"); // a null element
            docs.addGroup("list").append("element", "x");
        }
        Group ids = g.addGroup("ids");
        for (int k = 0; k < i % 4; k++) {
            ids.addGroup("list").append("element", i + k);
        }
    }

    static void assertClassifierRow(Row row, int i) {
        assertThat(row.number()).isEqualTo(i + 1);
        assertThat(row.value("label")).isEqualTo(i % 3 == 0 ? "dog" : "cat");
        assertThat(row.value("prediction")).isEqualTo(i % 11 != 0 ? (i % 4 == 0 ? "dog" : "cat") : null);
        assertThat(row.value("prob")).isEqualTo(i % 13 != 0 ? i / 1000.0 : null);
        assertThat(row.value("prob32")).isEqualTo((double) 0.1f);
        assertThat(row.value("n")).isEqualTo(i % 7 != 0 ? (Object) (long) i : null);
        assertThat(row.value("big")).isEqualTo(10_000_000_000L + i);
        assertThat(row.value("flag")).isEqualTo(i % 5 != 0 ? (Object) (i % 2 == 0) : null);
        assertThat(row.value("docs")).isEqualTo(i % 6 != 0 ? Arrays.asList("d" + i, null, "x") : null);
        List<Object> ids = new ArrayList<>();
        for (int k = 0; k < i % 4; k++) {
            ids.add((long) (i + k));
        }
        assertThat(row.list("ids")).isEqualTo(ids);
    }

    @ParameterizedTest
    @EnumSource(
            value = CompressionCodecName.class,
            names = {"UNCOMPRESSED", "SNAPPY", "GZIP", "ZSTD", "LZ4_RAW"})
    void shouldReadEveryRowOfEveryRowGroup(CompressionCodecName codec) throws IOException {
        Path file = write(dir.resolve("t.parquet"), CLASSIFIER, codec, 1000, ParquetTableReaderTest::classifierRow);
        // the file is what the test means: several row groups, each column compressed with the codec
        try (ParquetFileReader footer =
                new ParquetFileReader(new LocalInputFile(file), ParquetTableReader.options(new ParquetCodecs()))) {
            assertThat(footer.getRowGroups()).hasSizeGreaterThan(5);
            for (BlockMetaData group : footer.getRowGroups()) {
                group.getColumns().forEach(c -> assertThat(c.getCodec()).isEqualTo(codec));
            }
        }
        try (TableReader table = open(file)) {
            assertThat(table.columns())
                    .contains(List.of("label", "prediction", "prob", "prob32", "n", "big", "flag", "docs", "ids"));
            assertThat(table.declaredRows()).as("the footer's row count").hasValue(1000);
            for (int i = 0; i < 1000; i++) {
                assertThat(table.hasNext()).as("row %d", i + 1).isTrue();
                assertClassifierRow(table.next(), i);
            }
            assertThat(table.hasNext()).isFalse();
            assertThat(table.rowsRead()).isEqualTo(1000);
        }
    }

    @Test
    void shouldFeedARetrieverTheSameAsTheSameTableInJsonLines() throws IOException {
        MessageType schema = MessageTypeParser.parseMessageType(
                """
                message retrieval {
                  required group relevant (LIST) { repeated group list { required binary element (STRING); } }
                  required group retrieved (LIST) { repeated group list { required binary element (STRING); } }
                }
                """);
        StringBuilder jsonl = new StringBuilder();
        Path file = write(dir.resolve("r.parquet"), schema, CompressionCodecName.SNAPPY, 200, (g, i) -> {
            List<String> relevant = List.of("d" + i % 17, "d" + i % 5);
            List<String> retrieved = List.of("d" + i % 5, "d" + i % 3, "d" + i % 17, "d" + i % 2);
            Group r = g.addGroup("relevant");
            relevant.forEach(d -> r.addGroup("list").append("element", d));
            Group p = g.addGroup("retrieved");
            retrieved.forEach(d -> p.addGroup("list").append("element", d));
            jsonl.append("{\"relevant\": [\"")
                    .append(String.join("\", \"", relevant))
                    .append("\"], \"retrieved\": [\"")
                    .append(String.join("\", \"", retrieved))
                    .append("\"]}\n");
        });
        RetrieverAccumulator fromParquet = new RetrieverAccumulator(3, false);
        RetrieverAccumulator fromJsonLines = new RetrieverAccumulator(3, false);
        Columns columns = Columns.of("relevant", "retrieved");
        try (TableReader table = open(file)) {
            assertThat(columns.feed(table, fromParquet)).isEqualTo(200);
        }
        try (TableReader table = TableReader.open(
                new ByteArrayInputStream(jsonl.toString().getBytes(StandardCharsets.UTF_8)), Format.JSONL)) {
            assertThat(columns.feed(table, fromJsonLines)).isEqualTo(200);
        }
        Map<String, Double> metrics = fromParquet.compute().metrics();
        assertThat(metrics).isNotEmpty().isEqualTo(fromJsonLines.compute().metrics());
        assertThat(metrics.values()).anySatisfy(v -> assertThat(v).isBetween(0.01, 0.99));
    }

    @Test
    void shouldReadAMissingValueAsPandasNaNIsReadInOtherFormats() throws IOException {
        Path file = write(
                dir.resolve("t.parquet"),
                CLASSIFIER,
                CompressionCodecName.SNAPPY,
                12,
                ParquetTableReaderTest::classifierRow);
        try (TableReader table = open(file)) {
            Row row = table.next(); // i = 0: every optional value is null
            assertThat(row.has("prediction")).isTrue();
            assertThat(row.isMissing("prediction")).isTrue();
            assertThatThrownBy(() -> row.label("prediction"))
                    .isInstanceOf(TableException.class)
                    .hasMessage("row 1, column 'prediction': the value is missing");
            assertThatThrownBy(() -> row.value("absent"))
                    .isInstanceOf(TableException.class)
                    .hasMessageContaining("column 'absent': no such column");
        }
    }

    @Test
    void shouldMapTheOtherTypesAsDocumented() throws IOException {
        MessageType schema = MessageTypeParser.parseMessageType(
                """
                message t {
                  optional int32 dec32 (DECIMAL(9,2));
                  optional binary decb (DECIMAL(20,3));
                  optional int32 u32 (INTEGER(32,false));
                  optional int64 u64 (INTEGER(64,false));
                  optional fixed_len_byte_array(16) id (UUID);
                  optional int96 ts;
                  optional binary raw;
                  optional fixed_len_byte_array(2) half (FLOAT16);
                  optional fixed_len_byte_array(3) bytes;
                  optional group st { optional int32 a; optional binary b (STRING); }
                  optional group m (MAP) {
                    repeated group key_value { required binary key (STRING); optional double value; }
                  }
                  optional group legacy (LIST) { repeated int32 element; }
                  repeated binary tags (STRING);
                }
                """);
        UUID uuid = UUID.fromString("123e4567-e89b-12d3-a456-426614174000");
        Path file = write(dir.resolve("types.parquet"), schema, CompressionCodecName.SNAPPY, 2, 2, 20, (g, i) -> {
            if (i == 1) {
                return; // every value null, no tags
            }
            g.append("dec32", 12345);
            g.append("decb", Binary.fromConstantByteArray(new BigInteger("-1234567").toByteArray()));
            g.append("u32", -1);
            g.append("u64", -1L);
            g.append(
                    "id",
                    Binary.fromConstantByteArray(ByteBuffer.allocate(16)
                            .putLong(uuid.getMostSignificantBits())
                            .putLong(uuid.getLeastSignificantBits())
                            .array()));
            g.append("ts", new NanoTime(2_440_588 + 1, 5L)); // 1970-01-02, 5 ns after midnight
            g.append("raw", Binary.fromString("héllo"));
            g.append("half", Binary.fromConstantByteArray(new byte[] {0x00, 0x3e})); // 1.5
            g.append("bytes", Binary.fromConstantByteArray(new byte[] {0x0a, (byte) 0xff, 0x00}));
            g.addGroup("st").append("a", 1).append("b", "x");
            Group m = g.addGroup("m");
            m.addGroup("key_value").append("key", "k").append("value", 0.5);
            m.addGroup("key_value").append("key", "j");
            g.addGroup("legacy").append("element", 1).append("element", 2);
            g.append("tags", "a").append("tags", "b");
        });
        try (TableReader table = open(file)) {
            Row row = table.next();
            assertThat(row.value("dec32")).isEqualTo(123.45);
            assertThat(row.value("decb")).isEqualTo(-1234.567);
            assertThat(row.value("u32")).isEqualTo(4_294_967_295L);
            assertThat(row.value("u64")).isEqualTo(18_446_744_073_709_551_615.0);
            assertThat(row.value("id")).isEqualTo(uuid.toString());
            assertThat(row.value("ts")).isEqualTo(86_400_000_000_005L);
            assertThat(row.value("raw")).isEqualTo("héllo");
            assertThat(row.value("half")).isEqualTo(1.5);
            assertThat(row.value("bytes")).isEqualTo("0aff00");
            assertThat(row.value("st")).isEqualTo(Map.of("a", 1L, "b", "x"));
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("k", 0.5);
            m.put("j", null);
            assertThat(row.value("m")).isEqualTo(m);
            assertThat(row.list("legacy")).containsExactly(1L, 2L);
            assertThat(row.list("tags")).containsExactly("a", "b");
            Row empty = table.next();
            for (String column :
                    List.of("dec32", "decb", "u32", "u64", "id", "ts", "raw", "half", "bytes", "st", "m", "legacy")) {
                assertThat(empty.isMissing(column)).as(column).isTrue();
            }
            assertThat(empty.list("tags")).isEmpty();
        }
    }

    @Test
    void shouldReadWhatPyarrowWrote() {
        for (byte[] bytes : List.of(
                PyarrowParquetFiles.SNAPPY,
                PyarrowParquetFiles.ZSTD,
                PyarrowParquetFiles.GZIP_V2,
                PyarrowParquetFiles.LZ4_LEGACY)) {
            try (TableReader table = TableReader.open(new ByteArrayInputStream(bytes), Format.PARQUET)) {
                assertThat(table.columns()).contains(List.of("label", "prob", "n", "docs"));
                List<List<Object>> rows = new ArrayList<>();
                table.forEach(row -> rows.add(
                        Arrays.asList(row.value("label"), row.value("prob"), row.value("n"), row.value("docs"))));
                assertThat(rows)
                        .containsExactly(
                                Arrays.asList("cat", 0.25, 1L, List.of("d1", "d7")),
                                Arrays.asList("dog", 0.5, null, List.of()),
                                Arrays.asList(null, 0.75, 3L, null),
                                Arrays.asList("cat", null, 4L, Arrays.asList("d2", null)),
                                Arrays.asList("dog", 1.0, 5L, List.of("d3")));
            }
        }
    }

    @Test
    void shouldRefuseATruncatedFileAndLeaveNoTemporaryFile() throws IOException {
        Path file = write(
                dir.resolve("t.parquet"),
                CLASSIFIER,
                CompressionCodecName.SNAPPY,
                300,
                ParquetTableReaderTest::classifierRow);
        byte[] bytes = Files.readAllBytes(file);
        Path spool = Files.createDirectory(dir.resolve("spool"));
        for (int length : new int[] {bytes.length - 1, bytes.length / 2, 7, 0}) {
            assertThatThrownBy(() -> new ParquetTableReader(new ByteArrayInputStream(bytes, 0, length), spool))
                    .as("the first %d bytes", length)
                    .isInstanceOf(TableException.class)
                    .hasMessageStartingWith("cannot read the Parquet table: ")
                    .hasMessageContaining("not a Parquet file");
            assertThat(spool).isEmptyDirectory();
        }
    }

    @Test
    void shouldRefuseAFileThatIsNotParquet() {
        byte[] csv = "label,prob\ncat,0.5\ndog,0.25\n".getBytes(StandardCharsets.UTF_8);
        assertThatThrownBy(() -> TableReader.open(new ByteArrayInputStream(csv), Format.PARQUET))
                .isInstanceOf(TableException.class)
                .hasMessageContaining("the Parquet table is not a Parquet file");
    }

    @Test
    void shouldRefuseACorruptPageNamingTheRow() throws IOException {
        Path file = write(
                dir.resolve("t.parquet"),
                CLASSIFIER,
                CompressionCodecName.SNAPPY,
                300,
                ParquetTableReaderTest::classifierRow);
        byte[] bytes = Files.readAllBytes(file);
        long secondGroup;
        long secondSize;
        try (ParquetFileReader footer =
                new ParquetFileReader(new LocalInputFile(file), ParquetTableReader.options(new ParquetCodecs()))) {
            assertThat(footer.getRowGroups()).hasSizeGreaterThan(1);
            secondGroup = footer.getRowGroups().get(1).getStartingPos();
            secondSize = footer.getRowGroups().get(1).getCompressedSize();
            assertThat(secondSize).isGreaterThan(500);
        }
        // garble the second row group, at its first page's header and further in (page data, checked by its CRC):
        // the first row group still reads
        for (int offset : new int[] {24, (int) secondSize / 2}) {
            byte[] garbled = bytes.clone();
            for (int i = 0; i < 64; i++) {
                garbled[(int) secondGroup + offset + i] ^= (byte) 0x5a;
            }
            try (TableReader table = TableReader.open(new ByteArrayInputStream(garbled), Format.PARQUET)) {
                long[] read = {0};
                assertThatThrownBy(() -> table.forEach(row -> read[0]++))
                        .as("garbled at %d", offset)
                        .isInstanceOf(TableException.class)
                        .hasMessageStartingWith("row 51: cannot read the Parquet table: ");
                assertThat(read[0]).isEqualTo(50);
            }
        }
    }

    @Test
    void shouldDeleteTheTemporaryFileOnCloseAndWhenTheCopyFails() throws IOException {
        Path file = write(
                dir.resolve("t.parquet"),
                CLASSIFIER,
                CompressionCodecName.ZSTD,
                100,
                ParquetTableReaderTest::classifierRow);
        Path spool = Files.createDirectory(dir.resolve("spool"));
        ParquetTableReader table = new ParquetTableReader(Files.newInputStream(file), spool);
        try (Stream<Path> spooled = Files.list(spool)) {
            assertThat(spooled).singleElement().satisfies(p -> assertThat(p).hasSameBinaryContentAs(file));
        }
        assertClassifierRow(table.next(), 0);
        table.close();
        assertThat(spool).isEmptyDirectory();
        table.close(); // twice is harmless

        // a stream that fails part way, as evaluation's size limit does
        InputStream failing = new FilterInputStream(Files.newInputStream(file)) {
            private int reads;

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (++reads > 2) {
                    throw new TableException("the table is larger than the limit");
                }
                return super.read(b, off, Math.min(len, 100));
            }
        };
        assertThatThrownBy(() -> new ParquetTableReader(failing, spool))
                .isInstanceOf(TableException.class)
                .hasMessage("the table is larger than the limit");
        assertThat(spool).isEmptyDirectory();
    }

    @Test
    void shouldRefuseACodecItDoesNotRead() throws IOException {
        assertThatThrownBy(() -> new ParquetCodecs().getDecompressor(CompressionCodecName.BROTLI))
                .isInstanceOf(TableException.class)
                .hasMessageContaining("BROTLI");
    }

    static TableReader open(Path file) throws IOException {
        return TableReader.open(Files.newInputStream(file), Format.PARQUET);
    }

    interface RowWriter {
        void write(Group group, int index);
    }

    /**
     * Writes {@code rows} rows with parquet-java's example writer, at most {@code rows / 6} per row group (so
     * several groups) and 20 per page, without Hadoop: its configuration and codecs are given. {@code builder(OutputFile)} and
     * {@code withConf(ParquetConfiguration)} have overloads taking Hadoop types, which javac cannot tell apart
     * without Hadoop's classes, so they are called through method handles.
     */
    static Path write(Path file, MessageType schema, CompressionCodecName codec, int rows, RowWriter row)
            throws IOException {
        return write(file, schema, codec, rows, Math.max(1, rows / 6), 20, row);
    }

    /** Writes {@code rows} rows, at most {@code groupRows} per row group and {@code pageRows} per page. */
    static Path write(
            Path file,
            MessageType schema,
            CompressionCodecName codec,
            int rows,
            int groupRows,
            int pageRows,
            RowWriter row)
            throws IOException {
        ExampleParquetWriter.Builder builder;
        try {
            var lookup = MethodHandles.publicLookup();
            builder = (ExampleParquetWriter.Builder) lookup.findStatic(
                            ExampleParquetWriter.class,
                            "builder",
                            MethodType.methodType(ExampleParquetWriter.Builder.class, OutputFile.class))
                    .invoke(new LocalOutputFile(file));
            builder = (ExampleParquetWriter.Builder) lookup.findVirtual(
                            ParquetWriter.Builder.class,
                            "withConf",
                            MethodType.methodType(ParquetWriter.Builder.class, ParquetConfiguration.class))
                    .invoke(builder, (ParquetConfiguration) new PlainParquetConfiguration());
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
        SimpleGroupFactory groups = new SimpleGroupFactory(schema);
        try (ParquetWriter<Group> writer = builder.withType(schema)
                .withCodecFactory(new Compressors())
                .withCompressionCodec(codec)
                .withRowGroupRowCountLimit(groupRows)
                .withPageRowCountLimit(pageRows)
                .build()) {
            for (int i = 0; i < rows; i++) {
                Group group = groups.newGroup();
                row.write(group, i);
                writer.write(group);
            }
        }
        return file;
    }

    /** The writer's compression, for the tests only: aircompressor and the JDK. */
    static final class Compressors implements CompressionCodecFactory {

        @Override
        public BytesInputCompressor getCompressor(CompressionCodecName codec) {
            return new BytesInputCompressor() {
                @Override
                public BytesInput compress(BytesInput bytes) throws IOException {
                    byte[] in = bytes.toByteArray();
                    return BytesInput.from(
                            switch (codec) {
                                case UNCOMPRESSED -> in;
                                case GZIP -> gzip(in);
                                case SNAPPY -> squeeze(new SnappyCompressor(), in);
                                case ZSTD -> squeeze(new ZstdCompressor(), in);
                                case LZ4_RAW -> squeeze(new Lz4Compressor(), in);
                                default -> throw new UnsupportedOperationException(codec.name());
                            });
                }

                @Override
                public CompressionCodecName getCodecName() {
                    return codec;
                }

                @Override
                public void release() {}
            };
        }

        @Override
        public BytesInputDecompressor getDecompressor(CompressionCodecName codec) {
            throw new UnsupportedOperationException();
        }

        @Override
        public void release() {}

        private static byte[] gzip(byte[] in) throws IOException {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            try (GZIPOutputStream gzip = new GZIPOutputStream(out)) {
                gzip.write(in);
            }
            return out.toByteArray();
        }

        private static byte[] squeeze(Compressor compressor, byte[] in) {
            byte[] out = new byte[compressor.maxCompressedLength(in.length)];
            int n = compressor.compress(in, 0, in.length, out, 0, out.length);
            return Arrays.copyOf(out, n);
        }
    }
}
