package io.headprune.storage;

import io.headprune.problem.InvalidInputException;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Enumeration;
import java.util.List;
import java.util.Locale;
import org.apache.commons.compress.archivers.ArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;
import org.apache.commons.compress.archivers.zip.ZipFile;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;

/** Extracts untrusted .zip and .tar.gz archives safely, and packs directories as .tar.gz. */
public final class Archives {

  private Archives() {}

  /** Whether {@code name} looks like an archive headprune extracts. */
  public static boolean isArchive(String name) {
    String lower = name.toLowerCase(Locale.ROOT);
    return lower.endsWith(".zip") || lower.endsWith(".tar.gz") || lower.endsWith(".tgz");
  }

  /** Extracts {@code archive} (named {@code name}) into the empty directory {@code target}. */
  public static void extract(Path archive, String name, Path target, ArchiveLimits limits) {
    String lower = name.toLowerCase(Locale.ROOT);
    try {
      Files.createDirectories(target);
      if (lower.endsWith(".zip")) {
        extractZip(archive, target, limits);
      } else if (lower.endsWith(".tar.gz") || lower.endsWith(".tgz")) {
        extractTarGz(archive, target, limits);
      } else {
        throw new InvalidInputException("upload '" + name + "' is not a .zip or .tar.gz archive");
      }
    } catch (IOException e) {
      // the I/O message may name server paths: the client learns what it can act on
      throw new InvalidInputException(
          "archive '"
              + name
              + "' is truncated or not a valid "
              + (lower.endsWith(".zip") ? ".zip" : ".tar.gz")
              + " file");
    }
  }

  private static void extractZip(Path archive, Path target, ArchiveLimits limits)
      throws IOException {
    try (ZipFile zip = ZipFile.builder().setPath(archive).get()) {
      Budget budget = new Budget(limits, Files.size(archive));
      Enumeration<ZipArchiveEntry> entries = zip.getEntries();
      while (entries.hasMoreElements()) {
        ZipArchiveEntry entry = entries.nextElement();
        budget.entry(entry.getName());
        if (entry.isUnixSymlink()) {
          throw new InvalidInputException(
              "archive entry '" + entry.getName() + "' is a symbolic link");
        }
        Path destination = destination(target, entry);
        if (entry.isDirectory()) {
          Files.createDirectories(destination);
          continue;
        }
        try (InputStream in = zip.getInputStream(entry)) {
          copy(in, destination, entry.getName(), Math.max(entry.getCompressedSize(), 1), budget);
        }
      }
    }
  }

  private static void extractTarGz(Path archive, Path target, ArchiveLimits limits)
      throws IOException {
    try (InputStream file = new BufferedInputStream(Files.newInputStream(archive));
        GzipCompressorInputStream gzip = new GzipCompressorInputStream(file);
        TarArchiveInputStream tar = new TarArchiveInputStream(gzip)) {
      Budget budget = new Budget(limits, Files.size(archive));
      long compressedTotal = Files.size(archive);
      for (TarArchiveEntry entry = tar.getNextEntry(); entry != null; entry = tar.getNextEntry()) {
        budget.entry(entry.getName());
        if (entry.isSymbolicLink() || entry.isLink()) {
          throw new InvalidInputException("archive entry '" + entry.getName() + "' is a link");
        }
        if (entry.isCharacterDevice() || entry.isBlockDevice() || entry.isFIFO()) {
          throw new InvalidInputException(
              "archive entry '" + entry.getName() + "' is a device or pipe");
        }
        Path destination = destination(target, entry);
        if (entry.isDirectory()) {
          Files.createDirectories(destination);
        } else if (entry.isFile()) {
          // a tar's entries share one gzip stream: the ratio is judged against the whole archive
          copy(tar, destination, entry.getName(), Math.max(compressedTotal, 1), budget);
        } else {
          throw new InvalidInputException(
              "archive entry '" + entry.getName() + "' is not a file or directory");
        }
      }
    }
  }

