package io.headprune.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.headprune.problem.Deadline;
import io.headprune.problem.InvalidInputException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.CRC32;
import java.util.zip.GZIPOutputStream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Expansion is bounded per entry and for the archive as a whole. */
class ArchivesTest {

  @TempDir Path dir;

  /**
   * A .tar.gz of {@code count} files of {@code size} zero bytes (each compresses to almost
   * nothing).
   */
  private Path zeros(int count, int size) throws IOException {
    Path source = Files.createDirectories(dir.resolve("source"));
    for (int i = 0; i < count; i++) {
      Files.write(source.resolve("zeros" + i + ".bin"), new byte[size]);
    }
    Path archive = dir.resolve("zeros.tar.gz");
    Archives.tarGz(source, "model", archive);
    return archive;
  }

  @Test
  void manyEntriesEachUnderTheRatioAreStillABombTogether() throws IOException {
    Path archive = zeros(12, 700 * 1024); // each under 1 MiB, 8.4 MB together from a few KB
    ArchiveLimits limits = new ArchiveLimits(100, 1L << 30, 200);
    assertThat(Files.size(archive)).isLessThan(64 * 1024);
    assertThatThrownBy(() -> Archives.extract(archive, "zeros.tar.gz", dir.resolve("out"), limits))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("times its size in total");
  }

  @Test
  void anArchiveWithinTheRatioExpands() throws IOException {
    Path archive = zeros(2, 100 * 1024);
    Archives.extract(
        archive, "zeros.tar.gz", dir.resolve("out"), new ArchiveLimits(100, 1L << 30, 200));
    assertThat(dir.resolve("out/model/zeros1.bin")).hasSize(100 * 1024);
  }

  private static final ArchiveLimits LIMITS = new ArchiveLimits(100, 1L << 30, 200);

  private static byte[] random(int size, long seed) {
    byte[] bytes = new byte[size];
    new Random(seed).nextBytes(bytes);
    return bytes;
  }

  /** A .tar.gz of the given files, as one gzip member. */
  private static byte[] tarGz(Map<String, byte[]> files) throws IOException {
    return gzip(tar(files));
  }

  private static byte[] tar(Map<String, byte[]> files) throws IOException {
    var bytes = new ByteArrayOutputStream();
    try (var tar = new TarArchiveOutputStream(bytes)) {
      tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
      for (var file : files.entrySet()) {
        var entry = new TarArchiveEntry(file.getKey());
        entry.setSize(file.getValue().length);
        tar.putArchiveEntry(entry);
        tar.write(file.getValue());
        tar.closeArchiveEntry();
      }
    }
    return bytes.toByteArray();
  }

  private static byte[] gzip(byte[] content) throws IOException {
    var bytes = new ByteArrayOutputStream();
    try (var gzip = new GZIPOutputStream(bytes)) {
      gzip.write(content);
    }
    return bytes.toByteArray();
  }

  private static byte[] concat(byte[]... parts) {
    var out = new ByteArrayOutputStream();
    for (byte[] part : parts) {
      out.writeBytes(part);
    }
    return out.toByteArray();
  }

  private void extract(byte[] archive, String name, ArchiveLimits limits) throws IOException {
    Path file = Files.write(dir.resolve(name), archive);
    Archives.extract(file, name, Files.createDirectories(dir.resolve("out")), limits);
  }

  private static Map<String, byte[]> model() {
    var files = new LinkedHashMap<String, byte[]>();
    files.put("model/config.json", "{}".getBytes(StandardCharsets.UTF_8));
    files.put("model/model.safetensors", random(256 * 1024, 1));
    return files;
  }

  @Test
  void aSecondGzipMemberAfterTheModelIsReadAndRefused() throws IOException {
    // the probe's archive: a valid model, then (a second gzip member) a tar of zeros, which a
    // reader of the first member alone never sees
    byte[] archive = concat(tarGz(model()), tarGz(Map.of("zeros.bin", new byte[64 << 20])));
    assertThat(archive.length).isLessThan(1 << 20);

    assertThatThrownBy(() -> extract(archive, "bomb.tar.gz", LIMITS))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("data after the end of its tar stream");
  }

