package io.headprune.jobs;

import io.headprune.progress.Phase;
import jakarta.persistence.CollectionTable;
import jakarta.persistence.Column;
import jakarta.persistence.ElementCollection;
import jakarta.persistence.Entity;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.Id;
import jakarta.persistence.JoinColumn;
import jakarta.persistence.OrderColumn;
import jakarta.persistence.Table;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
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
  @ElementCollection
  @CollectionTable(name = "job_calibrations", joinColumns = @JoinColumn(name = "job_id"))
  @OrderColumn(name = "position")
  @Column(name = "dataset_id")
  List<UUID> comparedIds = new ArrayList<>();

  /** The versioned document the worker runs ({@link JobPayload}), read once per attempt. */
  String request;

  /**
   * The request as submitted, every default filled in (JSON, the callback without its secret): what
   * the job view serves as it is, never parsed.
   */
  String asked;

  /** The Hub repository of a Hub model (null for an uploaded one). */
  String modelHub;

  /** The revision asked for a Hub model (null for an uploaded one or the default branch). */
  String modelRevision;

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

  /**
   * The job's life, in one place: the statuses each status may move to. RUNNING → RUNNING is a new
   * attempt after one that ended while the database was away or busy, when the row could not be
   * written (db-scheduler runs the job again). A worker's writes are fenced besides by {@link
   * #runBy}: only the attempt that runs the job changes it.
   */
  static final Map<JobStatus, Set<JobStatus>> NEXT =
      Map.of(
          JobStatus.QUEUED,
          EnumSet.of(JobStatus.RUNNING, JobStatus.CANCELLED),
          JobStatus.RUNNING,
          EnumSet.of(
              JobStatus.QUEUED,
              JobStatus.RUNNING,
              JobStatus.SUCCEEDED,
              JobStatus.FAILED,
              JobStatus.CANCELLED),
          JobStatus.SUCCEEDED,
          EnumSet.noneOf(JobStatus.class),
          JobStatus.FAILED,
          EnumSet.noneOf(JobStatus.class),
          JobStatus.CANCELLED,
          EnumSet.noneOf(JobStatus.class));

  /** A new job, waiting for a worker. */
  static JobEntity queued(UUID id, String tenant, Instant now) {
    JobEntity job = new JobEntity();
    job.id = id;
    job.tenant = tenant;
    job.status = JobStatus.QUEUED;
    job.phase = Phase.QUEUED.id();
    job.createdAt = now;
    job.updatedAt = now;
    return job;
  }

  /** Whether attempt {@code attempt} is the one running the job now. */
  boolean runBy(int attempt) {
    return status == JobStatus.RUNNING && this.attempt == attempt;
  }

  /**
   * A worker starts the next attempt: QUEUED (or RUNNING, see {@link #NEXT}) → RUNNING, its
   * progress measured afresh.
   */
  void start(String worker, Instant now) {
    move(JobStatus.RUNNING, Phase.LOAD, now);
    attempt++;
    progressDone = 0;
    progressTotal = 0;
    fraction = null; // a new attempt measures again
    eta = null;
    this.worker = worker;
    if (startedAt == null) {
      startedAt = now;
    }
  }

  /** Back in the queue (its worker shut down or died): RUNNING → QUEUED. */
  void requeue(Instant now) {
    move(JobStatus.QUEUED, Phase.QUEUED, now);
    worker = null;
  }

  /** RUNNING → SUCCEEDED with its result (a {@link JobView.Result} as JSON). */
  void succeed(String result, Instant now) {
    move(JobStatus.SUCCEEDED, Phase.DONE, now);
    this.result = result;
    error = null;
  }

  /** RUNNING → FAILED with its problem (JSON). */
  void fail(String problem, Instant now) {
    move(JobStatus.FAILED, Phase.FAILED, now);
    error = problem;
  }

  /** QUEUED or RUNNING → CANCELLED. */
  void cancel(Instant now) {
    move(JobStatus.CANCELLED, Phase.CANCELLED, now);
  }

  /** A cancel its worker acts on at its next batch. */
  void requestCancel(Instant now) {
    if (status.finished()) {
      throw new IllegalStateException("job " + id + " has ended " + status);
    }
    cancelRequested = true;
    updatedAt = now;
  }

  private void move(JobStatus to, Phase next, Instant now) {
    if (!NEXT.get(status).contains(to)) {
      throw new IllegalStateException(
          "job " + id + ": " + status + " → " + to + " is not a move of a job's life");
    }
    status = to;
    phase = next.id();
    updatedAt = now;
    if (to.finished()) {
      finishedAt = now;
    }
  }
}
