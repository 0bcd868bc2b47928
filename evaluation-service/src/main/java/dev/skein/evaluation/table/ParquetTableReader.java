package dev.skein.evaluation.table;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.parquet.ParquetReadOptions;
import org.apache.parquet.bytes.ByteBufferAllocator;
import org.apache.parquet.bytes.HeapByteBufferAllocator;
import org.apache.parquet.column.page.PageReadStore;
import org.apache.parquet.compression.CompressionCodecFactory;
import org.apache.parquet.conf.ParquetConfiguration;
import org.apache.parquet.conf.PlainParquetConfiguration;
import org.apache.parquet.crypto.FileDecryptionProperties;
import org.apache.parquet.filter2.compat.FilterCompat;
import org.apache.parquet.format.converter.ParquetMetadataConverter;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.ParquetMetricsCallback;
import org.apache.parquet.hadoop.metadata.BlockMetaData;
import org.apache.parquet.hadoop.metadata.ColumnChunkMetaData;
import org.apache.parquet.io.ColumnIOFactory;
import org.apache.parquet.io.LocalInputFile;
import org.apache.parquet.io.MessageColumnIO;
import org.apache.parquet.io.RecordReader;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.Type;

/**
 * Parquet through parquet-java's file reader, without Hadoop. Parquet's footer is at the end of the file, so
 * the stream (already size-limited by the caller) is first copied to a temporary file, deleted on close (and
 * when opening fails). Then one row group at a time is read (its column chunks, compressed, are held in
 * memory: memory grows with the largest row group, not with the table) and one row at a time is assembled
 * from it. Values: see {@link ParquetRows}.
 */
final class ParquetTableReader extends TableReader {

    /** The column chunks of one row group are read into memory at once; more than this is refused. */
    static final long MAX_ROW_GROUP_BYTES = 512L * 1024 * 1024;

    private final Path file;
    private final ParquetFileReader reader;
    private final MessageType schema;
    private final MessageColumnIO columnIO;
    private final List<String> columns;
    private RecordReader<Map<String, Object>> rows;
    private long rowsLeftInGroup;
    private boolean closed;

    ParquetTableReader(InputStream in) throws IOException {
        this(in, null);
    }

    /** Spools into {@code directory} ({@code null}: the JVM's temporary directory, {@code java.io.tmpdir}). */
    ParquetTableReader(InputStream in, Path directory) throws IOException {
        file = directory == null
                ? Files.createTempFile("skein-table-", ".parquet")
                : Files.createTempFile(directory, "skein-table-", ".parquet");
        ParquetFileReader opened = null;
        try {
            try (in;
                    OutputStream out = Files.newOutputStream(file)) {
                in.transferTo(out);
            }
            try {
                opened = new ParquetFileReader(new TableFile(file), options(new ParquetCodecs()));
            } catch (IOException | RuntimeException e) {
                if (e instanceof TableException t) {
                    throw t;
                }
                throw new TableException(0, null, "cannot read the Parquet table: " + message(e), e);
            }
            schema = opened.getFooter().getFileMetaData().getSchema();
            checkRowGroups(opened, Files.size(file));
            columnIO = new ColumnIOFactory().getColumnIO(schema);
            List<String> names = new ArrayList<>(schema.getFieldCount());
            for (Type field : schema.getFields()) {
                names.add(field.getName());
            }
            columns = List.copyOf(names);
            reader = opened;
        } catch (IOException | RuntimeException | Error e) {
            if (opened != null) {
                try {
                    opened.close();
                } catch (IOException suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            Files.deleteIfExists(file);
            throw e;
        }
    }

    @Override
    public Optional<List<String>> columns() {
        return Optional.of(columns);
    }

    @Override
    Row read(long number) throws IOException {
        try {
            while (rowsLeftInGroup == 0) {
                PageReadStore group = reader.readNextRowGroup();
                if (group == null) {
                    return null;
                }
                rowsLeftInGroup = group.getRowCount();
                rows = columnIO.getRecordReader(group, new ParquetRows(schema));
            }
            Map<String, Object> values = rows.read();
            rowsLeftInGroup--;
            return new Row(number, values, false);
        } catch (TableException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw new TableException(number, null, "cannot read the Parquet table: " + message(e), e);
        }
    }

    @Override
    void closeSource() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        try {
            reader.close();
        } finally {
            Files.deleteIfExists(file);
        }
    }

    /**
     * Refuses a row group whose column chunks lie outside the file or are too large to hold, before anything is
     * allocated for them (a corrupt footer could claim any size).
     */
    private static void checkRowGroups(ParquetFileReader reader, long length) {
        int index = 0;
        for (BlockMetaData group : reader.getRowGroups()) {
            long bytes = 0;
            for (ColumnChunkMetaData chunk : group.getColumns()) {
                long start = chunk.getStartingPos();
                long size = chunk.getTotalSize();
                if (start < 0 || size < 0 || start > length || size > length - start) {
                    throw new TableException("cannot read the Parquet table: row group " + index + "'s column "
                            + chunk.getPath() + " lies outside the file (corrupt or truncated)");
                }
                bytes += size;
            }
            if (bytes > MAX_ROW_GROUP_BYTES) {
                throw new TableException("cannot read the Parquet table: row group " + index + " holds " + bytes
                        + " bytes; at most " + MAX_ROW_GROUP_BYTES + " are read at once (write smaller row groups)");
            }
            index++;
        }
    }

    /**
     * Read options without Hadoop. {@code ParquetReadOptions.builder} always builds parquet-java's Hadoop codec
     * factory first (which loads Hadoop's compression classes), even when another factory is given later, so the
     * options are made through their constructor, which is not public. Pinned to parquet-java 1.18's signature;
     * {@code ParquetTableReaderTest} fails if it changes.
     */
    static ParquetReadOptions options(CompressionCodecFactory codecs) {
        try {
            var constructor = ParquetReadOptions.class.getDeclaredConstructor(
                    boolean.class, // useSignedStringMinMax
                    boolean.class, // useStatsFilter
                    boolean.class, // useDictionaryFilter
                    boolean.class, // useRecordFilter
                    boolean.class, // useColumnIndexFilter
                    boolean.class, // usePageChecksumVerification
                    boolean.class, // useBloomFilter
                    boolean.class, // useOffHeapDecryptBuffer
                    boolean.class, // useHadoopVectoredIo
                    FilterCompat.Filter.class,
                    ParquetMetadataConverter.MetadataFilter.class,
                    CompressionCodecFactory.class,
                    ByteBufferAllocator.class,
                    int.class, // maxAllocationSize
                    Map.class, // properties
                    FileDecryptionProperties.class,
                    ParquetMetricsCallback.class,
                    ParquetConfiguration.class);
            constructor.setAccessible(true);
            return constructor.newInstance(
                    false,
                    false,
                    false,
                    false,
                    false,
                    true, // a page's CRC, when the writer stored one, is checked
                    false,
                    false,
                    false,
                    FilterCompat.NOOP,
                    ParquetMetadataConverter.NO_FILTER,
                    codecs,
                    new HeapByteBufferAllocator(),
                    8 * 1024 * 1024,
                    new HashMap<String, String>(),
                    null,
                    null,
                    new PlainParquetConfiguration());
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("parquet-java's ParquetReadOptions constructor is not the one of 1.18", e);
        }
    }

    private static String message(Exception e) {
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }

    /** The spooled file, named in parquet-java's messages as "the Parquet table" rather than its temporary path. */
    private static final class TableFile extends LocalInputFile {

        TableFile(Path path) {
            super(path);
        }

        @Override
        public String toString() {
            return "the Parquet table";
        }
    }
}
