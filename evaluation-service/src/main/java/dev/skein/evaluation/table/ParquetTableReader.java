package dev.skein.evaluation.table;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.PrimitiveIterator;
import org.apache.parquet.ParquetReadOptions;
import org.apache.parquet.bytes.ByteBufferAllocator;
import org.apache.parquet.bytes.HeapByteBufferAllocator;
import org.apache.parquet.column.ColumnDescriptor;
import org.apache.parquet.column.page.DataPage;
import org.apache.parquet.column.page.DictionaryPage;
import org.apache.parquet.column.page.PageReadStore;
import org.apache.parquet.column.page.PageReader;
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
import org.apache.parquet.schema.GroupType;
import org.apache.parquet.schema.LogicalTypeAnnotation.DecimalLogicalTypeAnnotation;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType;
import org.apache.parquet.schema.Type;

/**
 * Parquet through parquet-java's file reader, without Hadoop. Parquet's footer is at the end of the file, so
 * the stream (already size-limited by the caller) is first copied to a temporary file, deleted on close (and
 * when opening fails). Then one row group at a time is read (its column chunks, compressed, are held in
 * memory: memory grows with the largest row group, not with the table) and one row at a time is assembled
 * from it. Values: see {@link ParquetRows}.
 *
 * <p>The size limit of the stream ({@code maxTableBytes}) bounds the file, not what it decodes to, so what it
 * decodes to is bounded too, before any row is read: the footer ({@link #MAX_FOOTER_BYTES}), the schema
 * ({@link #MAX_LEAF_COLUMNS}, {@link #MAX_DEPTH}, decimals of at most {@link #MAX_DECIMAL_BYTES} bytes), the rows
 * (at most {@code maxTableBytes}: one byte a row, as a CSV needs at least), the column chunks' uncompressed sizes
 * (their sum at most {@link #DECODED_BYTES_PER_TABLE_BYTE} times {@code maxTableBytes}, also enforced page by
 * page as they are decompressed, since a page's header may disagree with its chunk's), and a dictionary page's
 * number of entries (at most what its bytes can hold, checked before parquet-java allocates the dictionary).
 */
final class ParquetTableReader extends TableReader {

    /** The column chunks of one row group are read into memory at once; more than this is refused. */
    static final long MAX_ROW_GROUP_BYTES = 512L * 1024 * 1024;

    /** The footer is decoded at once; a file whose last 8 bytes declare a longer one is refused. */
    static final long MAX_FOOTER_BYTES = 16L * 1024 * 1024;

    /** Leaf (primitive) columns of the schema, nested ones included. */
    static final int MAX_LEAF_COLUMNS = 10_000;

    /** Nesting depth of the schema (a top-level primitive column is at depth 1). */
    static final int MAX_DEPTH = 64;

    /** The column chunks' uncompressed bytes, summed over the file, per byte of {@code maxTableBytes}. */
    static final long DECODED_BYTES_PER_TABLE_BYTE = 8;

    /** A DECIMAL's unscaled value (FIXED_LEN_BYTE_ARRAY or BINARY) holds at most this many bytes (precision 38). */
    static final int MAX_DECIMAL_BYTES = 16;

    private final Path file;
    private final ParquetFileReader reader;
    private final MessageType schema;
    private final MessageColumnIO columnIO;
    private final List<String> columns;
    private final long declaredRows;
    private RecordReader<Map<String, Object>> rows;
    private long rowsLeftInGroup;
    private boolean closed;

    ParquetTableReader(InputStream in) throws IOException {
        this(in, null, Long.MAX_VALUE);
    }

    ParquetTableReader(InputStream in, Path directory) throws IOException {
        this(in, directory, Long.MAX_VALUE);
    }

