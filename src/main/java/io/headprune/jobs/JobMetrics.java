package io.headprune.jobs;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import org.springframework.stereotype.Component;

/**
 * Micrometer metrics of the job queue: submitted, finished by status, duration, depth, heads
 * scored; and of this worker: jobs running and waiting.
 */
@Component
class JobMetrics {

  /** Job duration buckets: seconds to a day, about three a decade. */
  static final Duration[] DURATION_BUCKETS = {
    Duration.ofSeconds(1),
    Duration.ofSeconds(5),
    Duration.ofSeconds(15),
    Duration.ofSeconds(30),
    Duration.ofMinutes(1),
    Duration.ofMinutes(2),
    Duration.ofMinutes(5),
    Duration.ofMinutes(10),
    Duration.ofMinutes(30),
    Duration.ofHours(1),
    Duration.ofHours(2),
    Duration.ofHours(6),
    Duration.ofHours(12),
    Duration.ofHours(24)
  };

  private final MeterRegistry registry;
  private final Counter submitted;
  private final Counter headsScored;

  JobMetrics(MeterRegistry registry, Repositories.JobRows jobs, WorkerDevices devices) {
    this.registry = registry;
    this.submitted =
        Counter.builder("headprune.jobs.submitted")
            .description("jobs submitted")
            .register(registry);
    this.headsScored =
        Counter.builder("headprune.heads.scored")
            .description("attention heads scored (per seed)")
            .register(registry);
    Gauge.builder("headprune.jobs.queue.depth", jobs, rows -> rows.countByStatus(JobStatus.QUEUED))
        .description(
            "jobs waiting for a worker, cluster-wide: every instance reads the same database count,"
                + " so take max, not sum, over pods")
        .register(registry);
    Gauge.builder("headprune.worker.jobs.running", devices, WorkerDevices::running)
        .description("jobs this worker process runs now (sum over pods)")
        .register(registry);
    Gauge.builder("headprune.worker.jobs.waiting", devices, WorkerDevices::waiting)
        .description(
            "jobs this worker process has taken that wait for a device place or memory (sum over"
                + " pods)")
        .register(registry);
  }

  void submitted() {
    submitted.increment();
  }

  /** A job ended with {@code status}; {@code took} is its run time (null if it never ran). */
  void finished(JobStatus status, String criterion, Duration took) {
    Counter.builder("headprune.jobs.finished")
        .description("jobs ended, by status")
        .tag("status", status.name())
        .register(registry)
        .increment();
    if (took != null) {
      Timer.builder("headprune.jobs.duration")
          .description("run time of finished jobs, by status and the artifact's criterion")
          .tag("status", status.name())
          .tag("criterion", criterion)
          // 14 buckets a label pair (a percentile histogram had 76)
          .serviceLevelObjectives(DURATION_BUCKETS)
          .register(registry)
          .record(took);
    }
  }

  void headsScored(long heads) {
    headsScored.increment(heads);
  }
}
