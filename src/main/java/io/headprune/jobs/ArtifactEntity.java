package io.headprune.jobs;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;
import java.util.UUID;

/** One stored output of a job: pruned, masked, scores or report. */
@Entity
@Table(name = "artifacts")
class ArtifactEntity {
  @Id
  @GeneratedValue(strategy = GenerationType.IDENTITY)
  Long id;

  String tenant;
  UUID jobId;
  String kind;
  String uri;

  @Column(columnDefinition = "bpchar")
  String sha256;

  long bytes;
  Instant createdAt;
}
