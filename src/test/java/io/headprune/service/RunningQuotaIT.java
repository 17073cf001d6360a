package io.headprune.service;

import static org.assertj.core.api.Assertions.assertThat;

import io.headprune.jobs.JobListener;
import io.headprune.progress.Phase;
import io.headprune.support.Instances;
import io.headprune.support.TestDatabase;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.web.client.RestClient;

/**
 * A tenant's running-jobs quota holds across workers: with a limit of 1, a second worker that picks
 * the tenant's second job while the first runs leaves it QUEUED (no attempt), and runs it once the
 * first has finished.
 */
@SuppressWarnings({"rawtypes", "unchecked"})
class RunningQuotaIT {

  static final CountDownLatch RUNNING = new CountDownLatch(1);
  static final CountDownLatch RELEASE = new CountDownLatch(1);

  @TempDir Path data;

  /** The first instance's job holds at its first scoring batch until released. */
  @Configuration(proxyBeanMethods = false)
  static class Hold {
    @Bean
    JobListener hold() {
      return (job, attempt, phase, done, total) -> {
        if (phase == Phase.SCORE && RUNNING.getCount() > 0) {
          RUNNING.countDown();
          try {
            RELEASE.await(3, TimeUnit.MINUTES);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        }
      };
    }
  }

  @Test
  void aSecondWorkerLeavesTheTenantsSecondJobQueuedUntilTheFirstEnds() throws Exception {
    TestDatabase.Database database = TestDatabase.fresh();
    List<String> quota =
        List.of(
            "--headprune.quota.running-jobs=1",
            "--headprune.quota.retry-interval=500ms",
            "--db-scheduler.polling-interval=300ms");
    try (ConfigurableApplicationContext first =
        Instances.start(database, data, quota, Hold.class)) {
      RestClient http = Instances.client(first);
      String one = Instances.submitSmallJob(http, data, 1, 16, 16);
      assertThat(RUNNING.await(2, TimeUnit.MINUTES)).isTrue();
      try (ConfigurableApplicationContext second = Instances.start(database, data, quota)) {
        String two = Instances.submitSmallJob(http, data, 1, 16, 16);
        JdbcTemplate sql = new JdbcTemplate(second.getBean(DataSource.class));
        // a worker claimed it and, the tenant running one job already, deferred it for the quota
        // (twice)
        Awaitility.await()
            .atMost(Duration.ofMinutes(1))
            .pollInterval(Duration.ofMillis(100))
            .until(
                () -> {
                  Integer failures =
                      sql.queryForObject(
                          "select coalesce(max(consecutive_failures), 0) from scheduled_tasks"
                              + " where task_instance = ?",
                          Integer.class,
                          two);
                  return failures != null && failures >= 2;
                });
        Map job = http.get().uri("/v1/jobs/" + two).retrieve().body(Map.class);
        assertThat(job.get("status")).isEqualTo("QUEUED");
        assertThat(job.get("attempt")).isEqualTo(0);
        assertThat(http.get().uri("/v1/jobs/" + one).retrieve().body(Map.class).get("status"))
            .isEqualTo("RUNNING");

        RELEASE.countDown();
        for (String id : List.of(one, two)) {
          Map done =
              Awaitility.await()
                  .atMost(Duration.ofMinutes(2))
                  .pollInterval(Duration.ofMillis(200))
                  .until(
                      () -> http.get().uri("/v1/jobs/" + id).retrieve().body(Map.class),
                      j -> ((String) j.get("status")).matches("SUCCEEDED|FAILED|CANCELLED"));
          assertThat(done.get("status"))
              .as(String.valueOf(done.get("error")))
              .isEqualTo("SUCCEEDED");
          assertThat(done.get("attempt")).isEqualTo(1);
        }
      }
    }
  }
}