  @Test
  void aSecondGzipMemberOfZerosIsCountedAgainstTheRatio() throws IOException {
    byte[] archive = concat(tarGz(model()), gzip(new byte[128 << 20]));

    assertThatThrownBy(() -> extract(archive, "zeros2.tar.gz", LIMITS))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("times its size in total");
  }

  @Test
  void zerosAfterTheTarEndAreCountedToo() throws IOException {
    byte[] archive = gzip(concat(tar(model()), new byte[128 << 20]));

    assertThatThrownBy(() -> extract(archive, "padded.tar.gz", LIMITS))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("times its size in total");
  }

  @Test
  void dataAfterTheTarEndIsRefused() throws IOException {
    byte[] archive = gzip(concat(tar(model()), random(4096, 2)));

    assertThatThrownBy(() -> extract(archive, "trailing.tar.gz", LIMITS))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("data after the end");
  }

  @Test
  void anArchiveCutAfterItsModelFilesIsRefused() throws IOException {
    var files = model();
    files.put("model/extra.bin", random(512 * 1024, 3));
    byte[] whole = tarGz(files);
    byte[] cut = Arrays.copyOf(whole, whole.length * 3 / 4); // within extra.bin

    assertThatThrownBy(() -> extract(cut, "cut.tar.gz", LIMITS))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("truncated or not a valid .tar.gz");
  }

  @Test
  void aSecondMemberCutShortIsRefused() throws IOException {
    byte[] second = tarGz(Map.of("model/extra.bin", random(64 * 1024, 4)));
    byte[] archive = concat(tarGz(model()), Arrays.copyOf(second, second.length / 2));

    assertThatThrownBy(() -> extract(archive, "cut2.tar.gz", LIMITS))
        .isInstanceOf(InvalidInputException.class);
  }

  @Test
  void aHugeGnuLongNameIsRefusedBeforeItIsRead() throws IOException {
    // a GNU long-name header claiming 1.5 GB, then a little of it: read whole, it would fill the
    // heap
    byte[] header = new byte[512];
    put(header, 0, "././@LongLink");
    put(header, 100, "0000644\0");
    put(header, 108, "0000000\0");
    put(header, 116, "0000000\0");
    put(header, 124, String.format("%011o\0", 1_500_000_000L));
    put(header, 136, "00000000000\0");
    header[156] = 'L';
    put(header, 257, "ustar  \0");
    Arrays.fill(header, 148, 156, (byte) ' ');
    int sum = 0;
    for (byte b : header) {
      sum += b & 0xff;
    }
    put(header, 148, String.format("%06o\0 ", sum));
    byte[] archive = gzip(concat(header, new byte[64 * 1024]));

    assertThatThrownBy(() -> extract(archive, "longname.tar.gz", LIMITS))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("metadata entry");
  }

  private static void put(byte[] header, int at, String text) {
    byte[] bytes = text.getBytes(StandardCharsets.US_ASCII);
    System.arraycopy(bytes, 0, header, at, bytes.length);
  }

  @Test
  void namesWithBidirectionalOverridesOrControlsAreRefused() throws IOException {
    var files = model();
    files.put("model/\u202egnp.exe", new byte[10]);

    assertThatThrownBy(() -> extract(tarGz(files), "bidi.tar.gz", LIMITS))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("U+202E")
        .hasMessageContaining("\\u202Egnp.exe");
  }

  @Test
  void namesThatDifferOnlyByCaseAreRefused() throws IOException {
    var files = model();
    files.put("model/Config.json", "{}".getBytes(StandardCharsets.UTF_8));

    assertThatThrownBy(() -> extract(tarGz(files), "case.tar.gz", LIMITS))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("differ only by case");
  }

