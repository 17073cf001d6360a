package io.headprune.jobs;

import jakarta.persistence.Entity;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;
import java.util.UUID;

/**
 * A pruning job's history row: status, progress, attempt, request, error and result (JSON text).
 */
@Entity
@Table(name = "jobs")
class JobEntity {
  @Id UUID id;
  String tenant;

  @Enumerated(EnumType.STRING)
  JobStatus status;

  String phase;
  long progressDone;
  long progressTotal;

  /** The job's plan, {@link JobView.Plan} as JSON: passes per phase. */
  String plan;

  /** Per phase ended, the worker process's peak resident memory in bytes, as JSON; else null. */
  String peakMemory;

  /** Share of the plan done (0 to 1), once a worker has measured some of it; else null. */
  Double fraction;

  /** When the job is estimated to end, from the pass times measured so far; else null. */
  Instant eta;

  int attempt;

  /** Times a worker died while it ran this job (see {@link JobRunner#workerDied}). */
  int workerDeaths;

  boolean cancelRequested;
  UUID modelId;
  UUID calibrationId;
  UUID evaluationId;

  /**
   * Calibration sets compared with the job's own, in request order (what the deletion guard reads;
   * the worker reads them from {@link #data}).
   */
  @jakarta.persistence.ElementCollection
  @jakarta.persistence.CollectionTable(
      name = "job_calibrations",
      joinColumns = @jakarta.persistence.JoinColumn(name = "job_id"))
  @jakarta.persistence.OrderColumn(name = "position")
  @jakarta.persistence.Column(name = "dataset_id")
  java.util.List<UUID> comparedIds = new java.util.ArrayList<>();

  String request;

  /** A name to find it by (optional). */
  String name;

  /** Labels to find it by: a JSON object, '{}' when none ({@link ResourceLabels}). */
  String labels = "{}";

  /** The id of the run that submitted it elsewhere (MLflow, Airflow), optional. */
  String externalId;

  /** The worker pool that runs it ({@link JobPools}). */
  String pool = JobPools.DEFAULT;

  /** The datasets read ({@link JobView.Data}, JSON), recorded on submission. */
  String data;

  String error;
  String result;
  String worker;
  String hubCommit;
  Instant createdAt;
  Instant startedAt;
  Instant finishedAt;
  Instant updatedAt;
}
