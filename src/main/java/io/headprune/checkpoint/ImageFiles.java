package io.headprune.checkpoint;

import io.headprune.problem.InvalidInputException;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Semaphore;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

/**
 * Decodes PNG and JPEG files into 8-bit RGB as Pillow's {@code Image.open} + {@code
 * ImageOps.exif_transpose} + {@code convert("RGB")} do: gray L → (L, L, L) from the raster's
 * samples (never {@code getRGB()}, which applies a gamma to gray images), alpha dropped (not
 * composited), palette indices looked up, the EXIF orientation applied. The size is checked from
 * the header, before any pixel is decoded.
 */
public final class ImageFiles {

  /** An 8-bit RGB image, interleaved row-major (height × width × 3). */
  public record Rgb(int[] pixels, int height, int width) {}

  private ImageFiles() {}

  /**
   * Decodes {@code bytes} of the file {@code name}, refusing images of more than {@code maxPixels}
   * pixels.
   */
  public static Rgb read(byte[] bytes, String name, long maxPixels) {
    try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(bytes))) {
      Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
      if (in == null || !readers.hasNext()) {
        throw new InvalidInputException("image " + name + " is not a PNG or JPEG file");
      }
      ImageReader reader = readers.next();
      String format = reader.getFormatName().toLowerCase(Locale.ROOT);
      if (!format.equals("png") && !format.equals("jpeg")) {
        throw new InvalidInputException(
            "image " + name + " is a " + format + " file; headprune reads PNG and JPEG");
      }
      try {
        reader.setInput(in, true, true);
        long width = reader.getWidth(0);
        long height = reader.getHeight(0);
        if (width < 1 || height < 1 || width * height > maxPixels) {
          throw new InvalidInputException(
              "image "
                  + name
                  + " declares "
                  + width
                  + " × "
                  + height
                  + " pixels, more than the "
                  + maxPixels
                  + " headprune decodes");
        }
        int pixels = (int) (width * height);
        if (pixels > DECODING_BUDGET) {
          throw new InvalidInputException(
              "image "
                  + name
                  + " declares "
                  + width
                  + " × "
                  + height
                  + " pixels; decoding it takes about "
                  + pixels * BYTES_PER_PIXEL / (1 << 20)
                  + " MB, more than this server decodes at once ("
                  + DECODING_BUDGET * BYTES_PER_PIXEL / (1 << 20)
                  + " MB, a quarter of its heap)");
        }
        // images being decoded share a quarter of the heap: a large one waits for room
        DECODING.acquireUninterruptibly(pixels);
        try {
          // a decoder that meets a truncated or damaged stream may only warn and fill in grey
          List<String> warnings = new ArrayList<>();
          reader.addIIOReadWarningListener((source, warning) -> warnings.add(warning));
          BufferedImage image = reader.read(0);
          if (!warnings.isEmpty()) {
            throw new InvalidInputException(
                "image " + name + " is truncated or corrupt and cannot be decoded");
          }
          Rgb rgb = toRgb(image, name);
          return format.equals("jpeg") ? orient(rgb, Exif.orientation(bytes)) : rgb;
        } finally {
          DECODING.release(pixels);
        }
      } finally {
        reader.dispose();
      }
    } catch (IOException | RuntimeException e) {
      if (e instanceof InvalidInputException invalid) {
        throw invalid;
      }
      throw new InvalidInputException(
          "image " + name + " is truncated or corrupt and cannot be decoded");
    }
  }

  /**
   * Heap one pixel takes while it is decoded: the decoder's raster (up to 4 bytes) and the RGB
   * values (3 ints).
   */
  static final long BYTES_PER_PIXEL = 16;

  /** Pixels decoded at once in this process: a quarter of the heap. */
  static final int DECODING_BUDGET =
      (int) Math.min(Integer.MAX_VALUE, Runtime.getRuntime().maxMemory() / 4 / BYTES_PER_PIXEL);

  private static final Semaphore DECODING = new Semaphore(DECODING_BUDGET);

  private static Rgb toRgb(BufferedImage image, String name) {
    int width = image.getWidth();
    int height = image.getHeight();
    Raster raster = image.getRaster();
    ColorModel model = image.getColorModel();
    int[] out = new int[width * height * 3];
    int[] row = new int[width]; // read a row at a time: no second whole-image array
    if (model instanceof IndexColorModel palette) {
      for (int y = 0; y < height; y++) {
        raster.getSamples(0, y, width, 1, 0, row);
        for (int x = 0; x < width; x++) {
          int i = y * width + x;
          out[i * 3] = palette.getRed(row[x]);
          out[i * 3 + 1] = palette.getGreen(row[x]);
          out[i * 3 + 2] = palette.getBlue(row[x]);
        }
      }
      return new Rgb(out, height, width);
    }
    int colours = model.getNumColorComponents();
    for (int band = 0; band < raster.getNumBands(); band++) {
      if (raster.getSampleModel().getSampleSize(band) != 8) {
        throw new InvalidInputException(
            "image "
                + name
                + " has "
                + raster.getSampleModel().getSampleSize(band)
                + "-bit samples; headprune reads 8-bit images");
      }
    }
    if (colours != 1 && colours != 3) {
      throw new InvalidInputException(
          "image " + name + " has " + colours + " colour components (gray or RGB only)");
    }
    for (int channel = 0; channel < 3; channel++) {
      for (int y = 0; y < height; y++) {
        raster.getSamples(0, y, width, 1, colours == 1 ? 0 : channel, row);
        for (int x = 0; x < width; x++) {
          out[(y * width + x) * 3 + channel] = row[x];
        }
      }
    }
    return new Rgb(out, height, width);
  }

  /** Applies an EXIF orientation (1–8) as Pillow's exif_transpose does. */
  static Rgb orient(Rgb image, int orientation) {
    if (orientation < 2 || orientation > 8) {
      return image;
    }
    int w = image.width();
    int h = image.height();
    boolean swap = orientation >= 5;
    int outW = swap ? h : w;
    int outH = swap ? w : h;
    int[] out = new int[image.pixels().length];
    for (int y = 0; y < outH; y++) {
      for (int x = 0; x < outW; x++) {
        int sx;
        int sy;
        switch (orientation) {
          case 2 -> {
            sx = w - 1 - x;
            sy = y;
          } // flip left-right
          case 3 -> {
            sx = w - 1 - x;
            sy = h - 1 - y;
          } // rotate 180
          case 4 -> {
            sx = x;
            sy = h - 1 - y;
          } // flip top-bottom
          case 5 -> {
            sx = y;
            sy = x;
          } // transpose
          case 6 -> {
            sx = y;
            sy = h - 1 - x;
          } // rotate 270 (clockwise)
          case 7 -> {
            sx = w - 1 - y;
            sy = h - 1 - x;
          } // transverse
          default -> {
            sx = w - 1 - y;
            sy = x;
          } // 8: rotate 90 (counter-clockwise)
        }
        System.arraycopy(image.pixels(), (sy * w + sx) * 3, out, (y * outW + x) * 3, 3);
      }
    }
    return new Rgb(out, outH, outW);
  }

  /** The orientation tag of a JPEG's APP1 Exif segment, read from the TIFF structure. */
  static final class Exif {

    private Exif() {}

    static int orientation(byte[] jpeg) {
      int at = 2;
      while (at + 4 <= jpeg.length && (jpeg[at] & 0xFF) == 0xFF) {
        int marker = jpeg[at + 1] & 0xFF;
        int length = ((jpeg[at + 2] & 0xFF) << 8) | (jpeg[at + 3] & 0xFF);
        if (marker == 0xDA || length < 2) {
          return 1; // start of scan: no Exif before the image data
        }
        if (marker == 0xE1
            && length >= 14
            && at + 2 + length <= jpeg.length
            && new String(jpeg, at + 4, 6, StandardCharsets.ISO_8859_1).equals("Exif\0\0")) {
          return tiffOrientation(jpeg, at + 10, at + 2 + length);
        }
        at += 2 + length;
      }
      return 1;
    }

    private static int tiffOrientation(byte[] b, int tiff, int end) {
      boolean little = b[tiff] == 'I';
      int ifd = tiff + (int) read(b, tiff + 4, 4, little);
      if (ifd + 2 > end || ifd < tiff) {
        return 1;
      }
      int entries = (int) read(b, ifd, 2, little);
      for (int i = 0; i < entries; i++) {
        int entry = ifd + 2 + 12 * i;
        if (entry + 12 > end) {
          return 1;
        }
        if (read(b, entry, 2, little) == 0x0112) {
          return (int) read(b, entry + 8, 2, little);
        }
      }
      return 1;
    }

    private static long read(byte[] b, int at, int bytes, boolean little) {
      long value = 0;
      for (int i = 0; i < bytes; i++) {
        int octet = b[little ? at + bytes - 1 - i : at + i] & 0xFF;
        value = (value << 8) | octet;
      }
      return value;
    }
  }
}
