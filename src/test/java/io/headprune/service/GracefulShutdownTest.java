package io.headprune.service;

import static org.assertj.core.api.Assertions.assertThat;

import io.headprune.HeadpruneApplication;
import io.headprune.jobs.JobListener;
import io.headprune.support.Archive;
import io.headprune.support.Fixtures;
import io.headprune.support.TestDatabase;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.io.FileSystemResource;
import org.springframework.http.MediaType;
import org.springframework.util.LinkedMultiValueMap;
import org.springframework.web.client.RestClient;

/**
 * SIGTERM (the JVM's shutdown hook closes the context) during a running job: the worker stops
 * at the next batch, hands the job back to the queue, and exits; another instance completes it.
 */
@SuppressWarnings({"rawtypes", "unchecked"})
class GracefulShutdownTest {

  static final CountDownLatch SCORING = new CountDownLatch(1);

  @TempDir Path data;

  /** Slows the first instance's batches so that the shutdown lands mid-job. */
  @Configuration(proxyBeanMethods = false)
  static class SlowBatches {
    @Bean
    JobListener slow() {
      return (job, attempt, phase, done, total) -> {
        if (phase.equals("score")) {
          SCORING.countDown();
          try {
            Thread.sleep(200);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        }
      };
    }
  }

  private ConfigurableApplicationContext start(TestDatabase.Database database, Class<?>... extra) {
    Class<?>[] sources = Stream.concat(Stream.of(HeadpruneApplication.class), Stream.of(extra)).toArray(Class<?>[]::new);
    return new SpringApplicationBuilder(sources).run(
        "--server.port=0",
        "--spring.datasource.url=" + database.url(),
        "--spring.datasource.username=" + database.username(),
        "--spring.datasource.password=" + database.password(),
        "--headprune.data-dir=" + data,
        "--headprune.worker.devices=cpu",
        "--headprune.worker.progress-interval=0s",
        "--db-scheduler.polling-interval=500ms");
  }

  private static RestClient client(ConfigurableApplicationContext context) {
    int port = ((WebServerApplicationContext) context).getWebServer().getPort();
    return RestClient.builder().baseUrl("http://localhost:" + port)
        .defaultStatusHandler(status -> true, (request, response) -> {}).build();
  }

  private static Map<String, Object> upload(RestClient http, String path, Path file) {
    LinkedMultiValueMap<String, Object> parts = new LinkedMultiValueMap<>();
    parts.add("file", new FileSystemResource(file));
    return http.post().uri(path).contentType(MediaType.MULTIPART_FORM_DATA).body(parts).retrieve().body(Map.class);
  }

  @Test
  void shutdownDuringAJobHandsItBackAndAnotherInstanceCompletesIt() throws Exception {
    TestDatabase.Database database = TestDatabase.fresh();
    ConfigurableApplicationContext first = start(database, SlowBatches.class);
    RestClient http = client(first);
    Map<String, Object> model = upload(http, "/v1/models", Archive.tarGz(Fixtures.tinyBert(), data.resolve("m.tar.gz")));
    Map<String, Object> calibration = upload(http, "/v1/datasets", Fixtures.tinyBert().resolve("calib.jsonl"));
    String body = """
        {"model": {"id": "%s"}, "calibration": {"id": "%s"}, "criteria": ["hies"], "sparsities": [0.25],
         "target": {"sparsity": 0.25}, "seeds": 2, "calibrationSize": 128, "batchSize": 2}
        """.formatted(model.get("id"), calibration.get("id"));
    String id = (String) http.post().uri("/v1/jobs").contentType(MediaType.APPLICATION_JSON).body(body).retrieve()
        .body(Map.class).get("id");
    assertThat(SCORING.await(2, TimeUnit.MINUTES)).isTrue();

    Instant stopping = Instant.now();
    first.close();
    assertThat(Duration.between(stopping, Instant.now())).isLessThan(Duration.ofSeconds(30));

    try (ConfigurableApplicationContext second = start(database)) {
      RestClient other = client(second);
      Map<String, Object> job = Awaitility.await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(250))
          .until(() -> other.get().uri("/v1/jobs/" + id).retrieve().body(Map.class),
              j -> ((String) j.get("status")).matches("SUCCEEDED|FAILED|CANCELLED"));
      assertThat(job.get("status")).as(String.valueOf(job.get("error"))).isEqualTo("SUCCEEDED");
      assertThat(job.get("attempt")).isEqualTo(2);
    }
  }
}
