package io.headprune.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.headprune.problem.InvalidInputException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
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
}
