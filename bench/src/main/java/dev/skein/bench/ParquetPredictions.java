package dev.skein.bench;

import dev.skein.evaluation.table.Format;
import dev.skein.evaluation.table.Row;
import dev.skein.evaluation.table.TableReader;
import io.airlift.compress.snappy.SnappyCompressor;
import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.apache.parquet.bytes.BytesInput;
import org.apache.parquet.compression.CompressionCodecFactory;
import org.apache.parquet.conf.ParquetConfiguration;
import org.apache.parquet.conf.PlainParquetConfiguration;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.SimpleGroupFactory;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.example.ExampleParquetWriter;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.io.LocalOutputFile;
import org.apache.parquet.io.OutputFile;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.MessageTypeParser;

/**
 * {@link PredictionsTable}'s CSV as the Parquet file pandas/pyarrow would write from it: {@code label} and {@code
 * prediction} int64, {@code proba} double, SNAPPY, pyarrow's default row group of 1Mi rows. Written with
 * parquet-java without Hadoop: its builder's Hadoop overloads are reached through method handles, and pages are
 * compressed with aircompressor (parquet-java's default codec factory would load Hadoop).
 */
final class ParquetPredictions {

    static final MessageType SCHEMA = MessageTypeParser.parseMessageType(
            "message predictions { required int64 label; required int64 prediction; required double proba; }");
    static final int ROW_GROUP_ROWS = 1 << 20;

    private ParquetPredictions() {}

    /** Writes {@code csv}'s rows to a new {@code parquet} file. */
    static void convert(Path csv, Path parquet) throws IOException {
        Files.deleteIfExists(parquet);
        SimpleGroupFactory groups = new SimpleGroupFactory(SCHEMA);
        try (ParquetWriter<Group> writer = builder(parquet)
                        .withType(SCHEMA)
                        .withCodecFactory(new Snappy())
                        .withCompressionCodec(CompressionCodecName.SNAPPY)
                        .withRowGroupRowCountLimit(ROW_GROUP_ROWS)
                        .build();
                TableReader table = TableReader.open(Files.newInputStream(csv), Format.CSV)) {
            while (table.hasNext()) {
                Row row = table.next();
                writer.write(groups.newGroup()
                        .append("label", (long) row.number("label"))
                        .append("prediction", (long) row.number("prediction"))
                        .append("proba", row.number("proba")));
            }
        }
    }

    private static ExampleParquetWriter.Builder builder(Path file) {
        try {
            var lookup = MethodHandles.publicLookup();
            ExampleParquetWriter.Builder builder = (ExampleParquetWriter.Builder) lookup.findStatic(
                            ExampleParquetWriter.class,
                            "builder",
                            MethodType.methodType(ExampleParquetWriter.Builder.class, OutputFile.class))
                    .invoke(new LocalOutputFile(file));
            return (ExampleParquetWriter.Builder) lookup.findVirtual(
                            ParquetWriter.Builder.class,
                            "withConf",
                            MethodType.methodType(ParquetWriter.Builder.class, ParquetConfiguration.class))
                    .invoke(builder, (ParquetConfiguration) new PlainParquetConfiguration());
        } catch (Throwable e) {
            throw new IllegalStateException("parquet-java's writer builder: " + e, e);
        }
    }

    /** SNAPPY pages through aircompressor; writing only. */
    private static final class Snappy implements CompressionCodecFactory {

        @Override
        public BytesInputCompressor getCompressor(CompressionCodecName codec) {
            return new BytesInputCompressor() {
                @Override
                public BytesInput compress(BytesInput bytes) throws IOException {
                    byte[] in = bytes.toByteArray();
                    SnappyCompressor snappy = new SnappyCompressor();
                    byte[] out = new byte[snappy.maxCompressedLength(in.length)];
                    int n = snappy.compress(in, 0, in.length, out, 0, out.length);
                    return BytesInput.from(Arrays.copyOf(out, n));
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
            throw new UnsupportedOperationException("writing only");
        }

        @Override
        public void release() {}
    }
}
