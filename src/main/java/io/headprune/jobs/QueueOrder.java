package io.headprune.jobs;

import java.time.Duration;
import java.time.Instant;

/**
 * The order jobs leave the queue (§8): earliest virtual deadline first, the deadline being the
 * submission time plus a delay that grows with the job's plan (two minutes a doubling of its cost
 * above 1,000 forward passes) and with its tenant's jobs already queued (a minute each), at most
 * {@link #HORIZON}. So a short job overtakes long ones submitted up to about twenty minutes before
 * it, a tenant with many jobs queued lets another tenant's next job go between them, and no job
 * waits for jobs submitted more than {@link #HORIZON} after it: nothing starves.
 *
 * <p>db-scheduler picks due executions by priority, then execution time: a job's execution time is
 * its deadline moved {@link #HORIZON} back, so that it is due at once, and deliveries of callbacks
 * (scheduled now, at a higher priority) never wait behind the queue.
 */
final class QueueOrder {

  /** The longest delay: a job is passed only by jobs submitted less than this after it. */
  static final Duration HORIZON = Duration.ofMinutes(30);

  /** Delay per doubling of a plan's cost above {@link #SMALL} forward passes. */
  static final Duration PER_DOUBLING = Duration.ofMinutes(2);

  /** Delay per job of the same tenant already queued. */
  static final Duration PER_QUEUED = Duration.ofMinutes(1);

  /** A plan this small (in forward passes) gets no delay. */
  static final long SMALL = 1_000;

  private QueueOrder() {}

  /** The delay of a job whose plan costs {@code cost} forward passes, behind {@code queued}. */
  static Duration delay(long cost, long queued) {
    double doublings = Math.max(0, Math.log((double) cost / SMALL) / Math.log(2));
    long millis =
        Math.round(doublings * PER_DOUBLING.toMillis())
            + Math.max(0, queued) * PER_QUEUED.toMillis();
    return Duration.ofMillis(Math.min(HORIZON.toMillis(), millis));
  }

  /** The execution time of a job submitted at {@code now}: its deadline, {@link #HORIZON} back. */
  static Instant executionTime(Instant now, long cost, long queued) {
    return now.plus(delay(cost, queued)).minus(HORIZON);
  }
}
