package io.headprune.tenancy;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * API keys: {@code hp_} and 43 base64url characters (256 random bits). Only the SHA-256 of a key is
 * stored. A plain SHA-256 is enough here, unlike for passwords: slow, salted hashes defend
 * guessable secrets against a stolen table, and a 256-bit random key cannot be guessed from its
 * hash however fast the hash is — while a slow hash would cost every request.
 */
final class KeyHashes {

  static final String MARK = "hp_";

  /**
   * Characters of a key shown in listings and used to find its row: the mark and 8 more (48 bits).
   */
  static final int PREFIX_LENGTH = MARK.length() + 8;

  /** Length of a generated key. */
  static final int KEY_LENGTH = MARK.length() + 43;

  private static final SecureRandom RANDOM = new SecureRandom();

  /** Compared against when no row has the presented prefix, so both paths do the same work. */
  private static final byte[] NO_ROW = sha256(MARK + "0".repeat(43));

  private KeyHashes() {}

  /** A new random key. */
  static String generate() {
    byte[] bytes = new byte[32];
    RANDOM.nextBytes(bytes);
    return MARK + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  /** Whether {@code presented} looks like a key at all (the mark, then base64url, long enough). */
  static boolean wellFormed(String presented) {
    return presented != null
        && presented.startsWith(MARK)
        && presented.length() >= PREFIX_LENGTH + 14
        && presented.length() <= 200
        && presented
            .chars()
            .skip(MARK.length())
            .allMatch(c -> Character.isLetterOrDigit(c) && c < 128 || c == '-' || c == '_');
  }

  static String prefix(String key) {
    return key.substring(0, PREFIX_LENGTH);
  }

  /**
   * Whether {@code presented} hashes to {@code stored} ({@code null}: no row has its prefix). The
   * hash is computed and compared in constant time either way, so a wrong key with a right prefix
   * takes as long as a random one.
   */
  static boolean matches(String presented, byte[] stored) {
    byte[] hash = sha256(presented);
    boolean equal = MessageDigest.isEqual(hash, stored == null ? NO_ROW : stored);
    return equal && stored != null;
  }

  static byte[] sha256(String key) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
  }
}
