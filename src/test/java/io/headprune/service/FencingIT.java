package io.headprune.service;

import static org.assertj.core.api.Assertions.assertThat;

import io.headprune.jobs.JobListener;
import io.headprune.progress.Phase;
import io.headprune.support.Instances;
import io.headprune.support.TestDatabase;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.web.client.RestClient;

/**
 * A worker paused past its job's revival (a GC pause, a frozen VM, a partition: here a latch) and
 * then released must not touch the job the next attempt owns: the job ends SUCCEEDED once, by
 * attempt 2, with one set of artifacts and no error, and the paused attempt leaves no trace.
 */
@SuppressWarnings({"rawtypes", "unchecked"})
class FencingIT {

  static final CountDownLatch FROZEN = new CountDownLatch(1);
  static final CountDownLatch RELEASE = new CountDownLatch(1);
  static final CountDownLatch RESUMED = new CountDownLatch(1);

  @TempDir Path data;

  /** The first instance's worker freezes at its first scoring batch until released. */
  @Configuration(proxyBeanMethods = false)
  static class Freeze {
    @Bean
    JobListener freeze() {
      return (job, attempt, phase, done, total) -> {
        if (attempt == 1 && phase == Phase.SCORE && FROZEN.getCount() > 0) {
          FROZEN.countDown();
          try {
            RELEASE.await(3, TimeUnit.MINUTES);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          RESUMED.countDown();
        }
      };
    }
  }

  @Test
  void aWorkerPausedPastRevivalLeavesTheJobToItsOwner() throws Exception {
    TestDatabase.Database database = TestDatabase.fresh();
    // the first instance heartbeats once an hour: paused, its job looks dead to the second one
    // after 2 s
    List<String> first =
        List.of("--db-scheduler.polling-interval=500ms", "--db-scheduler.heartbeat-interval=1h");
    List<String> second =
        List.of(
            "--db-scheduler.polling-interval=500ms",
            "--db-scheduler.heartbeat-interval=500ms",
            "--db-scheduler.missed-heartbeats-limit=4");
    try (ConfigurableApplicationContext paused =
        Instances.start(database, data, first, Freeze.class)) {
      String id = Instances.submitSmallJob(Instances.client(paused), data, 1, 16, 16);
      assertThat(FROZEN.await(2, TimeUnit.MINUTES)).isTrue();
      try (ConfigurableApplicationContext owner = Instances.start(database, data, second)) {
        RestClient http = Instances.client(owner);
        Map<String, Object> job =
            Awaitility.await()
                .atMost(Duration.ofMinutes(2))
                .pollInterval(Duration.ofMillis(250))
                .until(
                    () -> http.get().uri("/v1/jobs/" + id).retrieve().body(Map.class),
                    j -> ((String) j.get("status")).matches("SUCCEEDED|FAILED|CANCELLED"));
        assertThat(job.get("status")).as(String.valueOf(job.get("error"))).isEqualTo("SUCCEEDED");
        assertThat(job.get("attempt")).isEqualTo(2);
        List<String> artifacts = listing(data.resolve("artifacts/jobs/" + id));

        RELEASE.countDown(); // the paused attempt wakes up and reports its next batch
        assertThat(RESUMED.await(1, TimeUnit.MINUTES)).isTrue();
        Awaitility.await()
            .atMost(Duration.ofMinutes(1))
            .pollInterval(Duration.ofMillis(200))
            .until(() -> !Files.exists(data.resolve("artifacts/work/" + id + "/attempt-1")));
        Map<String, Object> after = http.get().uri("/v1/jobs/" + id).retrieve().body(Map.class);
        assertThat(after.get("status")).isEqualTo("SUCCEEDED");
        assertThat(after.get("attempt")).isEqualTo(2);
        assertThat(after.get("error")).isNull();
        assertThat(after.get("finishedAt"))
            .isEqualTo(job.get("finishedAt")); // the paused attempt wrote nothing
        assertThat(listing(data.resolve("artifacts/jobs/" + id)))
            .isEqualTo(artifacts)
            .containsExactly(
                "masked.tar.gz", "pruned.tar.gz", "report.html", "report.json", "scores.json");
        assertThat(
                http.get()
                    .uri("/v1/jobs/" + id + "/artifacts/pruned")
                    .retrieve()
                    .toBodilessEntity()
                    .getStatusCode()
                    .value())
            .isEqualTo(200);
      }
    } finally {
      RELEASE.countDown();
    }
  }

  private static List<String> listing(Path directory) throws IOException {
    try (Stream<Path> files = Files.list(directory)) {
      return files.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }
}