  private static byte[] zip(Map<String, byte[]> files, boolean stored) throws IOException {
    var bytes = new ByteArrayOutputStream();
    try (var zip = new ZipOutputStream(bytes)) {
      for (var file : files.entrySet()) {
        var entry = new ZipEntry(file.getKey());
        if (stored) {
          entry.setMethod(ZipEntry.STORED);
          entry.setSize(file.getValue().length);
          var crc = new CRC32();
          crc.update(file.getValue());
          entry.setCrc(crc.getValue());
        }
        zip.putNextEntry(entry);
        zip.write(file.getValue());
        zip.closeEntry();
      }
    }
    return bytes.toByteArray();
  }

  /** Replaces the {@code nth} (from 0) occurrence of {@code from} by {@code to}, same length. */
  private static byte[] patch(byte[] bytes, String from, String to, int nth) {
    byte[] a = from.getBytes(StandardCharsets.UTF_8);
    byte[] b = to.getBytes(StandardCharsets.UTF_8);
    byte[] out = bytes.clone();
    int seen = 0;
    for (int i = 0; i + a.length <= out.length; i++) {
      if (Arrays.equals(out, i, i + a.length, a, 0, a.length) && seen++ == nth) {
        System.arraycopy(b, 0, out, i, b.length);
        return out;
      }
    }
    throw new IllegalStateException(from + " occurs fewer than " + (nth + 1) + " times");
  }

  @Test
  void aZipIsAcceptedWhenItsTwoDirectoriesAgree() throws IOException {
    extract(zip(model(), false), "ok.zip", LIMITS);

    assertThat(dir.resolve("out/model/model.safetensors")).hasSize(256 * 1024);
  }

  @Test
  void aZipWhoseCentralDirectoryNamesOtherFilesIsRefused() throws IOException {
    // the local header says model/config.json, the central directory model/c0nfig.json
    byte[] archive = patch(zip(model(), false), "model/config.json", "model/c0nfig.json", 1);

    assertThatThrownBy(() -> extract(archive, "names.zip", LIMITS))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("central directory and local headers disagree");
  }

  @Test
  void aZipWithCorruptDataIsRefused() throws IOException {
    var files = new LinkedHashMap<String, byte[]>();
    files.put("model/config.json", "{\"a\": 1}".getBytes(StandardCharsets.UTF_8));
    byte[] archive = patch(zip(files, true), "{\"a\": 1}", "{\"a\": 2}", 0);

    assertThatThrownBy(() -> extract(archive, "crc.zip", LIMITS))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("CRC");
  }

  /**
   * A raw ustar header (checksum filled in) for {@code name} of {@code type} declaring {@code
   * size}.
   */
  private static byte[] header(String name, char type, long size, String magic) {
    byte[] header = new byte[512];
    put(header, 0, name);
    put(header, 100, "0000644\0");
    put(header, 108, "0000000\0");
    put(header, 116, "0000000\0");
    put(header, 124, String.format("%011o\0", size));
    put(header, 136, "00000000000\0");
    header[156] = (byte) type;
    put(header, 257, magic);
    Arrays.fill(header, 148, 156, (byte) ' ');
    int sum = 0;
    for (byte b : header) {
      sum += b & 0xff;
    }
    put(header, 148, String.format("%06o\0 ", sum));
    return header;
  }

  @Test
  void aDirectoryEntryDeclaringDataIsRefusedAtItsHeader() throws IOException {
    // the probe's 4 GiB directory: refused by its header, none of the 4 GiB read (or skipped)
    byte[] archive =
        gzip(concat(header("model/", '5', 4L << 30, "ustar\0" + "00"), new byte[1024]));

    assertThatThrownBy(() -> extract(archive, "dir.tar.gz", LIMITS))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("'model/' is a directory that declares 4294967296 bytes");
  }

  @Test
  void aFileDeclaringMoreThanTheLimitsLeaveIsRefusedBeforeItIsRead() throws IOException {
    byte[] archive =
        gzip(
            concat(
                header("model/model.safetensors", '0', 3L << 30, "ustar\0" + "00"),
                new byte[64 * 1024]));

    assertThatThrownBy(() -> extract(archive, "big.tar.gz", LIMITS))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("'model/model.safetensors' declares 3221225472 bytes")
        .hasMessageContaining("more than 1073741824 bytes");
  }

