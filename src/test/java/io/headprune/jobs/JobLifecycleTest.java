package io.headprune.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.EnumSet;
import java.util.UUID;
import java.util.function.BiConsumer;
import org.junit.jupiter.api.Test;

/** A job's life as its entity keeps it: the moves the table allows, and no other (no Spring). */
class JobLifecycleTest {

  private static final Instant T0 = Instant.parse("2026-12-07T00:00:00Z");

  /** A job brought to {@code status} through allowed moves. */
  private static JobEntity in(JobStatus status) {
    JobEntity job = JobEntity.queued(UUID.randomUUID(), "t", T0);
    switch (status) {
      case QUEUED -> {}
      case RUNNING -> job.start("w", T0.plusSeconds(1));
      case SUCCEEDED -> {
        job.start("w", T0.plusSeconds(1));
        job.succeed("{}", T0.plusSeconds(2));
      }
      case FAILED -> {
        job.start("w", T0.plusSeconds(1));
        job.fail("{}", T0.plusSeconds(2));
      }
      case CANCELLED -> job.cancel(T0.plusSeconds(1));
    }
    return job;
  }

  /** Each move of the entity, by the status it leads to. */
  private static BiConsumer<JobEntity, Instant> move(JobStatus to) {
    return switch (to) {
      case QUEUED -> JobEntity::requeue;
      case RUNNING -> (job, at) -> job.start("w2", at);
      case SUCCEEDED -> (job, at) -> job.succeed("{\"ok\":1}", at);
      case FAILED -> (job, at) -> job.fail("{\"status\":500}", at);
      case CANCELLED -> JobEntity::cancel;
    };
  }

  @Test
  void everyMoveOfTheTableAndNoOther() {
    int allowed = 0;
    for (JobStatus from : JobStatus.values()) {
      for (JobStatus to : JobStatus.values()) {
        JobEntity job = in(from);
        Instant at = T0.plusSeconds(10);
        if (JobEntity.NEXT.get(from).contains(to)) {
          move(to).accept(job, at);
          assertThat(job.status).isEqualTo(to);
          assertThat(job.attempt)
              .isEqualTo(to == JobStatus.RUNNING ? in(from).attempt + 1 : in(from).attempt);
          assertThat(job.updatedAt).isEqualTo(at);
          assertThat(job.finishedAt).isEqualTo(to.finished() ? at : null);
          allowed++;
        } else {
          String before = job.status + "/" + job.phase + "/" + job.attempt;
          assertThatThrownBy(() -> move(to).accept(job, at))
              .as(from + " → " + to)
              .isInstanceOf(IllegalStateException.class)
              .hasMessageContaining(from + " → " + to);
          assertThat(job.status + "/" + job.phase + "/" + job.attempt)
              .as("a refused move changes nothing")
              .isEqualTo(before);
        }
      }
    }
    // queued: start or cancel; running: back to the queue, again (its last attempt ended with the
    // database away) or one of the three ends; ended: none
    assertThat(allowed).isEqualTo(2 + 5);
    for (JobStatus end : EnumSet.of(JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED)) {
      assertThat(JobEntity.NEXT.get(end)).as(end + " is final").isEmpty();
    }
  }

  @Test
  void eachStartIsANewAttemptFencingTheEarlierOnes() {
    JobEntity job = JobEntity.queued(UUID.randomUUID(), "t", T0);
    assertThat(job.phase).isEqualTo("queued");
    job.start("worker-a", T0.plusSeconds(1));
    assertThat(job.attempt).isEqualTo(1);
    assertThat(job.runBy(1)).isTrue();
    job.progressDone = 7;
    job.fraction = 0.4;
    job.requeue(T0.plusSeconds(2)); // worker-a died
    assertThat(job.worker).isNull();
    assertThat(job.phase).isEqualTo("queued");
    assertThat(job.runBy(1)).as("a queued job is nobody's").isFalse();
    job.start("worker-b", T0.plusSeconds(3));
    assertThat(job.attempt).isEqualTo(2);
    assertThat(job.runBy(1)).as("the first attempt, woken late, is fenced off").isFalse();
    assertThat(job.runBy(2)).isTrue();
    assertThat(job.startedAt).as("the first start is the job's").isEqualTo(T0.plusSeconds(1));
    assertThat(job.progressDone).as("a new attempt measures afresh").isZero();
    assertThat(job.fraction).isNull();
    assertThat(job.worker).isEqualTo("worker-b");
    job.succeed("{\"criterion\":\"hies\"}", T0.plusSeconds(4));
    assertThat(job.phase).isEqualTo("done");
    assertThat(job.runBy(2)).as("an ended job runs no more").isFalse();
  }

  @Test
  void aCancelIsAskedOfARunningJobAndRefusedForAnEndedOne() {
    JobEntity running = in(JobStatus.RUNNING);
    running.requestCancel(T0.plusSeconds(5));
    assertThat(running.cancelRequested).isTrue();
    assertThat(running.status)
        .as("its worker ends it at its next batch")
        .isEqualTo(JobStatus.RUNNING);
    JobEntity failed = in(JobStatus.FAILED);
    assertThatThrownBy(() -> failed.requestCancel(T0.plusSeconds(5)))
        .isInstanceOf(IllegalStateException.class);
    assertThat(failed.cancelRequested).isFalse();
    assertThat(in(JobStatus.FAILED).phase).isEqualTo("failed");
    assertThat(in(JobStatus.CANCELLED).phase).isEqualTo("cancelled");
  }
}
