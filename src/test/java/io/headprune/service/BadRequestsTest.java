package io.headprune.service;

import static org.assertj.core.api.Assertions.assertThat;

import io.headprune.model.MemoryBudget;
import io.headprune.support.Archive;
import io.headprune.support.Fixtures;
import io.headprune.support.ServiceTest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.core.io.FileSystemResource;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.util.LinkedMultiValueMap;

/** Every bad request gets a 4xx application/problem+json whose detail names the problem. */
@SuppressWarnings({"rawtypes", "unchecked"})
class BadRequestsTest extends ServiceTest {

  private String model;
  private String calibration;

  @BeforeEach
  void uploads() {
    model = (String) upload("/v1/models", exampleModelArchive()).get("id");
    calibration =
        (String) upload("/v1/datasets", Fixtures.tinyBert().resolve("calib.jsonl")).get("id");
  }

  private ResponseEntity<Map> submit(String json) {
    return http.post()
        .uri("/v1/jobs")
        .contentType(MediaType.APPLICATION_JSON)
        .body(json)
        .retrieve()
        .toEntity(Map.class);
  }

  private static void assertProblem(ResponseEntity<Map> response, int status, String detail) {
    assertThat(response.getStatusCode().value())
        .as(String.valueOf(response.getBody()))
        .isEqualTo(status);
    assertThat(response.getHeaders().getContentType()).hasToString("application/problem+json");
    assertThat((String) response.getBody().get("detail")).contains(detail);
    assertThat(response.getBody().get("status")).isEqualTo(status);
  }

  @Test
  void aMissingModelIsNamed() {
    assertProblem(
        submit("{\"calibration\": {\"id\": \"" + calibration + "\"}}"),
        400,
        "model: model is required");
  }

  @Test
  void anUnknownCriterionIsNamed() {
    assertProblem(
        submit(
            "{\"model\": {\"id\": \""
                + model
                + "\"}, \"calibration\": {\"id\": \""
                + calibration
                + "\"}, \"criteria\": [\"hies\", \"magic\"]}"),
        400,
        "unknown criterion 'magic'");
  }

  @Test
  void aSparsityOutsideTheUnitIntervalIsNamed() {
    assertProblem(
        submit(
            "{\"model\": {\"id\": \""
                + model
                + "\"}, \"calibration\": {\"id\": \""
                + calibration
                + "\"}, \"sparsities\": [0.5, 1.0]}"),
        400,
        "sparsity must be in [0, 1)");
    assertProblem(
        submit(
            "{\"model\": {\"id\": \""
                + model
                + "\"}, \"calibration\": {\"id\": \""
                + calibration
                + "\"}, \"target\": {\"sparsity\": -0.1}}"),
        400,
        "target sparsity must be in [0, 1)");
  }

  @Test
  void malformedJsonIsNamed() {
    assertProblem(submit("{\"model\": {\"id\": "), 400, "malformed JSON");
    assertProblem(submit("{\"model\": {\"id\": \"not-a-uuid\"}}"), 400, "malformed JSON");
  }

  @Test
  void unknownIdsAreNotFound() {
    String unknown = UUID.randomUUID().toString();
    assertProblem(
        submit(
            "{\"model\": {\"id\": \""
                + unknown
                + "\"}, \"calibration\": {\"id\": \""
                + calibration
                + "\"}}"),
        404,
        "the model (model.id) does not exist");
    assertProblem(
        submit(
            "{\"model\": {\"id\": \""
                + model
                + "\"}, \"calibration\": {\"id\": \""
                + unknown
                + "\"}}"),
        404,
        "the calibration dataset (calibration.id) does not exist");
    assertProblem(
        http.get().uri("/v1/jobs/" + unknown).retrieve().toEntity(Map.class),
        404,
        "does not exist");
    assertProblem(
        http.post().uri("/v1/jobs/" + unknown + "/cancel").retrieve().toEntity(Map.class),
        404,
        "does not exist");
    assertProblem(
        http.get().uri("/v1/jobs/not-a-uuid").retrieve().toEntity(Map.class), 400, "not-a-uuid");
  }

  @Test
  void aDatasetWithLabelsTheModelDoesNotKnowIsRejectedAtSubmission() throws Exception {
    Path data =
        Files.writeString(
            DATA.resolve("birds.jsonl"), "{\"text\": \"cat dog\", \"label\": \"bird_first\"}\n");
    String dataset = (String) upload("/v1/datasets", data).get("id");
    assertProblem(
        submit(
            "{\"model\": {\"id\": \""
                + model
                + "\"}, \"calibration\": {\"id\": \""
                + dataset
                + "\"}}"),
        422,
        "label 'bird_first' is not in the model's label2id");
  }

  @Test
  void uploadsThatAreNotArchivesOrDatasetsAreRejected() throws Exception {
    Path text = Files.writeString(DATA.resolve("model.txt"), "hello");
    ResponseEntity<Map> response = uploadEntity("/v1/models", text);
    assertProblem(response, 422, "must be a .zip or .tar.gz");
    Path notJson = Files.writeString(DATA.resolve("bad.jsonl"), "{\"text\": \"a\"}\nnot json\n");
    assertProblem(uploadEntity("/v1/datasets", notJson), 422, "bad.jsonl");
  }

