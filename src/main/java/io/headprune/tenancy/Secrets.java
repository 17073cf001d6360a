package io.headprune.tenancy;

import io.headprune.problem.ConflictException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Component;

/**
 * Secrets at rest (tenants' Hub tokens): AES-256-GCM under the key-encryption key from
 * configuration ({@code headprune.security.key-encryption-key}, base64 of 32 bytes), a random
 * 96-bit nonce per value, the tenant as associated data (a ciphertext copied to another tenant's
 * row does not decrypt). Stored as nonce ‖ ciphertext ‖ tag.
 */
@Component
public class Secrets {

  private static final SecureRandom RANDOM = new SecureRandom();
  private static final int NONCE = 12;

  private final SecretKeySpec key;

  Secrets(@Value("${headprune.security.key-encryption-key:}") String keyEncryptionKey) {
    if (keyEncryptionKey == null || keyEncryptionKey.isBlank()) {
      key = null;
      return;
    }
    byte[] bytes;
    try {
      bytes = Base64.getDecoder().decode(keyEncryptionKey.strip());
    } catch (IllegalArgumentException e) {
      throw new IllegalStateException(
          "headprune.security.key-encryption-key must be base64 (of 32 bytes)");
    }
    if (bytes.length != 32) {
      throw new IllegalStateException(
          "headprune.security.key-encryption-key must be base64 of 32 bytes, not "
              + bytes.length
              + " (e.g. openssl rand -base64 32)");
    }
    key = new SecretKeySpec(bytes, "AES");
  }

  /** Whether secrets can be stored (a key-encryption key is configured). */
  public boolean available() {
    return key != null;
  }

  public byte[] encrypt(String tenant, String secret) {
    if (key == null) {
      throw new ConflictException(
          "this service has no key-encryption key (headprune.security.key-encryption-key), "
              + "so it cannot store secrets such as Hub tokens");
    }
    try {
      byte[] nonce = new byte[NONCE];
      RANDOM.nextBytes(nonce);
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
      cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(128, nonce));
      cipher.updateAAD(tenant.getBytes(StandardCharsets.UTF_8));
      byte[] sealed = cipher.doFinal(secret.getBytes(StandardCharsets.UTF_8));
      return ByteBuffer.allocate(NONCE + sealed.length).put(nonce).put(sealed).array();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM is part of every JDK", e);
    }
  }

  public String decrypt(String tenant, byte[] stored) {
    if (key == null) {
      throw new IllegalStateException(
          "a stored secret needs headprune.security.key-encryption-key to be read");
    }
    try {
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
      cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(128, stored, 0, NONCE));
      cipher.updateAAD(tenant.getBytes(StandardCharsets.UTF_8));
      return new String(
          cipher.doFinal(stored, NONCE, stored.length - NONCE), StandardCharsets.UTF_8);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(
          "a stored secret of tenant "
              + tenant
              + " does not decrypt with the configured "
              + "key-encryption key (was the key changed?)");
    }
  }
}