    /**
     * Spools into {@code directory} ({@code null}: the JVM's temporary directory, {@code java.io.tmpdir});
     * {@code maxTableBytes} is the limit the stream is held to ({@code Long.MAX_VALUE}: none), from which the
     * bounds on the rows and the decoded bytes are derived.
     */
    ParquetTableReader(InputStream in, Path directory, long maxTableBytes) throws IOException {
        long maxDecodedBytes = maxTableBytes > Long.MAX_VALUE / DECODED_BYTES_PER_TABLE_BYTE
                ? Long.MAX_VALUE
                : maxTableBytes * DECODED_BYTES_PER_TABLE_BYTE;
        file = directory == null
                ? Files.createTempFile("skein-table-", ".parquet")
                : Files.createTempFile(directory, "skein-table-", ".parquet");
        ParquetFileReader opened = null;
        try {
            try (in;
                    OutputStream out = Files.newOutputStream(file)) {
                in.transferTo(out);
            }
            checkFooterLength(file);
            try {
                opened = new ParquetFileReader(new TableFile(file), options(new ParquetCodecs(maxDecodedBytes)));
                schema = opened.getFooter().getFileMetaData().getSchema();
                checkSchema(schema);
                declaredRows = checkRowGroups(opened, Files.size(file), maxTableBytes, maxDecodedBytes);
                columnIO = new ColumnIOFactory().getColumnIO(schema);
            } catch (TableException e) {
                throw e;
            } catch (IOException | RuntimeException e) {
                throw new TableException(0, null, "cannot read the Parquet table: " + message(e), e);
            } catch (StackOverflowError e) {
                throw new TableException(0, null, "cannot read the Parquet table: its schema is nested too deeply", e);
            }
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

    /** The row groups' row counts from the footer, summed (at most {@code maxTableBytes}: checked on opening). */
    @Override
    public OptionalLong declaredRows() {
        return OptionalLong.of(declaredRows);
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
                rows = columnIO.getRecordReader(new CheckedPages(group), new ParquetRows(schema));
            }
            Map<String, Object> values = rows.read();
            rowsLeftInGroup--;
            return new Row(number, values, false);
        } catch (TableException e) {
            throw e.row().isPresent() ? e : new TableException(number, null, e.getMessage(), e);
        } catch (IOException | RuntimeException e) {
            throw new TableException(number, null, "cannot read the Parquet table: " + message(e), e);
        } catch (StackOverflowError e) {
            throw new TableException(number, null, "cannot read the Parquet table: a value is nested too deeply", e);
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
     * Refuses a file whose last 8 bytes (the footer's length, little-endian, then the magic) declare a footer
     * longer than {@link #MAX_FOOTER_BYTES}, before parquet-java reads and decodes it. Anything else wrong with
     * the tail is left to parquet-java ("not a Parquet file").
     */
    private static void checkFooterLength(Path file) throws IOException {
        try (FileChannel channel = FileChannel.open(file)) {
            long size = channel.size();
            if (size < 12) {
                return;
            }
            ByteBuffer tail = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            while (tail.hasRemaining()) {
                if (channel.read(tail, size - 8 + tail.position()) < 0) {
                    return;
                }
            }
            String magic = new String(tail.array(), 4, 4, StandardCharsets.US_ASCII);
            long footer = Integer.toUnsignedLong(tail.getInt(0));
            if ((magic.equals("PAR1") || magic.equals("PARE")) && footer > MAX_FOOTER_BYTES) {
                throw new TableException("cannot read the Parquet table: its footer is " + footer + " bytes; at most "
                        + MAX_FOOTER_BYTES + " are read");
            }
        }
    }

    /**
     * Refuses a schema with more than {@link #MAX_LEAF_COLUMNS} leaf columns, nested deeper than
     * {@link #MAX_DEPTH}, or with a FIXED_LEN_BYTE_ARRAY decimal longer than {@link #MAX_DECIMAL_BYTES}; walked
     * without recursion, stopping at the first excess.
     */
    static void checkSchema(GroupType schema) {
        record Field(Type type, int depth) {}
        Deque<Field> pending = new ArrayDeque<>();
        for (Type field : schema.getFields()) {
            pending.push(new Field(field, 1));
        }
        int leaves = 0;
        while (!pending.isEmpty()) {
            Field field = pending.pop();
            if (field.depth() > MAX_DEPTH) {
                throw new TableException("cannot read the Parquet table: its schema is nested more than " + MAX_DEPTH
                        + " levels deep (at " + field.type().getName() + ")");
            }
            if (field.type().isPrimitive()) {
                if (++leaves > MAX_LEAF_COLUMNS) {
                    throw new TableException("cannot read the Parquet table: its schema has more than "
                            + MAX_LEAF_COLUMNS + " leaf columns");
                }
                PrimitiveType primitive = field.type().asPrimitiveType();
                if (primitive.getLogicalTypeAnnotation() instanceof DecimalLogicalTypeAnnotation
                        && primitive.getPrimitiveTypeName() == PrimitiveType.PrimitiveTypeName.FIXED_LEN_BYTE_ARRAY
                        && primitive.getTypeLength() > MAX_DECIMAL_BYTES) {
                    throw new TableException("cannot read the Parquet table: column " + primitive.getName()
                            + " is a DECIMAL of " + primitive.getTypeLength() + " bytes; at most "
                            + MAX_DECIMAL_BYTES + " are read");
                }
            } else {
                for (Type child : field.type().asGroupType().getFields()) {
                    pending.push(new Field(child, field.depth() + 1));
                }
            }
        }
    }

    /**
     * Refuses, before anything is allocated for them (a corrupt footer could claim any size), a row group whose
     * column chunks lie outside the file or are too large to hold; and a file of more than {@code maxRows} rows
     * or whose column chunks decompress to more than {@code maxDecodedBytes} in all. Returns the rows the footer
     * declares.
     */
    private static long checkRowGroups(ParquetFileReader reader, long length, long maxRows, long maxDecodedBytes) {
        int index = 0;
        long rows = 0;
        long decoded = 0;
        for (BlockMetaData group : reader.getRowGroups()) {
            long bytes = 0;
            rows = group.getRowCount() < 0 ? Long.MAX_VALUE : saturatedSum(rows, group.getRowCount());
            for (ColumnChunkMetaData chunk : group.getColumns()) {
                long uncompressed = chunk.getTotalUncompressedSize();
                decoded = uncompressed < 0 ? Long.MAX_VALUE : saturatedSum(decoded, uncompressed);
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
        if (rows > maxRows) {
            throw new TableException("cannot read the Parquet table: it holds " + rows + " rows; at most " + maxRows
                    + " are read (one a byte of the table size limit)");
        }
        if (decoded > maxDecodedBytes) {
            throw new TableException("cannot read the Parquet table: its column chunks decompress to " + decoded
                    + " bytes; at most " + maxDecodedBytes + " are read (" + DECODED_BYTES_PER_TABLE_BYTE
                    + " times the table size limit)");
        }
        return rows;
    }

    private static long saturatedSum(long a, long b) {
        long sum = a + b;
        return sum < 0 ? Long.MAX_VALUE : sum;
    }

    /**
     * Refuses a dictionary page that declares more entries than its bytes can hold (PLAIN: at least 4 bytes an
     * entry for BINARY, the value's width otherwise), before parquet-java allocates an array of that many.
     */
    static void checkDictionary(ColumnDescriptor column, DictionaryPage page) {
        long bytes = page.getBytes().size();
        PrimitiveType type = column.getPrimitiveType();
        long entries = page.getDictionarySize();
        long needed =
                switch (type.getPrimitiveTypeName()) {
                    case BOOLEAN -> (entries + 7) / 8;
                    case INT32, FLOAT, BINARY -> entries * 4;
                    case INT64, DOUBLE -> entries * 8;
                    case INT96 -> entries * 12;
                    case FIXED_LEN_BYTE_ARRAY -> entries * Math.max(1, type.getTypeLength());
                };
        if (entries < 0 || needed > bytes) {
            throw new TableException("cannot read the Parquet table: column " + String.join(".", column.getPath())
                    + "'s dictionary page declares " + entries + " entries in " + bytes + " bytes");
        }
    }

    /** A row group's pages, its dictionary pages checked by {@link #checkDictionary} as they are read. */
    private record CheckedPages(PageReadStore pages) implements PageReadStore {

        @Override
        public PageReader getPageReader(ColumnDescriptor column) {
            PageReader reader = pages.getPageReader(column);
            return new PageReader() {
                @Override
                public DictionaryPage readDictionaryPage() {
                    DictionaryPage page = reader.readDictionaryPage();
                    if (page != null) {
                        checkDictionary(column, page);
                    }
                    return page;
                }

                @Override
                public long getTotalValueCount() {
                    return reader.getTotalValueCount();
                }

                @Override
                public DataPage readPage() {
                    return reader.readPage();
                }
            };
        }

        @Override
        public long getRowCount() {
            return pages.getRowCount();
        }

        @Override
        public Optional<Long> getRowIndexOffset() {
            return pages.getRowIndexOffset();
        }

        @Override
        public Optional<PrimitiveIterator.OfLong> getRowIndexes() {
            return pages.getRowIndexes();
        }

        @Override
        public void close() {
            pages.close();
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
