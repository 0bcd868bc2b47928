package dev.skein.evaluation.output;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Random;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

/** The plots' PNG encoder: a file any decoder reads back pixel for pixel. */
class PngTest {

    @Test
    void shouldEncodeEveryPixelExactlyAsRgb() throws IOException {
        Random random = new Random(16);
        BufferedImage image = new BufferedImage(37, 23, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                image.setRGB(x, y, random.nextInt(0x1000000));
            }
        }
        byte[] png = Png.encode(image);

        assertThat(png[25]).as("IHDR colour type: truecolour (RGB)").isEqualTo((byte) 2);
        BufferedImage decoded = ImageIO.read(new ByteArrayInputStream(png));
        assertThat(decoded.getWidth()).isEqualTo(37);
        assertThat(decoded.getHeight()).isEqualTo(23);
        assertThat(decoded.getColorModel().hasAlpha()).isFalse();
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                assertThat(decoded.getRGB(x, y)).as("pixel (%d, %d)", x, y).isEqualTo(image.getRGB(x, y));
            }
        }
    }

    @Test
    void shouldEncodeALargeFlatImageSmall() throws IOException {
        BufferedImage image = new BufferedImage(1050, 700, BufferedImage.TYPE_INT_RGB);
        var g = image.createGraphics();
        g.setColor(java.awt.Color.WHITE);
        g.fillRect(0, 0, 1050, 700);
        g.dispose();
        byte[] png = Png.encode(image);

        assertThat(png.length).isLessThan(16 * 1024);
        assertThat(ImageIO.read(new ByteArrayInputStream(png)).getRGB(1049, 699))
                .isEqualTo(0xffffffff);
    }

    @Test
    void shouldRefuseAnImageWithAlpha() {
        assertThatThrownBy(() -> Png.encode(new BufferedImage(2, 2, BufferedImage.TYPE_INT_ARGB)))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
