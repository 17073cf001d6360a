package io.headprune.hostile;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.zip.CRC32;
import javax.imageio.ImageIO;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;
import org.apache.commons.compress.archivers.zip.ZipArchiveOutputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;

/** Builders of hostile archives and files. */
final class Payloads {

  private Payloads() {}

  /** A tar entry: a file with content, or a special entry. */
  record Entry(String name, byte[] content, byte type, String linkTarget) {

    static Entry file(String name, byte[] content) {
      return new Entry(name, content, TarConstants.LF_NORMAL, null);
    }

    static Entry symlink(String name, String target) {
      return new Entry(name, new byte[0], TarConstants.LF_SYMLINK, target);
    }

    static Entry hardlink(String name, String target) {
      return new Entry(name, new byte[0], TarConstants.LF_LINK, target);
    }

    static Entry special(String name, byte type) {
      return new Entry(name, new byte[0], type, null);
    }
  }

  static byte[] tarGz(Iterable<Entry> entries) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (GzipCompressorOutputStream gzip = new GzipCompressorOutputStream(bytes);
        TarArchiveOutputStream tar = new TarArchiveOutputStream(gzip)) {
      tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
      for (Entry entry : entries) {
        TarArchiveEntry tarEntry = new TarArchiveEntry(entry.name(), entry.type(), true);
        if (entry.linkTarget() != null) {
          tarEntry.setLinkName(entry.linkTarget());
        }
        if (entry.type() == TarConstants.LF_NORMAL) {
          tarEntry.setSize(entry.content().length);
        }
        tar.putArchiveEntry(tarEntry);
        if (entry.type() == TarConstants.LF_NORMAL) {
          tar.write(entry.content());
        }
        tar.closeArchiveEntry();
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  /**
   * A zip; entries named in {@code symlinks} are stored as Unix symbolic links to their content.
   */
  static byte[] zip(Map<String, byte[]> entries, Set<String> symlinks) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ZipArchiveOutputStream zip = new ZipArchiveOutputStream(bytes)) {
      for (Map.Entry<String, byte[]> entry : entries.entrySet()) {
        ZipArchiveEntry zipEntry = new ZipArchiveEntry(entry.getKey());
        if (symlinks.contains(entry.getKey())) {
          zipEntry.setUnixMode(0120777);
        }
        zip.putArchiveEntry(zipEntry);
        zip.write(entry.getValue());
        zip.closeArchiveEntry();
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  /** A small random image encoded as {@code format}: png, jpeg, or png16 (16-bit grey). */
  static byte[] image(String format, int width, int height) {
    Random random = new Random(width * 31L + height);
    boolean deep = format.equals("png16");
    BufferedImage image =
        new BufferedImage(
            width, height, deep ? BufferedImage.TYPE_USHORT_GRAY : BufferedImage.TYPE_3BYTE_BGR);
    for (int y = 0; y < height; y++) {
      for (int x = 0; x < width; x++) {
        image.getRaster().setSample(x, y, 0, random.nextInt(deep ? 65536 : 256));
        if (!deep) {
          image.getRaster().setSample(x, y, 1, random.nextInt(256));
          image.getRaster().setSample(x, y, 2, random.nextInt(256));
        }
      }
    }
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try {
      ImageIO.write(image, deep ? "png" : format, bytes);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  /**
   * A PNG signature and a valid IHDR declaring {@code width × height}, then a tiny IDAT and IEND.
   */
  static byte[] pngHeaderOnly(int width, int height) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    bytes.writeBytes(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'});
    ByteBuffer ihdr = ByteBuffer.allocate(13);
    ihdr.putInt(width)
        .putInt(height)
        .put((byte) 8)
        .put((byte) 2)
        .put((byte) 0)
        .put((byte) 0)
        .put((byte) 0);
    chunk(bytes, "IHDR", ihdr.array());
    chunk(bytes, "IDAT", new byte[] {0x78, (byte) 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01});
    chunk(bytes, "IEND", new byte[0]);
    return bytes.toByteArray();
  }

  private static void chunk(ByteArrayOutputStream out, String type, byte[] data) {
    ByteBuffer length = ByteBuffer.allocate(4).putInt(data.length);
    out.writeBytes(length.array());
    byte[] typeBytes = type.getBytes(StandardCharsets.US_ASCII);
    out.writeBytes(typeBytes);
    out.writeBytes(data);
    CRC32 crc = new CRC32();
    crc.update(typeBytes);
    crc.update(data);
    out.writeBytes(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
  }

  /** The model directory's files, with replacements. */
  static Map<String, byte[]> model(Map<String, byte[]> base, Map<String, byte[]> replace) {
    Map<String, byte[]> files = new LinkedHashMap<>(base);
    files.putAll(replace);
    return files;
  }

  static Iterable<Entry> entries(Map<String, byte[]> files) {
    return files.entrySet().stream().map(e -> Entry.file(e.getKey(), e.getValue())).toList();
  }

  /** A safetensors file from a header text and a data section. */
  static byte[] safetensors(String header, byte[] data, long declaredLength) {
    byte[] json = header.getBytes(StandardCharsets.UTF_8);
    ByteBuffer out =
        ByteBuffer.allocate(8 + json.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
    out.putLong(declaredLength).put(json).put(data);
    return out.array();
  }

  static byte[] utf8(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }
}
