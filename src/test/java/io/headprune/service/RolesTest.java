package io.headprune.service;

import static org.assertj.core.api.Assertions.assertThat;

import io.headprune.support.Instances;
import io.headprune.support.TestDatabase;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.web.client.RestClient;

/**
 * An api process queues jobs without running them; a worker process runs them and serves no API.
 */
@SuppressWarnings({"rawtypes", "unchecked"})
class RolesTest {

  @TempDir Path data;

  @Test
  void anApiProcessQueuesAndAWorkerProcessRuns() {
    TestDatabase.Database database = TestDatabase.fresh();
    List<String> fastPolling = List.of("--db-scheduler.polling-interval=500ms");
    try (ConfigurableApplicationContext api =
        Instances.start(database, data, List.of("--headprune.role=api"))) {
      RestClient http = Instances.client(api);
      // an api process's own memory says nothing of the workers': with no budget set for it, a
      // model its own budget could not hold is still queued
      io.headprune.model.MemoryBudget.configure("1KB");
      String id;
      try {
        id = Instances.submitSmallJob(http, data, 1, 16, 16);
      } finally {
        io.headprune.model.MemoryBudget.configure("");
      }
      assertThat(http.get().uri("/actuator/health").retrieve().body(Map.class).toString())
          .doesNotContain("dbScheduler");
      // nothing runs it: an api process has no scheduler, only a client that schedules
      assertThat(http.get().uri("/v1/jobs/" + id).retrieve().body(Map.class).get("status"))
          .isEqualTo("QUEUED");

      List<String> worker = List.of("--headprune.role=worker", fastPolling.get(0));
      try (ConfigurableApplicationContext workerProcess = Instances.start(database, data, worker)) {
        var response =
            Instances.client(workerProcess)
                .get()
                .uri("/v1/jobs/" + id)
                .retrieve()
                .toEntity(Map.class);
        assertThat(response.getStatusCode().value()).isEqualTo(404);
        assertThat((String) response.getBody().get("detail")).contains("worker role");
        // no spelling of the path reaches the API on a worker: path parameters, percent-encoding
        String base =
            "http://localhost:" + workerProcess.getEnvironment().getProperty("local.server.port");
        RestClient raw = Instances.client(workerProcess);
        // a ;parameter is refused outright by Spring Security's firewall (400), before any routing
        assertThat(
                raw.delete()
                    .uri(java.net.URI.create(base + "/v1;x/jobs/" + id))
                    .retrieve()
                    .toBodilessEntity()
                    .getStatusCode()
                    .value())
            .isEqualTo(400);
        assertThat(
                raw.get()
                    .uri(java.net.URI.create(base + "/%76%31/jobs"))
                    .retrieve()
                    .toBodilessEntity()
                    .getStatusCode()
                    .value())
            .isEqualTo(404);
        Map<String, Object> job =
            Awaitility.await()
                .atMost(Duration.ofMinutes(2))
                .pollInterval(Duration.ofMillis(250))
                .until(
                    () -> http.get().uri("/v1/jobs/" + id).retrieve().body(Map.class),
                    j -> ((String) j.get("status")).matches("SUCCEEDED|FAILED|CANCELLED"));
        assertThat(job.get("status"))
            .as(String.valueOf(job.get("error")))
            .isEqualTo("SUCCEEDED"); // not deleted
      }
    }
  }
}
