package io.headprune.jobs;

import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.util.UUID;

/** One evaluation of a job: criterion × sparsity × seed. */
@Entity
@Table(name = "evaluations")
class EvaluationEntity {
  @Id
  @GeneratedValue(strategy = GenerationType.IDENTITY)
  Long id;

  String tenant;
  UUID jobId;
  String criterion;
  double sparsity;
  int seed;
  String metricName;
  Double metricValue;
  Double agreement;
  String prunedHeads;
}