  private static Path destination(Path target, ArchiveEntry entry) {
    String name = entry.getName();
    if (name.length() > 1024) {
      throw new InvalidInputException(
          "archive entry '"
              + name.substring(0, 64)
              + "…' has a name of "
              + name.length()
              + " characters, more than 1024");
    }
    if (name.isEmpty()
        || name.startsWith("/")
        || name.startsWith("\\")
        || name.contains("\0")
        || name.matches("^[A-Za-z]:.*")) {
      throw new InvalidInputException(
          "archive entry '" + name + "' has an absolute or invalid path");
    }
    for (String part : name.split("[/\\\\]")) {
      if (part.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > 255) {
        throw new InvalidInputException(
            "archive entry '"
                + name.substring(0, Math.min(64, name.length()))
                + "…' has a path part longer than 255 bytes");
      }
      if (part.equals("..")) {
        throw new InvalidInputException(
            "archive entry '" + name + "' escapes the archive with '..'");
      }
    }
    Path destination = target.resolve(name).normalize();
    if (!destination.startsWith(target)) {
      throw new InvalidInputException("archive entry '" + name + "' escapes the archive");
    }
    return destination;
  }

  private static void copy(
      InputStream in, Path destination, String name, long compressed, Budget budget)
      throws IOException {
    if (Files.exists(destination)) {
      throw new InvalidInputException("archive entry '" + name + "' appears twice");
    }
    Files.createDirectories(destination.getParent());
    long written = 0;
    byte[] buffer = new byte[64 * 1024];
    try (OutputStream out = Files.newOutputStream(destination)) {
      for (int read = in.read(buffer); read >= 0; read = in.read(buffer)) {
        written += read;
        budget.bytes(read, name);
        if (written / (double) compressed > budget.limits.maxCompressionRatio()
            && written > 1 << 20) {
          throw new InvalidInputException(
              "archive entry '"
                  + name
                  + "' expands more than "
                  + budget.limits.maxCompressionRatio()
                  + " times its compressed size (a zip bomb?)");
        }
        out.write(buffer, 0, read);
      }
    }
  }

  /**
   * Counts entries and expanded bytes against the limits: the total size, and the total expansion
   * ratio against the whole archive (many entries each under the per-entry ratio can still add up
   * to a bomb).
   */
  private static final class Budget {
    final ArchiveLimits limits;
    final long archiveBytes;
    int entries;
    long bytes;

    Budget(ArchiveLimits limits, long archiveBytes) {
      this.limits = limits;
      this.archiveBytes = Math.max(archiveBytes, 1);
    }

    void entry(String name) {
      if (++entries > limits.maxEntries()) {
        throw new InvalidInputException(
            "archive has more than " + limits.maxEntries() + " entries");
      }
    }

    void bytes(long count, String name) {
      bytes += count;
      if (bytes > limits.maxExpandedBytes()) {
        throw new InvalidInputException(
            "archive expands to more than "
                + limits.maxExpandedBytes()
                + " bytes (at entry '"
                + name
                + "')");
      }
      if (bytes > 1 << 20 && bytes / (double) archiveBytes > limits.maxCompressionRatio()) {
        throw new InvalidInputException(
            "archive expands to more than "
                + limits.maxCompressionRatio()
                + " times its size in total (at entry '"
                + name
                + "'; a zip bomb?)");
      }
    }
  }

  /** Packs the regular files of {@code directory} (recursively) into {@code target} as .tar.gz. */
  public static void tarGz(Path directory, String root, Path target) throws IOException {
    Path partial = target.resolveSibling(target.getFileName() + ".partial");
    try (OutputStream file = Files.newOutputStream(partial);
        GzipCompressorOutputStream gzip = new GzipCompressorOutputStream(file);
        TarArchiveOutputStream tar = new TarArchiveOutputStream(gzip)) {
      tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
      tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
      List<Path> files;
      try (var walk = Files.walk(directory)) {
        files = walk.filter(Files::isRegularFile).sorted().toList();
      }
      for (Path path : files) {
        TarArchiveEntry entry = new TarArchiveEntry(root + "/" + directory.relativize(path));
        entry.setSize(Files.size(path));
        entry.setModTime(Files.getLastModifiedTime(path));
        entry.setMode(0644);
        tar.putArchiveEntry(entry);
        Files.copy(path, tar);
        tar.closeArchiveEntry();
      }
    }
    Files.move(
        partial, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }
}
