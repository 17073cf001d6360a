package io.headprune.tenancy;

import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;

/** A tenant: its name is its id. Its Hub token is stored encrypted ({@link Secrets}). */
@Entity
@Table(name = "tenants")
class TenantEntity {
  @Id String id;
  Instant createdAt;
  byte[] hubToken;
}
