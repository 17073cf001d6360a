package io.headprune.jobs;

import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.util.UUID;

/** One head's scores for a job (seed null: the scores the artifact was selected with). */
@Entity
@Table(name = "head_scores")
class HeadScoreEntity {
  @Id
  @GeneratedValue(strategy = GenerationType.IDENTITY)
  Long id;

  String tenant;
  UUID jobId;
  Integer seed;
  int layer;
  int head;
  double his;
  double entropy;
  double hisNorm;
  double entropyNorm;
  double hies;
  boolean pruned;
}
