package io.headprune.tenancy;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Keys: 256 random bits, stored as a hash, compared in constant time. */
class KeyHashesTest {

  @Test
  void generatedKeysAreRandomAndWellFormed() {
    Set<String> keys = new HashSet<>();
    for (int i = 0; i < 1000; i++) {
      String key = KeyHashes.generate();
      assertThat(key).matches("hp_[A-Za-z0-9_-]{43}"); // 43 base64url characters: 256 bits
      assertThat(KeyHashes.wellFormed(key)).isTrue();
      keys.add(KeyHashes.prefix(key));
    }
    assertThat(keys).hasSize(1000);
    assertThat(KeyHashes.wellFormed("hp_short")).isFalse();
    assertThat(KeyHashes.wellFormed("xx_" + "a".repeat(43))).isFalse();
    assertThat(KeyHashes.wellFormed("hp_" + "ä".repeat(43))).isFalse();
  }

  @Test
  void onlyTheKeyItselfMatchesItsHash() {
    String key = KeyHashes.generate();
    byte[] stored = KeyHashes.sha256(key);
    assertThat(KeyHashes.matches(key, stored)).isTrue();
    assertThat(KeyHashes.matches(key.substring(0, key.length() - 1) + "x", stored))
        .isEqualTo(key.endsWith("x"));
    assertThat(KeyHashes.matches(key, null)).isFalse(); // no row with its prefix
    assertThat(KeyHashes.matches("hp_" + "0".repeat(43), null))
        .as("the stand-in hash never matches")
        .isFalse();
  }

  /**
   * A wrong key with a right prefix (a row exists, the hashes differ) takes as long to refuse as a
   * random key (no row): medians of interleaved runs within 25 % of each other. Had the comparison
   * stopped at the first differing byte, or the no-row path skipped hashing, the two would differ:
   * the last check shows the measurement can tell such paths apart. A measurement of time, so not
   * part of {@code ./mvnw verify} (a shared machine's load decides it): run it with {@code ./mvnw
   * test -Dtest=KeyHashesTest -Dheadprune.timing.groups=none} (bench/README.md).
   */
  @Test
  @Tag("timing")
  void aWrongKeyWithARightPrefixTakesAsLongAsARandomOne() {
    String key = KeyHashes.generate();
    byte[] stored = KeyHashes.sha256(key);
    String samePrefix = KeyHashes.prefix(key) + "A".repeat(key.length() - KeyHashes.PREFIX_LENGTH);
    String random = KeyHashes.generate();
    int rounds = 20_000;
    long[] wrong = new long[rounds];
    long[] unknown = new long[rounds];
    long[] skipped = new long[rounds];
    boolean sink = false;
    for (int warm = 0; warm < 50_000; warm++) {
      sink ^= KeyHashes.matches(samePrefix, stored) ^ KeyHashes.matches(random, null);
    }
    for (int i = 0; i < rounds; i++) {
      long t0 = System.nanoTime();
      sink ^= KeyHashes.matches(samePrefix, stored);
      long t1 = System.nanoTime();
      sink ^= KeyHashes.matches(random, null);
      long t2 = System.nanoTime();
      sink ^= Arrays.equals(stored, stored); // a path that does no hashing at all
      long t3 = System.nanoTime();
      wrong[i] = t1 - t0;
      unknown[i] = t2 - t1;
      skipped[i] = t3 - t2;
    }
    assertThat(sink).isFalse();
    double ratio = (double) median(wrong) / median(unknown);
    assertThat(ratio).as("median wrong-key time / median unknown-key time").isBetween(0.8, 1.25);
    assertThat((double) median(skipped) / median(unknown))
        .as("a path without hashing is told apart")
        .isLessThan(0.5);
  }

  private static long median(long[] values) {
    long[] sorted = values.clone();
    Arrays.sort(sorted);
    return sorted[sorted.length / 2];
  }
}
