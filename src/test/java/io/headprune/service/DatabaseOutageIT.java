package io.headprune.service;

import static org.assertj.core.api.Assertions.assertThat;

import io.headprune.support.Instances;
import io.headprune.support.TestDatabase;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.http.ResponseEntity;
import org.springframework.web.client.RestClient;

/**
 * While PostgreSQL is away the API answers a fast 503 problem with Retry-After, readiness goes DOWN
 * and liveness stays UP; when it is back, everything answers again without a restart.
 */
class DatabaseOutageIT {

  @TempDir Path data;

  @Test
  void whileTheDatabaseIsAwayTheApiAnswers503FastAndRecovers() throws Exception {
    Path directory = data.resolve("postgres");
    EmbeddedPostgres postgres =
        EmbeddedPostgres.builder().setDataDirectory(directory).setCleanDataDirectory(false).start();
    int port = postgres.getPort();
    TestDatabase.Database database =
        new TestDatabase.Database(
            "jdbc:postgresql://localhost:" + port + "/postgres", "postgres", "postgres");
    EmbeddedPostgres restarted = null;
    try (ConfigurableApplicationContext api =
        Instances.start(database, data, List.of("--headprune.role=api"))) {
      RestClient http = Instances.client(api);
      assertThat(http.get().uri("/v1/jobs").retrieve().toBodilessEntity().getStatusCode().value())
          .isEqualTo(200);

      postgres.close();
      long start = System.nanoTime();
      ResponseEntity<String> away = http.get().uri("/v1/jobs").retrieve().toEntity(String.class);
      Duration took = Duration.ofNanos(System.nanoTime() - start);
      assertThat(away.getStatusCode().value()).isEqualTo(503);
      assertThat(away.getHeaders().getFirst("Retry-After")).isEqualTo("5");
      assertThat(String.valueOf(away.getHeaders().getContentType()))
          .startsWith("application/problem+json");
      assertThat(away.getBody()).contains("database is unreachable");
      assertThat(took).isLessThan(Duration.ofSeconds(15));
      // probes carry no key (a key is verified in the database, which is away: that call is a 503
      // too)
      RestClient probe =
          Instances.client(
              api.getEnvironment().getProperty("local.server.port", Integer.class), null);
      assertThat(
              probe
                  .get()
                  .uri("/actuator/health/readiness")
                  .retrieve()
                  .toBodilessEntity()
                  .getStatusCode()
                  .value())
          .isEqualTo(503);
      assertThat(
              probe
                  .get()
                  .uri("/actuator/health/liveness")
                  .retrieve()
                  .toBodilessEntity()
                  .getStatusCode()
                  .value())
          .isEqualTo(200);

      restarted =
          EmbeddedPostgres.builder()
              .setDataDirectory(directory)
              .setCleanDataDirectory(false)
              .setPort(port)
              .start();
      Awaitility.await()
          .atMost(Duration.ofSeconds(60))
          .pollInterval(Duration.ofMillis(500))
          .until(
              () ->
                  http.get().uri("/v1/jobs").retrieve().toBodilessEntity().getStatusCode().value()
                      == 200);
      assertThat(
              http.get()
                  .uri("/actuator/health/readiness")
                  .retrieve()
                  .toBodilessEntity()
                  .getStatusCode()
                  .value())
          .isEqualTo(200);
    } finally {
      if (restarted != null) {
        restarted.close();
      }
    }
  }
}
