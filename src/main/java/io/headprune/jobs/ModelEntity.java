package io.headprune.jobs;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;
import java.util.UUID;

/** A stored model directory, content-addressed by the SHA-256 of its upload (or hub snapshot). */
@Entity
@Table(name = "models")
class ModelEntity {
  @Id UUID id;
  String tenant;

  @Column(columnDefinition = "bpchar")
  String sha256;

  /**
   * The uploaded archive's own SHA-256 (null: a Hub snapshot); {@link #sha256} is the content's.
   */
  @Column(columnDefinition = "bpchar")
  String archiveSha256;

  String source;

  /** What the uploader calls it (null: unnamed). */
  String name;

  String hubRepo;
  String hubRevision;
  String hubCommit;
  String architecture;
  int layers;
  int heads;
  long parameters;

  /** Labels as a JSON object ({@link ResourceLabels}). */
  String labels = "{}";

  String storagePath;
  Long bytes;
  Instant createdAt;
}
