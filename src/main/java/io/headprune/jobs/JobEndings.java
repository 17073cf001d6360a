package io.headprune.jobs;

import jakarta.annotation.Nullable;
import java.time.Duration;
import java.util.Locale;

/**
 * What every end of a job does, whichever path ends it (a cancel of a queued job, a cancel found as
 * a worker picks it, the worker's success, failure or cancel, a quarantine): its callback is
 * scheduled and its event recorded in the transaction that ended it, and the finished-jobs metric
 * counts it once that transaction has committed.
 */
class JobEndings {

  private final Callbacks callbacks;
  private final JobMetrics metrics;
  private final JobEvents events;

  JobEndings(Callbacks callbacks, JobMetrics metrics, JobEvents events) {
    this.callbacks = callbacks;
    this.metrics = metrics;
    this.events = events;
  }

  /**
   * {@code job} has just ended (its entity moved it to a terminal status in this transaction).
   *
   * @param criterion the artifact's criterion, for the metric ("unknown" when it never ran)
   * @param took how long the attempt ran, or null when it never ran
   * @param detail the event's words
   */
  void ended(JobEntity job, String criterion, @Nullable Duration took, String detail) {
    if (!job.status.finished()) {
      throw new IllegalStateException("job " + job.id + " has not ended: " + job.status);
    }
    callbacks.scheduleDelivery(job.id);
    JobStatus status = job.status;
    events.record(job.id, job.attempt, status.name().toLowerCase(Locale.ROOT), job.phase, detail);
    AfterCommit.run(() -> metrics.finished(status, criterion, took));
  }
}
