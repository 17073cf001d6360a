package io.headprune.tenancy;

import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;

/** An API key: only its SHA-256 is stored; the prefix is what listings show. */
@Entity
@Table(name = "api_keys")
class ApiKeyEntity {
  @Id String prefix;
  byte[] hash;
  String tenant;
  String role;
  Instant createdAt;
  Instant lastUsedAt;
  boolean revoked;
  Instant revokedAt;
}
