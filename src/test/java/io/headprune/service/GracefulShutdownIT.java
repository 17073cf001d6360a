package io.headprune.service;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.kagkarlsson.scheduler.Scheduler;
import io.headprune.jobs.JobListener;
import io.headprune.progress.Phase;
import io.headprune.support.Instances;
import io.headprune.support.TestDatabase;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.web.client.RestClient;

/**
 * SIGTERM (the JVM's shutdown hook closes the context) during a running job: the worker stops at
 * the next batch, hands the job back to the queue, and exits; another instance completes it.
 */
@SuppressWarnings({"rawtypes", "unchecked"})
class GracefulShutdownIT {

  static final CountDownLatch SCORING = new CountDownLatch(1);
  static final CountDownLatch STOPPING = new CountDownLatch(1);

  @TempDir Path data;

  /**
   * Holds the first instance's first scoring batch until its shutdown has begun, so that the
   * shutdown lands mid-job (no timing involved).
   */
  @Configuration(proxyBeanMethods = false)
  static class HoldFirstBatch {
    @Bean
    JobListener hold() {
      return (job, attempt, phase, done, total) -> {
        if (phase == Phase.SCORE && SCORING.getCount() > 0) {
          SCORING.countDown();
          try {
            STOPPING.await(2, TimeUnit.MINUTES);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        }
      };
    }
  }

  @Test
  void shutdownDuringAJobHandsItBackAndAnotherInstanceCompletesIt() throws Exception {
    TestDatabase.Database database = TestDatabase.fresh();
    List<String> polling = List.of("--db-scheduler.polling-interval=500ms");
    ConfigurableApplicationContext first =
        Instances.start(database, data, polling, HoldFirstBatch.class);
    String id = Instances.submitSmallJob(Instances.client(first), data, 2, 128, 2);
    assertThat(SCORING.await(2, TimeUnit.MINUTES)).isTrue();

    Instant stopping = Instant.now();
    Thread closing = new Thread(first::close);
    closing.start();
    Scheduler scheduler = first.getBean(Scheduler.class);
    Awaitility.await()
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(20))
        .until(() -> scheduler.getSchedulerState().isShuttingDown());
    STOPPING.countDown(); // the held batch ends; the next report finds the worker stopping
    closing.join(60_000);
    assertThat(closing.isAlive()).isFalse();
    assertThat(Duration.between(stopping, Instant.now())).isLessThan(Duration.ofSeconds(30));

    try (ConfigurableApplicationContext second = Instances.start(database, data, polling)) {
      RestClient other = Instances.client(second);
      Map<String, Object> job =
          Awaitility.await()
              .atMost(Duration.ofMinutes(2))
              .pollInterval(Duration.ofMillis(250))
              .until(
                  () -> other.get().uri("/v1/jobs/" + id).retrieve().body(Map.class),
                  j -> ((String) j.get("status")).matches("SUCCEEDED|FAILED|CANCELLED"));
      assertThat(job.get("status")).as(String.valueOf(job.get("error"))).isEqualTo("SUCCEEDED");
      assertThat(job.get("attempt")).isEqualTo(2);
    }
  }
}
