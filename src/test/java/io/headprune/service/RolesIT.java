package io.headprune.service;

import static org.assertj.core.api.Assertions.assertThat;

import io.headprune.model.MemoryBudget;
import io.headprune.support.Archive;
import io.headprune.support.Fixtures;
import io.headprune.support.Instances;
import io.headprune.support.TestDatabase;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.http.MediaType;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.web.client.RestClient;

/**
 * An api process queues jobs without running them; a worker process runs them and serves no API.
 */
@SuppressWarnings({"rawtypes", "unchecked"})
class RolesIT {

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
      MemoryBudget.configure("1KB");
      String id;
      try {
        id = Instances.submitSmallJob(http, data, 1, 16, 16);
      } finally {
        MemoryBudget.configure("");
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
                    .uri(URI.create(base + "/v1;x/jobs/" + id))
                    .retrieve()
                    .toBodilessEntity()
                    .getStatusCode()
                    .value())
            .isEqualTo(400);
        assertThat(
                raw.get()
                    .uri(URI.create(base + "/%76%31/jobs"))
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

  /**
   * A worker with {@code headprune.worker.concurrency: 2} runs a short job beside a long one that
   * is already running (with one job at a time the short one would start after it ended).
   */
  @Test
  void aShortJobSubmittedWhileALongOneRunsFinishesFirstOnAWorkerOfTwo() {
    TestDatabase.Database database = TestDatabase.fresh();
    try (ConfigurableApplicationContext both =
        Instances.start(
            database,
            data,
            List.of("--headprune.worker.concurrency=2", "--db-scheduler.polling-interval=500ms"))) {
      RestClient http = Instances.client(both);
      Map<String, Object> model = uploadModel(http);
      Map<String, Object> calibration = uploadCalibration(http);
      String longJob =
          Instances.submit(
              http,
              """
              {"model": {"id": "%s"}, "calibration": {"id": "%s"}, "criteria": ["hies", "his", "random"],
               "sparsities": [0.25, 0.5], "target": {"sparsity": 0.5}, "seeds": 4, "calibrationSize": 64}
              """
                  .formatted(model.get("id"), calibration.get("id")));
      awaitJob(http, longJob, j -> "RUNNING".equals(j.get("status")));
      String shortJob =
          Instances.submit(
              http,
              """
              {"model": {"id": "%s"}, "calibration": {"id": "%s"}, "criteria": ["hies"],
               "sparsities": [0.25], "target": {"sparsity": 0.25}, "seeds": 1, "calibrationSize": 16}
              """
                  .formatted(model.get("id"), calibration.get("id")));
      Map<String, Object> shortView =
          awaitJob(http, shortJob, j -> "SUCCEEDED".equals(j.get("status")));
      assertThat(shortView.get("status")).isEqualTo("SUCCEEDED");
      Map<String, Object> ended = awaitJob(http, longJob, j -> "SUCCEEDED".equals(j.get("status")));
      assertThat(ended.get("status")).isEqualTo("SUCCEEDED");
      assertThat(Instant.parse((String) shortView.get("startedAt")))
          .as("the short job started while the long one ran")
          .isAfter(Instant.parse((String) ended.get("startedAt")));
      assertThat(Instant.parse((String) shortView.get("finishedAt")))
          .isBefore(Instant.parse((String) ended.get("finishedAt")));
    }
  }

  /**
   * A job names its worker pool: a CPU pool's worker runs the CPU job and leaves the GPU job queued
   * (not picked, not deleted) for the GPU pool's worker, which then runs it.
   */
  @Test
  void eachPoolsWorkersTakeOnlyThatPoolsJobs() {
    TestDatabase.Database database = TestDatabase.fresh();
    List<String> pools =
        List.of("--headprune.jobs.pools=cpu,gpu", "--headprune.jobs.default-pool=cpu");
    List<String> api = new ArrayList<>(pools);
    api.add("--headprune.role=api");
    try (ConfigurableApplicationContext apiProcess = Instances.start(database, data, api)) {
      RestClient http = Instances.client(apiProcess);
      Map<String, Object> model = uploadModel(http);
      Map<String, Object> calibration = uploadCalibration(http);
      String body =
          """
          {"model": {"id": "%s"}, "calibration": {"id": "%s"}, "criteria": ["hies"],
           "sparsities": [0.25], "target": {"sparsity": 0.25}, "seeds": 1, "calibrationSize": 16%s}
          """;
      // the GPU job first: ahead of the CPU job in the queue, so a CPU worker that ran the CPU job
      // had the GPU job before it and passed it by
      String gpuJob =
          Instances.submit(
              http, body.formatted(model.get("id"), calibration.get("id"), ", \"pool\": \"gpu\""));
      String cpuJob =
          Instances.submit(http, body.formatted(model.get("id"), calibration.get("id"), ""));
      var refused =
          http.post()
              .uri("/v1/jobs")
              .contentType(MediaType.APPLICATION_JSON)
              .body(body.formatted(model.get("id"), calibration.get("id"), ", \"pool\": \"tpu\""))
              .retrieve()
              .toEntity(Map.class);
      assertThat(refused.getStatusCode().value()).isEqualTo(422);
      assertThat((String) refused.getBody().get("detail"))
          .contains("pool 'tpu' is not one of this service's worker pools [cpu, gpu]");
      assertThat(http.get().uri("/v1/jobs/" + cpuJob).retrieve().body(Map.class).get("pool"))
          .isEqualTo("cpu");

      List<String> cpuWorker = new ArrayList<>(pools);
      cpuWorker.addAll(
          List.of(
              "--headprune.role=worker",
              "--headprune.worker.pool=cpu",
              "--db-scheduler.polling-interval=500ms"));
      var sql = apiProcess.getBean(JdbcTemplate.class);
      try (ConfigurableApplicationContext cpu = Instances.start(database, data, cpuWorker)) {
        awaitJob(http, cpuJob, j -> "SUCCEEDED".equals(j.get("status")));
        assertThat(cpu.getEnvironment().getProperty("headprune.worker.pool")).isEqualTo("cpu");
        // the GPU job is still waiting, unpicked, for its pool
        assertThat(http.get().uri("/v1/jobs/" + gpuJob).retrieve().body(Map.class).get("status"))
            .isEqualTo("QUEUED");
        assertThat(
                sql.queryForList(
                    "select task_name, picked from scheduled_tasks where task_instance = ?",
                    gpuJob))
            .containsExactly(Map.of("task_name", "prune-job@gpu", "picked", false));
      }
      List<String> gpuWorker = new ArrayList<>(pools);
      gpuWorker.addAll(
          List.of(
              "--headprune.role=worker",
              "--headprune.worker.pool=gpu",
              "--db-scheduler.polling-interval=500ms"));
      try (ConfigurableApplicationContext gpu = Instances.start(database, data, gpuWorker)) {
        awaitJob(http, gpuJob, j -> "SUCCEEDED".equals(j.get("status")));
        assertThat(gpu.getEnvironment().getProperty("headprune.worker.pool")).isEqualTo("gpu");
      }
    }
  }

  private Map<String, Object> uploadModel(RestClient http) {
    return Instances.upload(
        http, "/v1/models", Archive.tarGz(Fixtures.tinyBert(), data.resolve("m.tar.gz")));
  }

  private static Map<String, Object> uploadCalibration(RestClient http) {
    return Instances.upload(http, "/v1/datasets", Fixtures.tinyBert().resolve("calib.jsonl"));
  }

  private static Map<String, Object> awaitJob(
      RestClient http, String id, Predicate<Map<String, Object>> until) {
    return Awaitility.await()
        .atMost(Duration.ofMinutes(3))
        .pollInterval(Duration.ofMillis(100))
        .until(
            () -> (Map<String, Object>) http.get().uri("/v1/jobs/" + id).retrieve().body(Map.class),
            j -> until.test(j) || ((String) j.get("status")).matches("FAILED|CANCELLED"));
  }
}
