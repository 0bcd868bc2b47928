package dev.skein.evaluation.table;

import io.airlift.compress.Decompressor;
import io.airlift.compress.MalformedInputException;
import io.airlift.compress.lz4.Lz4Decompressor;
import io.airlift.compress.snappy.SnappyDecompressor;
import io.airlift.compress.zstd.ZstdDecompressor;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.zip.GZIPInputStream;
import org.apache.parquet.bytes.BytesInput;
import org.apache.parquet.compression.CompressionCodecFactory;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;

/**
 * Page decompression for {@link ParquetTableReader} in pure Java, without Hadoop: parquet-java's own
 * {@code CodecFactory} goes through Hadoop's {@code CompressionCodec} and {@code Configuration} (and snappy-java
 * and zstd-jni, native code). SNAPPY, ZSTD and LZ4_RAW through aircompressor (a dependency of parquet-hadoop),
 * GZIP through the JDK, and uncompressed pages. Not read: BROTLI, LZO and Hadoop's framed LZ4 (rare; their
 * pages fail with a {@link TableException} naming the codec). Reading only: no compressor.
 */
final class ParquetCodecs implements CompressionCodecFactory {

    /** A page is decompressed into one array; a header claiming more than this is refused (corrupt or hostile). */
    static final int MAX_PAGE_BYTES = 64 * 1024 * 1024;

    /** The bytes all pages may decompress to, together; their headers' sizes are counted before decompressing. */
    private final long maxDecodedBytes;

    private long decodedBytes;

    /** No bound on the pages together (each is still bounded by {@link #MAX_PAGE_BYTES}). */
    ParquetCodecs() {
        this(Long.MAX_VALUE);
    }

    ParquetCodecs(long maxDecodedBytes) {
        this.maxDecodedBytes = maxDecodedBytes;
    }

    /** Counts a page's declared size against the bound, before it is decompressed. */
    private synchronized void take(int size) throws IOException {
        if (size > maxDecodedBytes - decodedBytes) {
            throw new IOException("the pages decompress to more than " + maxDecodedBytes + " bytes in all");
        }
        decodedBytes += size;
    }

    @Override
    public BytesInputDecompressor getDecompressor(CompressionCodecName codec) {
        return switch (codec) {
            case UNCOMPRESSED, SNAPPY, GZIP, ZSTD, LZ4_RAW -> new PageDecompressor(codec);
            default ->
                throw new TableException("the Parquet table's pages are compressed with " + codec
                        + "; SNAPPY, GZIP, ZSTD, LZ4_RAW and uncompressed pages are read");
        };
    }

    @Override
    public BytesInputCompressor getCompressor(CompressionCodecName codec) {
        throw new UnsupportedOperationException("tables are only read");
    }

    @Override
    public void release() {}

    private final class PageDecompressor implements BytesInputDecompressor {

        private final CompressionCodecName codec;

        PageDecompressor(CompressionCodecName codec) {
            this.codec = codec;
        }

        @Override
        public BytesInput decompress(BytesInput bytes, int decompressedSize) throws IOException {
            return BytesInput.from(decompress(bytes.toByteArray(), decompressedSize));
        }

        @Override
        public void decompress(ByteBuffer input, int compressedSize, ByteBuffer output, int decompressedSize)
                throws IOException {
            byte[] in = new byte[compressedSize];
            input.get(in);
            output.put(decompress(in, decompressedSize));
        }

        private byte[] decompress(byte[] in, int size) throws IOException {
            if (size < 0 || size > MAX_PAGE_BYTES) {
                throw new IOException(
                        "a page's header says it holds " + size + " bytes; at most " + MAX_PAGE_BYTES + " are read");
            }
            take(size);
            if (codec == CompressionCodecName.UNCOMPRESSED) {
                check(in.length, size);
                return in;
            }
            if (codec == CompressionCodecName.GZIP) {
                try (InputStream gzip = new GZIPInputStream(new ByteArrayInputStream(in))) {
                    byte[] out = gzip.readNBytes(size);
                    check(out.length + (gzip.read() >= 0 ? 1 : 0), size);
                    return out;
                }
            }
            Decompressor decompressor =
                    switch (codec) {
                        case SNAPPY -> new SnappyDecompressor();
                        case ZSTD -> new ZstdDecompressor();
                        case LZ4_RAW -> new Lz4Decompressor();
                        default -> throw new IllegalStateException(codec.name());
                    };
            byte[] out = new byte[size];
            try {
                check(decompressor.decompress(in, 0, in.length, out, 0, size), size);
            } catch (MalformedInputException | IndexOutOfBoundsException e) {
                throw new IOException("a " + codec + " page is corrupt: " + e.getMessage(), e);
            }
            return out;
        }

        private void check(int actual, int expected) throws IOException {
            if (actual != expected) {
                throw new IOException("a " + codec + " page holds " + (actual > expected ? "more than " : "")
                        + Math.min(actual, expected + 0L) + " bytes, its header says " + expected);
            }
        }

        @Override
        public void release() {}
    }
}
