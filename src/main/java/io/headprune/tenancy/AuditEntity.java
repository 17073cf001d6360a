package io.headprune.tenancy;

import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;

/** One state change: who (tenant, actor) did what (action) to which id (target), when. */
@Entity
@Table(name = "audit")
class AuditEntity {
  @Id
  @GeneratedValue(strategy = GenerationType.IDENTITY)
  Long id;

  String tenant;
  String actor;
  String action;
  String target;
  Instant at;
}