  @Test
  void absoluteNamesAreRefusedWhereverTheTarGivesThem() throws IOException {
    byte[] plain =
        gzip(concat(header("/etc/cron.d/evil", '0', 4, "ustar\0" + "00"), new byte[1536]));
    // a PAX header whose path record is absolute, before a harmless plain name
    String record = " path=/etc/cron.d/evil\n";
    String pax = (record.length() + 2) + record;
    byte[] paxData = Arrays.copyOf(pax.getBytes(StandardCharsets.UTF_8), 512);
    byte[] viaPax =
        gzip(
            concat(
                header("PaxHeaders/evil", 'x', pax.length(), "ustar\0" + "00"),
                paxData,
                header("evil", '0', 0, "ustar\0" + "00"),
                new byte[1024]));
    // a GNU long name that is absolute
    byte[] longName = Arrays.copyOf("/etc/cron.d/evil".getBytes(StandardCharsets.UTF_8), 512);
    byte[] viaGnu =
        gzip(
            concat(
                header("././@LongLink", 'L', 17, "ustar  \0"),
                longName,
                header("evil", '0', 0, "ustar  \0"),
                new byte[1024]));

    for (byte[] archive : List.of(plain, viaPax, viaGnu)) {
      assertThatThrownBy(() -> extract(archive, "abs.tar.gz", LIMITS))
          .isInstanceOf(InvalidInputException.class)
          .hasMessageContaining("'/etc/cron.d/evil' has an absolute path");
    }
    assertThat(dir.resolve("out/etc")).doesNotExist();
  }

  @Test
  void aZipDeclaringTooManyEntriesIsRefusedBeforeItsDirectoryIsParsed() throws IOException {
    byte[] zip = zip(model(), false);
    // the end record's two entry counts (at 8 and 10 from its start) set to 60,000
    int end = zip.length - 22;
    assertThat(zip[end]).isEqualTo((byte) 0x50);
    for (int at : new int[] {end + 8, end + 10}) {
      zip[at] = (byte) (60_000 & 0xff);
      zip[at + 1] = (byte) (60_000 >> 8);
    }

    assertThatThrownBy(() -> extract(zip, "many.zip", LIMITS))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("declares 60000 entries, more than 100");
  }

  @Test
  void aZip64CountIsReadFromItsOwnEndRecord() throws IOException {
    // more than 65,535 entries: the count lives in the Zip64 end record
    var files = new LinkedHashMap<String, byte[]>();
    for (int i = 0; i < 65_600; i++) {
      files.put("f" + i, new byte[0]);
    }
    Path file = Files.write(dir.resolve("zip64.zip"), zip(files, true));

    assertThat(ZipDirectory.entries(file)).isEqualTo(65_600);
    assertThat(ZipDirectory.entries(Files.write(dir.resolve("small.zip"), zip(model(), false))))
        .isEqualTo(2);
  }

  @Test
  void extractionStopsAtTheDeadline() throws IOException {
    Path archive = Files.write(dir.resolve("ok.tar.gz"), tarGz(model()));
    // a clock that moves a minute each time it is read: the budget of 90 s is gone by the
    // second check
    var clock = new AtomicLong();
    Clock ticking =
        new Clock() {
          @Override
          public ZoneId getZone() {
            return ZoneOffset.UTC;
          }

          @Override
          public Clock withZone(ZoneId zone) {
            return this;
          }

          @Override
          public Instant instant() {
            return Instant.ofEpochSecond(clock.getAndAdd(60));
          }
        };

    assertThatThrownBy(
            () ->
                Deadline.within(
                    Duration.ofSeconds(90),
                    ticking,
                    "validating the model upload",
                    "headprune.upload.validation-timeout",
                    () -> {
                      Archives.extract(archive, "ok.tar.gz", dir.resolve("out"), LIMITS);
                      return null;
                    }))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("validating the model upload took longer than its budget of 90 s")
        .hasMessageContaining("headprune.upload.validation-timeout");
    // the same archive without a deadline expands
    Archives.extract(archive, "ok.tar.gz", dir.resolve("again"), LIMITS);
    assertThat(dir.resolve("again/model/config.json")).exists();
  }
}
