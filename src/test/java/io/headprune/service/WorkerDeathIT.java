package io.headprune.service;

import static org.assertj.core.api.Assertions.assertThat;

import io.headprune.jobs.JobListener;
import io.headprune.support.Instances;
import io.headprune.support.TestDatabase;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.assertj.core.api.InstanceOfAssertFactories;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.web.client.RestClient;

/**
 * Two service instances on one database: the first claims a job and then stops heartbeating (its
 * worker thread hangs, its scheduler is gone); db-scheduler's dead-execution handling lets the
 * second pick the job up and complete it.
 */
@SuppressWarnings({"rawtypes", "unchecked"})
class WorkerDeathIT {

  static CountDownLatch claimed;

  /** A worker is dead after 4 missed heartbeats of 500 ms. */
  static final List<String> SHORT_HEARTBEATS =
      List.of(
          "--db-scheduler.polling-interval=500ms",
          "--db-scheduler.heartbeat-interval=500ms",
          "--db-scheduler.missed-heartbeats-limit=4",
          "--db-scheduler.shutdown-max-wait=1s",
          "--spring.lifecycle.timeout-per-shutdown-phase=5s");

  @TempDir Path data;

  /**
   * The first instance's worker hangs for good at its first progress report, as if its process
   * froze.
   */
  @Configuration(proxyBeanMethods = false)
  static class Hang {
    /** The instances' data directory. */
    static Path data;

    @Bean
    JobListener hang() {
      return (job, attempt, phase, done, total) -> {
        // as a killed worker leaves a half-written output behind in its attempt's scratch
        try {
          Path leftover =
              data.resolve("artifacts/work/" + job + "/attempt-" + attempt + "/out/pruned");
          Files.createDirectories(leftover);
          Files.write(leftover.resolve("model.safetensors"), new byte[4096]);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
        claimed.countDown();
        while (true) {
          try {
            Thread.sleep(Long.MAX_VALUE);
          } catch (InterruptedException ignored) {
            // a frozen process does not answer interrupts either
          }
        }
      };
    }
  }

  @Test
  void aJobWhoseWorkerStopsHeartbeatingIsCompletedByAnotherInstance() throws Exception {
    TestDatabase.Database database = TestDatabase.fresh();
    Hang.data = data;
    claimed = new CountDownLatch(1);
    ConfigurableApplicationContext first =
        Instances.start(database, data, SHORT_HEARTBEATS, Hang.class);
    String id = Instances.submitSmallJob(Instances.client(first), data, 1, 16, 16);
    assertThat(claimed.await(2, TimeUnit.MINUTES)).isTrue();
    first.close(); // its scheduler stops heartbeating; the hung worker thread never finishes

    try (ConfigurableApplicationContext second =
        Instances.start(database, data, SHORT_HEARTBEATS)) {
      RestClient other = Instances.client(second);
      Map<String, Object> job = ended(other, id);
      assertThat(job.get("status")).as(String.valueOf(job.get("error"))).isEqualTo("SUCCEEDED");
      assertThat(job.get("attempt")).isEqualTo(2);
      assertThat(data.resolve("artifacts/work/" + id))
          .as("the dead attempt's scratch and the second's own are gone")
          .doesNotExist();
      try (Stream<Path> files = Files.list(data.resolve("artifacts/jobs/" + id))) {
        assertThat(files.map(p -> p.getFileName().toString()).sorted().toList())
            .isEqualTo(
                List.of(
                    "masked.tar.gz", "pruned.tar.gz", "report.html", "report.json", "scores.json"));
      }
      assertThat(((Map<String, Object>) job.get("result")).get("links"))
          .asInstanceOf(InstanceOfAssertFactories.MAP)
          .hasSize(5);
    }
  }

  /** Job {@code id} once it has ended, as {@code client} sees it (at most two minutes). */
  private static Map<String, Object> ended(RestClient client, String id) {
    return Awaitility.await()
        .atMost(Duration.ofMinutes(2))
        .pollInterval(Duration.ofMillis(250))
        .until(
            () -> client.get().uri("/v1/jobs/" + id).retrieve().body(Map.class),
            j -> ((String) j.get("status")).matches("SUCCEEDED|FAILED|CANCELLED"));
  }

  /**
   * A job whose worker dies as many times as {@code headprune.jobs.max-worker-deaths} allows (here
   * once) is quarantined: FAILED with a problem saying so, its execution removed, never handed to
   * the next worker (which it would kill too).
   */
  @Test
  void aJobWhoseWorkersDieIsQuarantinedNotHandedOn() throws Exception {
    TestDatabase.Database database = TestDatabase.fresh();
    Hang.data = data;
    claimed = new CountDownLatch(1);
    List<String> settings = new ArrayList<>(SHORT_HEARTBEATS);
    settings.add("--headprune.jobs.max-worker-deaths=1");
    ConfigurableApplicationContext first = Instances.start(database, data, settings, Hang.class);
    String id = Instances.submitSmallJob(Instances.client(first), data, 1, 16, 16);
    assertThat(claimed.await(2, TimeUnit.MINUTES)).isTrue();
    first.close();

    try (ConfigurableApplicationContext second = Instances.start(database, data, settings)) {
      RestClient other = Instances.client(second);
      Map<String, Object> job = ended(other, id);
      assertThat(job.get("status")).isEqualTo("FAILED");
      assertThat(job.get("attempt")).as("never run again").isEqualTo(1);
      Map<String, Object> error = (Map<String, Object>) job.get("error");
      assertThat(error.get("type")).isEqualTo("https://headprune.io/problems/quarantined");
      assertThat((String) error.get("detail")).contains("died 1 time (");
      JdbcTemplate sql = second.getBean(JdbcTemplate.class);
      assertThat(
              sql.queryForObject(
                  "select count(*) from scheduled_tasks where task_instance = ?",
                  Integer.class,
                  id))
          .isZero();
      assertThat(data.resolve("artifacts/work/" + id)).doesNotExist();
    }
  }
}
