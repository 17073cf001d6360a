package io.headprune.storage;

import static java.nio.charset.StandardCharsets.UTF_8;

import io.headprune.problem.Deadline;
import io.headprune.problem.InvalidInputException;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.zip.CRC32;
import org.apache.commons.compress.archivers.ArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.apache.commons.compress.archivers.tar.TarUtils;
import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;
import org.apache.commons.compress.archivers.zip.ZipArchiveInputStream;
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
    // the count the end record declares is checked before the central directory is parsed
    long declared = ZipDirectory.entries(archive);
    if (declared > limits.maxEntries()) {
      throw new InvalidInputException(
          "archive declares " + declared + " entries, more than " + limits.maxEntries());
    }
    try (ZipFile zip = ZipFile.builder().setPath(archive).get()) {
      Budget budget = new Budget(limits, Files.size(archive));
      List<ZipArchiveEntry> central = Collections.list(zip.getEntriesInPhysicalOrder());
      for (ZipArchiveEntry entry : central) {
        budget.entry(entry.getName());
        budget.declared(entry.getName(), entry.getSize(), entry.isDirectory());
        if (entry.isUnixSymlink()) {
          throw new InvalidInputException(
              "archive entry '" + printable(entry.getName()) + "' is a symbolic link");
        }
        Path destination = destination(target, entry);
        if (entry.isDirectory()) {
          Files.createDirectories(destination);
          continue;
        }
        try (InputStream in = zip.getInputStream(entry)) {
          long crc =
              copy(
                  in, destination, entry.getName(), Math.max(entry.getCompressedSize(), 1), budget);
          if (entry.getCrc() != -1 && crc != entry.getCrc()) {
            throw new InvalidInputException(
                "archive entry '" + printable(entry.getName()) + "' is corrupt (its CRC differs)");
          }
        }
      }
      sameLocalHeaders(archive, central);
    }
  }

  /**
   * The zip's entries as its local headers give them — the order, names and sizes a streaming
   * reader sees — must be the central directory's: an archive that shows one reader other files
   * than another is refused.
   */
  private static void sameLocalHeaders(Path archive, List<ZipArchiveEntry> central)
      throws IOException {
    try (InputStream file = new BufferedInputStream(Files.newInputStream(archive));
        ZipArchiveInputStream local = new ZipArchiveInputStream(file, "UTF-8", true, true)) {
      byte[] sink = new byte[64 * 1024];
      for (ZipArchiveEntry expected : central) {
        Deadline.check("comparing the zip's local headers with its central directory");
        ZipArchiveEntry entry = local.getNextEntry();
        if (entry == null || !entry.getName().equals(expected.getName())) {
          throw disagreeing(expected.getName());
        }
        long size = 0;
        for (int read = local.read(sink); read >= 0; read = local.read(sink)) {
          size += read;
        }
        if (size != expected.getSize()) {
          throw disagreeing(expected.getName());
        }
      }
      if (local.getNextEntry() != null) {
        throw new InvalidInputException(
            "archive's local headers hold entries its central directory does not list");
      }
    }
  }

  private static InvalidInputException disagreeing(String name) {
    return new InvalidInputException(
        "archive's central directory and local headers disagree about entry '"
            + printable(name)
            + "'");
  }

  private static void extractTarGz(Path archive, Path target, ArchiveLimits limits)
      throws IOException {
    long compressedTotal = Math.max(Files.size(archive), 1);
    Budget budget = new Budget(limits, compressedTotal);
    // every gzip member is read (not only the first), and every byte that comes out is counted:
    // entries kept or not, tar headers, padding, and anything after the archive's end
    try (InputStream file = new BufferedInputStream(Files.newInputStream(archive));
        GzipCompressorInputStream gzip =
            GzipCompressorInputStream.builder()
                .setInputStream(file)
                .setDecompressConcatenated(true)
                .get();
        InputStream counted = new Counted(gzip, budget);
        BoundedTar tar = new BoundedTar(counted)) {
      for (TarArchiveEntry entry = tar.getNextEntry(); entry != null; entry = tar.getNextEntry()) {
        budget.entry(entry.getName());
        budget.declared(entry.getName(), entry.getSize(), entry.isDirectory());
        if (entry.isSymbolicLink() || entry.isLink()) {
          throw new InvalidInputException(
              "archive entry '" + printable(entry.getName()) + "' is a link");
        }
        if (entry.isCharacterDevice() || entry.isBlockDevice() || entry.isFIFO()) {
          throw new InvalidInputException(
              "archive entry '" + printable(entry.getName()) + "' is a device or pipe");
        }
        Path destination = destination(target, entry);
        if (entry.isDirectory()) {
          Files.createDirectories(destination);
        } else if (entry.isFile()) {
          // a tar's entries share one gzip stream: the ratio is judged against the whole archive
          copy(tar, destination, entry.getName(), compressedTotal, budget);
        } else {
          throw new InvalidInputException(
              "archive entry '" + printable(entry.getName()) + "' is not a file or directory");
        }
      }
      // after the end-of-archive blocks only zero padding may follow, to the end of the stream
      byte[] rest = new byte[64 * 1024];
      for (int read = counted.read(rest); read >= 0; read = counted.read(rest)) {
        Deadline.check("reading what follows the tar stream");
        for (int i = 0; i < read; i++) {
          if (rest[i] != 0) {
            throw new InvalidInputException("archive has data after the end of its tar stream");
          }
        }
      }
    }
  }

  /** The longest tar metadata entry (GNU long name or link, PAX header) read into memory. */
  static final int MAX_TAR_METADATA = 64 * 1024;

  /**
   * A tar reader that refuses oversized metadata entries before it reads them: commons-compress
   * reads a GNU long name or a PAX header whole into memory.
   */
  private static final class BoundedTar extends TarArchiveInputStream {
    BoundedTar(InputStream in) {
      // blocks of one record: after the end-of-archive records nothing is skipped unread, so the
      // caller sees (and checks) the padding that follows
      super(in, TarConstants.DEFAULT_RCDSIZE);
    }

    /** The PAX header bytes read for the entry being built, checked when it is returned. */
    private final ByteArrayOutputStream pax = new ByteArrayOutputStream();

    @Override
    public int read(byte[] buffer, int offset, int length) throws IOException {
      TarArchiveEntry entry = getCurrentEntry();
      boolean paxHeader = entry != null && (entry.isPaxHeader() || entry.isGlobalPaxHeader());
      if (entry != null
          && (entry.isGNULongNameEntry() || entry.isGNULongLinkEntry() || paxHeader)
          && entry.getSize() > MAX_TAR_METADATA) {
        throw new InvalidInputException(
            "archive has a tar metadata entry (long name or PAX header) of "
                + entry.getSize()
                + " bytes, more than "
                + MAX_TAR_METADATA);
      }
      int read = super.read(buffer, offset, length);
      if (paxHeader && read > 0) {
        pax.write(buffer, offset, read);
      }
      return read;
    }

    // commons-compress makes an absolute name relative (drops its leading '/'): the names are
    // checked as the archive gives them, in the header, a GNU long name and a PAX path record

    @Override
    protected byte[] readRecord() throws IOException {
      byte[] record = super.readRecord();
      if (record != null && TarUtils.verifyCheckSum(record)) {
        boolean posix = new String(record, 257, 6, StandardCharsets.ISO_8859_1).equals("ustar\0");
        if (record[0] == '/' || (posix && record[345] == '/')) {
          throw absolute(
              new String(record, posix && record[345] != 0 ? 345 : 0, 100, UTF_8)
                  .replace("\0", ""));
        }
      }
      return record;
    }

    @Override
    protected byte[] getLongNameData() throws IOException {
      byte[] name = super.getLongNameData();
      if (name != null && name.length > 0 && name[0] == '/') {
        throw absolute(new String(name, UTF_8));
      }
      return name;
    }

    @Override
    public TarArchiveEntry getNextEntry() throws IOException {
      TarArchiveEntry entry = super.getNextEntry();
      if (pax.size() > 0) {
        byte[] records = pax.toByteArray();
        pax.reset();
        paxPaths(records);
      }
      return entry;
    }

    /** Refuses a PAX {@code path} or {@code linkpath} record that is absolute. */
    private static void paxPaths(byte[] records) {
      String text = new String(records, UTF_8);
      for (String record : text.split("\n")) {
        int space = record.indexOf(' ');
        int equals = record.indexOf('=');
        if (space < 0 || equals < space) {
          continue; // malformed records are commons-compress's to refuse
        }
        String key = record.substring(space + 1, equals);
        String value = record.substring(equals + 1);
        if ((key.equals("path") || key.equals("linkpath") || key.equals("GNU.sparse.name"))
            && value.startsWith("/")) {
          throw absolute(value);
        }
      }
    }

    private static InvalidInputException absolute(String name) {
      return new InvalidInputException(
          "archive entry '" + printable(name) + "' has an absolute path");
    }
  }

  /** Counts every byte read against the budget. */
  private static final class Counted extends FilterInputStream {
    private final Budget budget;

    Counted(InputStream in, Budget budget) {
      super(in);
      this.budget = budget;
    }

    @Override
    public int read() throws IOException {
      int b = super.read();
      if (b >= 0) {
        budget.bytes(1, null);
      }
      return b;
    }

    @Override
    public int read(byte[] buffer, int offset, int length) throws IOException {
      int read = super.read(buffer, offset, length);
      if (read > 0) {
        budget.bytes(read, null);
      }
      return read;
    }

    @Override
    public long skip(long n) throws IOException {
      // read, not skipped: skipped bytes are expanded bytes too
      byte[] sink = new byte[(int) Math.min(n, 64 * 1024)];
      long skipped = 0;
      while (skipped < n) {
        int read = read(sink, 0, (int) Math.min(sink.length, n - skipped));
        if (read < 0) {
          break;
        }
        skipped += read;
      }
      return skipped;
    }
  }

  private static Path destination(Path target, ArchiveEntry entry) {
    String name = entry.getName();
    if (name.length() > 1024) {
      throw new InvalidInputException(
          "archive entry '"
              + printable(name.substring(0, 64))
              + "…' has a name of "
              + name.length()
              + " characters, more than 1024");
    }
    int hidden = name.codePoints().filter(Archives::invisible).findFirst().orElse(-1);
    if (hidden >= 0) {
      throw new InvalidInputException(
          "archive entry '"
              + printable(name)
              + "' has a control or bidirectional-formatting character (U+"
              + String.format(Locale.ROOT, "%04X", hidden)
              + ") in its name");
    }
    if (name.isEmpty()
        || name.startsWith("/")
        || name.startsWith("\\")
        || name.matches("^[A-Za-z]:.*")) {
      throw new InvalidInputException(
          "archive entry '" + name + "' has an absolute or invalid path");
    }
    for (String part : name.split("[/\\\\]")) {
      if (part.getBytes(StandardCharsets.UTF_8).length > 255) {
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

  /**
   * Control characters (NUL included) and format characters — the bidirectional overrides and
   * isolates, zero-width joiners and marks — which make a name show other than it is.
   */
  private static boolean invisible(int codePoint) {
    int type = Character.getType(codePoint);
    return type == Character.CONTROL || type == Character.FORMAT;
  }

  /** A name as an error message may show it: invisible characters as \\u escapes. */
  static String printable(String name) {
    StringBuilder out = new StringBuilder();
    name.codePoints()
        .forEach(
            c -> {
              if (invisible(c)) {
                out.append(String.format(Locale.ROOT, "\\u%04X", c));
              } else {
                out.appendCodePoint(c);
              }
            });
    return out.toString();
  }

  /** Copies one entry; returns the CRC-32 of its bytes. */
  private static long copy(
      InputStream in, Path destination, String name, long compressed, Budget budget)
      throws IOException {
    if (Files.exists(destination)) {
      throw new InvalidInputException("archive entry '" + name + "' appears twice");
    }
    Files.createDirectories(destination.getParent());
    long written = 0;
    CRC32 crc = new CRC32();
    byte[] buffer = new byte[64 * 1024];
    try (OutputStream out = Files.newOutputStream(destination)) {
      for (int read = in.read(buffer); read >= 0; read = in.read(buffer)) {
        Deadline.check("expanding archive entry '" + printable(name) + "'");
        written += read;
        if (!budget.countsStream) {
          budget.bytes(read, name);
        }
        if (written / (double) compressed > budget.limits.maxCompressionRatio()
            && written > 1 << 20) {
          throw new InvalidInputException(
              "archive entry '"
                  + name
                  + "' expands more than "
                  + budget.limits.maxCompressionRatio()
                  + " times its compressed size (a zip bomb?)");
        }
        crc.update(buffer, 0, read);
        out.write(buffer, 0, read);
      }
    }
    return crc.getValue();
  }

  /**
   * Counts entries and expanded bytes against the limits: the total size, and the total expansion
   * ratio against the whole archive (many entries each under the per-entry ratio can still add up
   * to a bomb). Names that differ only by case are one name: on a case-insensitive file system, or
   * to a person reading the listing, they are the same file.
   */
  private static final class Budget {
    final ArchiveLimits limits;
    final long archiveBytes;
    final Map<String, String> names = new HashMap<>();
    int entries;
    long bytes;
    String current;
    boolean countsStream;

    Budget(ArchiveLimits limits, long archiveBytes) {
      this.limits = limits;
      this.archiveBytes = Math.max(archiveBytes, 1);
    }

    void entry(String name) {
      Deadline.check("reading the archive's entries");
      if (++entries > limits.maxEntries()) {
        throw new InvalidInputException(
            "archive has more than " + limits.maxEntries() + " entries");
      }
      String folded = name.replaceAll("/+$", "").toLowerCase(Locale.ROOT);
      String earlier = names.putIfAbsent(folded, name);
      if (earlier != null && !earlier.equals(name)) {
        throw new InvalidInputException(
            "archive entries '"
                + printable(earlier)
                + "' and '"
                + printable(name)
                + "' differ only by case");
      }
      current = name;
    }

    /**
     * Refuses an entry by the size its header declares, before any of its bytes is read: a
     * directory with data, or a file larger than what the limits leave.
     */
    void declared(String name, long size, boolean directory) {
      if (directory && size > 0) {
        throw new InvalidInputException(
            "archive entry '"
                + printable(name)
                + "' is a directory that declares "
                + size
                + " bytes of data");
      }
      long total = bytes + Math.max(size, 0);
      if (total > limits.maxExpandedBytes()) {
        throw new InvalidInputException(
            "archive entry '"
                + printable(name)
                + "' declares "
                + size
                + " bytes: the archive would expand to more than "
                + limits.maxExpandedBytes()
                + " bytes");
      }
      if (total > 1 << 20 && total / (double) archiveBytes > limits.maxCompressionRatio()) {
        throw new InvalidInputException(
            "archive entry '"
                + printable(name)
                + "' declares "
                + size
                + " bytes: the archive would expand to more than "
                + limits.maxCompressionRatio()
                + " times its size in total (a zip bomb?)");
      }
    }

    void bytes(long count, String name) {
      if (name == null) {
        countsStream = true; // the whole decompressed stream is counted, entry copies are not
      }
      String at = name != null ? name : current;
      bytes += count;
      if (bytes > limits.maxExpandedBytes()) {
        throw new InvalidInputException(
            "archive expands to more than "
                + limits.maxExpandedBytes()
                + " bytes"
                + (at == null ? "" : " (at entry '" + printable(at) + "')"));
      }
      if (bytes > 1 << 20 && bytes / (double) archiveBytes > limits.maxCompressionRatio()) {
        throw new InvalidInputException(
            "archive expands to more than "
                + limits.maxCompressionRatio()
                + " times its size in total ("
                + (at == null ? "" : "at entry '" + printable(at) + "'; ")
                + "a zip bomb?)");
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
