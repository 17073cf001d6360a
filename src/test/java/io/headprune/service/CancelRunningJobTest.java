package io.headprune.service;

import static org.assertj.core.api.Assertions.assertThat;

import io.headprune.jobs.JobListener;
import io.headprune.progress.Phase;
import io.headprune.support.Fixtures;
import io.headprune.support.ServiceTest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.http.MediaType;

@Import(CancelRunningJobTest.Gate.class)
@SuppressWarnings({"rawtypes", "unchecked"})
class CancelRunningJobTest extends ServiceTest {

  static final CountDownLatch SCORING = new CountDownLatch(1);
  static final CountDownLatch RELEASE = new CountDownLatch(1);

  /** Holds the first job at its first scoring batch until the test has cancelled it. */
  @TestConfiguration
  static class Gate {
    @Bean
    JobListener holdAtFirstBatch() {
      return (job, attempt, phase, done, total) -> {
        if (phase == Phase.SCORE && SCORING.getCount() > 0) {
          SCORING.countDown();
          try {
            RELEASE.await(2, TimeUnit.MINUTES);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        }
      };
    }
  }

  @Test
  void cancellingARunningJobEndsItCancelledWithNoArtifactsAndFreesItsInputs()
      throws InterruptedException {
    Map<String, Object> model = upload("/v1/models", exampleModelArchive());
    Map<String, Object> calibration =
        upload("/v1/datasets", Fixtures.tinyBert().resolve("calib.jsonl"));
    String body =
        """
        {"model": {"id": "%s"}, "calibration": {"id": "%s"}, "seeds": 1, "calibrationSize": 64, "batchSize": 4}
        """
            .formatted(model.get("id"), calibration.get("id"));
    String id =
        (String)
            http.post()
                .uri("/v1/jobs")
                .contentType(MediaType.APPLICATION_JSON)
                .body(body)
                .retrieve()
                .body(Map.class)
                .get("id");
    assertThat(SCORING.await(2, TimeUnit.MINUTES)).isTrue();
    assertThat(get("/v1/jobs/" + id).get("status")).isEqualTo("RUNNING");
    // inputs of a running job cannot be deleted
    var modelInUse =
        http.delete().uri("/v1/models/" + model.get("id")).retrieve().toEntity(Map.class);
    assertThat(modelInUse.getStatusCode().value()).isEqualTo(409);
    assertThat((String) modelInUse.getBody().get("detail")).contains("is used by job " + id);
    var datasetInUse =
        http.delete().uri("/v1/datasets/" + calibration.get("id")).retrieve().toEntity(Map.class);
    assertThat(datasetInUse.getStatusCode().value()).isEqualTo(409);

    Map<String, Object> cancelled =
        http.post().uri("/v1/jobs/" + id + "/cancel").retrieve().body(Map.class);
    assertThat(cancelled.get("status"))
        .isEqualTo("RUNNING"); // requested; the worker stops at the next batch
    RELEASE.countDown();

    Map<String, Object> job =
        awaitJob(id, j -> ((String) j.get("status")).matches("SUCCEEDED|FAILED|CANCELLED"));
    assertThat(job.get("status")).isEqualTo("CANCELLED");
    assertThat(DATA.resolve("artifacts/jobs/" + id)).doesNotExist();
    assertThat(DATA.resolve("artifacts/work/" + id)).doesNotExist();
    var artifact =
        http.get().uri("/v1/jobs/" + id + "/artifacts/pruned").retrieve().toEntity(Map.class);
    assertThat(artifact.getStatusCode().value()).isEqualTo(409);

    // once it has ended they can, files and all; the job keeps its history
    Path stored;
    try (var models = Files.list(DATA.resolve("artifacts/models"))) {
      stored =
          models
              .filter(p -> p.getFileName().toString().contains(String.valueOf(model.get("id"))))
              .findFirst()
              .orElseThrow();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    assertThat(
            http.delete()
                .uri("/v1/models/" + model.get("id"))
                .retrieve()
                .toBodilessEntity()
                .getStatusCode()
                .value())
        .isEqualTo(204);
    assertThat(
            http.delete()
                .uri("/v1/datasets/" + calibration.get("id"))
                .retrieve()
                .toBodilessEntity()
                .getStatusCode()
                .value())
        .isEqualTo(204);
    assertThat(stored).doesNotExist();
    assertThat(
            http.get()
                .uri("/v1/models/" + model.get("id"))
                .retrieve()
                .toBodilessEntity()
                .getStatusCode()
                .value())
        .isEqualTo(404);
    assertThat(get("/v1/jobs/" + id).get("status")).isEqualTo("CANCELLED");
  }
}