  @Test
  void listingRejectsAnUnknownStatusAndBadPaging() {
    assertProblem(
        http.get().uri("/v1/jobs?status=SLEEPING").retrieve().toEntity(Map.class), 400, "SLEEPING");
    assertProblem(
        http.get().uri("/v1/jobs?size=0").retrieve().toEntity(Map.class),
        400,
        "size must be at least 1");
  }

  private ResponseEntity<Map> uploadEntity(String path, Path file) {
    var parts = new LinkedMultiValueMap<String, Object>();
    parts.add("file", new FileSystemResource(file));
    return http.post()
        .uri(path)
        .contentType(MediaType.MULTIPART_FORM_DATA)
        .body(parts)
        .retrieve()
        .toEntity(Map.class);
  }

  @Test
  void aPageBeyondTheBoundIsABadRequestNotAServerError() {
    ResponseEntity<Map> response =
        http.get().uri("/v1/jobs?page=2147483647&size=200").retrieve().toEntity(Map.class);
    assertProblem(response, 400, "page must be at most 1000000");
  }

  @Test
  void aClassLabelBeyondAnyIntegerIsNamedAtSubmission() throws Exception {
    Path file = Files.createTempFile("huge-label", ".jsonl");
    Files.writeString(file, "{\"text\": \"cat dog\", \"label\": 99999999999999999999999}\n");
    String dataset = (String) upload("/v1/datasets", file).get("id");
    assertProblem(
        submit(
            "{\"model\": {\"id\": \""
                + model
                + "\"}, \"calibration\": {\"id\": \""
                + dataset
                + "\"}}"),
        422,
        "label 99999999999999999999999 is outside [0, 1]");
  }

  @Test
  void concurrentUploadsOfTheSameBytesCreateOneModel() throws Exception {
    Path archive =
        Archive.tarGz(
            Fixtures.resource("fixtures/random-bert-3x6"),
            Files.createTempDirectory("concurrent").resolve("random-bert.tar.gz"));
    int uploads = 12;
    var pool = Executors.newFixedThreadPool(uploads);
    try {
      CountDownLatch start = new CountDownLatch(1);
      List<Future<ResponseEntity<Map>>> futures = new ArrayList<>();
      for (int i = 0; i < uploads; i++) {
        futures.add(
            pool.submit(
                () -> {
                  start.await();
                  LinkedMultiValueMap<String, Object> parts = new LinkedMultiValueMap<>();
                  parts.add("file", new FileSystemResource(archive));
                  return http.post()
                      .uri("/v1/models")
                      .contentType(MediaType.MULTIPART_FORM_DATA)
                      .body(parts)
                      .retrieve()
                      .toEntity(Map.class);
                }));
      }
      start.countDown();
      List<Integer> statuses = new ArrayList<>();
      Set<Object> ids = new HashSet<>();
      for (var future : futures) {
        ResponseEntity<Map> response = future.get(2, TimeUnit.MINUTES);
        statuses.add(response.getStatusCode().value());
        ids.add(response.getBody().get("id"));
      }
      assertThat(statuses).containsOnly(200, 201);
      assertThat(statuses.stream().filter(s -> s == 201).count()).isEqualTo(1);
      assertThat(ids).hasSize(1);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void jsonIsReadStrictly() {
    String start =
        "{\"model\": {\"id\": \""
            + model
            + "\"}, \"calibration\": {\"id\": \""
            + calibration
            + "\"}";
    assertProblem(submit(start + ", \"sedes\": 5}"), 400, "unknown field 'sedes'");
    assertProblem(submit(start + ", \"seeds\": 2, \"seeds\": 3}"), 400, "seeds");
    ResponseEntity<Map> text = submit(start + ", \"seeds\": \"5\"}");
    assertProblem(text, 400, "expected a number (at seeds)");
    assertThat((String) text.getBody().get("detail")).doesNotContain("java.");
  }

  @Test
  void boundsThatMakeNoSenseForAPruningJobAreNamed() {
    String start =
        "{\"model\": {\"id\": \""
            + model
            + "\"}, \"calibration\": {\"id\": \""
            + calibration
            + "\"}";
    assertProblem(
        submit(start + ", \"minHeadsPerLayer\": 1000000}"),
        422,
        "minHeadsPerLayer 1000000 is more than the 4 heads of this model's smallest layer");
    assertProblem(
        submit(start + ", \"target\": {\"maxMetricDrop\": 1e308}}"),
        400,
        "maxMetricDrop must be in [0, 1]");
    assertProblem(
        submit(start + ", \"target\": {\"maxMetricDrop\": 1e309}}"), 400, "maxMetricDrop");
  }

  @Test
  void aModelThatCannotFitTheMemoryBudgetIsRefusedAtSubmissionWithTheFigures() {
    String body =
        "{\"model\": {\"id\": \""
            + model
            + "\"}, \"calibration\": {\"id\": \""
            + calibration
            + "\"}}";
    MemoryBudget.configure("1KB");
    try {
      assertProblem(
          submit(body),
          422,
          "with every layer resident (its family does not stream), more than"
              + " headprune.memory.budget 0.0 GB allows");
    } finally {
      MemoryBudget.configure("");
    }
  }
}
