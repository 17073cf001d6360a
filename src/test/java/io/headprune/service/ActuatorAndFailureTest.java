package io.headprune.service;

import static org.assertj.core.api.Assertions.assertThat;

import io.headprune.support.ServiceTest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.http.MediaType;

/** Health groups, metrics and info; and a job that fails in the worker. */
@SuppressWarnings({"rawtypes", "unchecked"})
class ActuatorAndFailureTest extends ServiceTest {

  @Test
  void healthGroupsMetricsAndInfoDescribeTheService() {
    Map<String, Object> readiness = get("/actuator/health/readiness");
    assertThat(readiness.get("status")).isEqualTo("UP");
    assertThat((Map<String, Object>) readiness.get("components"))
        .containsKeys("db", "engine", "diskSpace", "readinessState");
    assertThat(get("/actuator/health/liveness").get("status")).isEqualTo("UP");
    Map<String, Object> engine =
        (Map<String, Object>) get("/actuator/health/engine").get("details");
    assertThat(engine).containsEntry("pytorchVersion", "2.7.1").containsKey("devices");
    String prometheus = http.get().uri("/actuator/prometheus").retrieve().body(String.class);
    assertThat(prometheus)
        .contains("headprune_jobs_submitted_total")
        .contains("headprune_jobs_queue_depth")
        .contains("headprune_worker_jobs_running")
        .contains("headprune_worker_jobs_waiting")
        .contains("headprune_heads_scored_total");
    Map<String, Object> info = get("/actuator/info");
    assertThat(info).containsKeys("headprune", "djl", "pytorch");
  }

  @Test
  void aJobThatFailsInTheWorkerEndsFailedWithAProblemAndNoArtifacts() throws Exception {
    String model = (String) upload("/v1/models", exampleModelArchive()).get("id");
    Path one =
        Files.writeString(
            DATA.resolve("one-example.jsonl"), "{\"text\": \"cat dog\", \"label\": 1}\n");
    String calibration = (String) upload("/v1/datasets", one).get("id");
    // without an evaluation set, 30 % of the pool is held out: one example cannot be split
    String id =
        (String)
            http.post()
                .uri("/v1/jobs")
                .contentType(MediaType.APPLICATION_JSON)
                .body(
                    "{\"model\": {\"id\": \""
                        + model
                        + "\"}, \"calibration\": {\"id\": \""
                        + calibration
                        + "\"}}")
                .retrieve()
                .body(Map.class)
                .get("id");
    Map<String, Object> job =
        awaitJob(id, j -> ((String) j.get("status")).matches("SUCCEEDED|FAILED|CANCELLED"));
    assertThat(job.get("status")).isEqualTo("FAILED");
    Map<String, Object> error = (Map<String, Object>) job.get("error");
    assertThat(error).containsEntry("status", 422);
    assertThat(error).containsEntry("type", "https://headprune.io/problems/invalid-input");
    assertThat((String) error.get("detail")).contains("too small to split");
    assertThat(DATA.resolve("artifacts/jobs/" + id)).doesNotExist();
    assertThat(DATA.resolve("artifacts/work/" + id)).doesNotExist();
    // the run time is a histogram by status and criterion
    String prometheus = http.get().uri("/actuator/prometheus").retrieve().body(String.class);
    assertThat(prometheus)
        .containsPattern(
            "headprune_jobs_duration_seconds_bucket\\{[^}]*criterion=\"hies\"[^}]*status=\"FAILED\"");
  }
}
