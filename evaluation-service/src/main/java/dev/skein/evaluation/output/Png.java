package dev.skein.evaluation.output;

import java.awt.image.BufferedImage;
import java.awt.image.DataBufferInt;
import java.awt.image.SinglePixelPackedSampleModel;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32;
import java.util.zip.Deflater;

/**
 * An opaque image as a PNG: 8-bit RGB (colour type 2), no interlacing, every scanline with filter type None,
 * deflated at {@link Deflater#BEST_SPEED}. The plots are opaque (a white background), so the alpha channel ImageIO
 * would write holds nothing; and ImageIO's encoder (an adaptive filter tried per row, a slower deflate level) took
 * about three times as long for a few percent smaller files. Every pixel is kept exactly.
 */
final class Png {

    private static final byte[] SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    private static final int BIT_DEPTH = 8;
    private static final int COLOUR_TYPE_RGB = 2;
    private static final int FILTER_NONE = 0;

    private Png() {}

    /** {@code image}: {@link BufferedImage#TYPE_INT_RGB}, as the charts are rendered. */
    static byte[] encode(BufferedImage image) {
        if (image.getType() != BufferedImage.TYPE_INT_RGB) {
            throw new IllegalArgumentException("expected an image of TYPE_INT_RGB, got type " + image.getType());
        }
        int width = image.getWidth();
        int height = image.getHeight();
        // a BufferedImage's own raster: no parent, so pixel (x, y) is at offset + y × stride + x
        DataBufferInt buffer = (DataBufferInt) image.getRaster().getDataBuffer();
        int[] pixels = buffer.getData();
        int offset = buffer.getOffset();
        int stride = ((SinglePixelPackedSampleModel) image.getSampleModel()).getScanlineStride();
        ByteArrayOutputStream out = new ByteArrayOutputStream(32 * 1024);
        out.writeBytes(SIGNATURE);

        byte[] header = new byte[13];
        putInt(header, 0, width);
        putInt(header, 4, height);
        header[8] = BIT_DEPTH;
        header[9] = COLOUR_TYPE_RGB;
        // compression method 0, filter method 0, interlace method 0 (none)
        chunk(out, "IHDR", header, header.length);

        Deflater deflater = new Deflater(Deflater.BEST_SPEED);
        try {
            ByteArrayOutputStream data = new ByteArrayOutputStream(32 * 1024);
            byte[] line = new byte[1 + 3 * width];
            byte[] deflated = new byte[64 * 1024];
            line[0] = FILTER_NONE;
            for (int y = 0; y < height; y++) {
                int row = offset + y * stride;
                for (int x = 0, b = 1; x < width; x++) {
                    int rgb = pixels[row + x];
                    line[b++] = (byte) (rgb >>> 16);
                    line[b++] = (byte) (rgb >>> 8);
                    line[b++] = (byte) rgb;
                }
                deflater.setInput(line);
                while (!deflater.needsInput()) {
                    data.write(deflated, 0, deflater.deflate(deflated));
                }
            }
            deflater.finish();
            while (!deflater.finished()) {
                data.write(deflated, 0, deflater.deflate(deflated));
            }
            byte[] compressed = data.toByteArray();
            chunk(out, "IDAT", compressed, compressed.length);
        } finally {
            deflater.end();
        }
        chunk(out, "IEND", new byte[0], 0);
        return out.toByteArray();
    }

    /** A chunk: its length, its type, its data and the CRC-32 of the type and the data. */
    private static void chunk(ByteArrayOutputStream out, String type, byte[] data, int length) {
        byte[] typeBytes = type.getBytes(StandardCharsets.US_ASCII);
        byte[] word = new byte[4];
        putInt(word, 0, length);
        out.writeBytes(word);
        out.writeBytes(typeBytes);
        out.write(data, 0, length);
        CRC32 crc = new CRC32();
        crc.update(typeBytes);
        crc.update(data, 0, length);
        putInt(word, 0, (int) crc.getValue());
        out.writeBytes(word);
    }

    private static void putInt(byte[] b, int at, int v) {
        b[at] = (byte) (v >>> 24);
        b[at + 1] = (byte) (v >>> 16);
        b[at + 2] = (byte) (v >>> 8);
        b[at + 3] = (byte) v;
    }
}
