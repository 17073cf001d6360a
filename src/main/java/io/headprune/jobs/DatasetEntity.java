package io.headprune.jobs;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;
import java.util.UUID;

/** A stored calibration or evaluation dataset, content-addressed by its SHA-256. */
@Entity
@Table(name = "datasets")
class DatasetEntity {
  @Id UUID id;
  String tenant;

  @Column(columnDefinition = "bpchar")
  String sha256;

  /** What the uploader calls it (null: unnamed). */
  String name;

  /** Labels as a JSON object ({@link ResourceLabels}). */
  String labels = "{}";

  String format;
  int rows;
  String storagePath;
  Long bytes;
  Instant createdAt;

  /** A Hub split's origin (JSON: repository, commit, config, split, files, bytes), or null. */
  String origin;
}
