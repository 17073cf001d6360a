package io.headprune.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** Short jobs first, tenants in turn, none starved: the queue's order by virtual deadline. */
class QueueOrderTest {

  private static final Instant T0 = Instant.parse("2026-12-06T12:00:00Z");

  @Test
  void theDelayGrowsWithThePlansDoublingsAndTheTenantsQueueUpToTheHorizon() {
    assertThat(QueueOrder.delay(500, 0)).isZero();
    assertThat(QueueOrder.delay(1_000, 0)).isZero();
    assertThat(QueueOrder.delay(8_000, 0)).isEqualTo(Duration.ofMinutes(6)); // 3 doublings
    assertThat(QueueOrder.delay(8_000, 2)).isEqualTo(Duration.ofMinutes(8));
    assertThat(QueueOrder.delay(Long.MAX_VALUE, 0)).isEqualTo(QueueOrder.HORIZON);
    assertThat(QueueOrder.delay(1_000, 1_000)).isEqualTo(QueueOrder.HORIZON);
    // every job is due at once
    assertThat(QueueOrder.executionTime(T0, Long.MAX_VALUE, 1_000)).isEqualTo(T0);
    assertThat(QueueOrder.executionTime(T0, 10, 0)).isEqualTo(T0.minus(QueueOrder.HORIZON));
  }

  @Test
  void aShortJobOvertakesALongOneSubmittedBeforeItButNoJobWaitsPastTheHorizon() {
    // the example job's plan (91,459 forward passes) and a small one (300)
    Instant longJob = QueueOrder.executionTime(T0, 91_459, 0);
    Instant shortLater = QueueOrder.executionTime(T0.plus(Duration.ofMinutes(10)), 300, 0);
    assertThat(shortLater).isBefore(longJob);
    // nothing submitted more than the horizon after a job goes before it, however small
    Instant tooLate =
        QueueOrder.executionTime(T0.plus(QueueOrder.HORIZON).plus(Duration.ofSeconds(1)), 1, 0);
    assertThat(tooLate).isAfter(QueueOrder.executionTime(T0, Long.MAX_VALUE, 1_000));
    // a tenant with ten jobs queued lets another tenant's equal job, submitted later, go first
    Instant busyTenant = QueueOrder.executionTime(T0, 2_000, 10);
    Instant otherTenant = QueueOrder.executionTime(T0.plus(Duration.ofMinutes(5)), 2_000, 0);
    assertThat(otherTenant).isBefore(busyTenant);
  }
}
