package io.headprune.service;

import static org.assertj.core.api.Assertions.assertThat;

import io.headprune.checkpoint.Json;
import io.headprune.hub.HubDatasetsTest;
import io.headprune.storage.ArchiveLimits;
import io.headprune.storage.Archives;
import io.headprune.support.FakeHub;
import io.headprune.support.Fixtures;
import io.headprune.support.Instances;
import io.headprune.support.ServiceTest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/** A job whose model and datasets come from a (local, fake) Hugging Face Hub. */
@SuppressWarnings({"rawtypes", "unchecked"})
class HubJobEndToEndTest extends ServiceTest {

  static final FakeHub HUB = new FakeHub("hf_secret");

  @DynamicPropertySource
  static void hub(DynamicPropertyRegistry registry) {
    registry.add("headprune.hub.endpoint", HUB::endpoint);
    registry.add("headprune.hub.token", () -> "hf_secret");
    registry.add("headprune.hub.cache", () -> DATA.resolve("hub-cache").toString());
    registry.add(
        "headprune.security.key-encryption-key",
        () -> "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=");
  }

  @AfterAll
  static void stop() {
    HUB.close();
  }

  /** The example model as a Hub repository that needs a token. */
  private static FakeHub.Repo addPrivateModel(String repo) {
    return HUB.addModel(repo, Fixtures.tinyBert(), Fixtures.TINY_BERT_FILES, false, true);
  }

  /** The example's calibration and evaluation files as a public Hub dataset repository. */
  private static void addOrderDatasets() throws IOException {
    HUB.add(
        "datasets/org/order",
        Map.of(
            "calib.jsonl",
            Files.readAllBytes(Fixtures.tinyBert().resolve("calib.jsonl")),
            "eval.jsonl",
            Files.readAllBytes(Fixtures.tinyBert().resolve("eval.jsonl"))),
        false,
        false);
  }

  private ResponseEntity<Map> submit(String json) {
    return http.post()
        .uri("/v1/jobs")
        .contentType(MediaType.APPLICATION_JSON)
        .body(json)
        .retrieve()
        .toEntity(Map.class);
  }

  @Test
  void aJobFromAHubModelAndHubDatasetsRecordsTheCommitAndSucceeds() throws IOException {
    FakeHub.Repo model = addPrivateModel("org/tiny-bert");
    addOrderDatasets();
    ResponseEntity<Map> submitted =
        submit(
            """
        {"model": {"hub": "org/tiny-bert", "revision": "main"},
         "calibration": {"hub": "datasets/org/order", "file": "calib.jsonl",
                         "name": "order calibration", "labels": {"source": "hub"}},
         "evaluation": {"hub": "datasets/org/order", "file": "eval.jsonl", "revision": "main"},
         "criteria": ["hies"], "sparsities": [0.5], "target": {"sparsity": 0.5}, "seeds": 1, "calibrationSize": 256}
        """);
    assertThat(submitted.getStatusCode().value())
        .as(String.valueOf(submitted.getBody()))
        .isEqualTo(202);
    String id = (String) submitted.getBody().get("id");
    assertThat((Map<String, Object>) submitted.getBody().get("model"))
        .containsEntry("hub", "org/tiny-bert")
        .containsEntry("commit", model.commit());
    // the Hub file the job stored is in the catalogue under the name and labels the job gave it
    Object calibrationId =
        ((Map<String, Object>)
                ((Map<String, Object>) submitted.getBody().get("data")).get("calibration"))
            .get("id");
    List<Map<String, Object>> named =
        (List<Map<String, Object>>) get("/v1/datasets?label=source=hub").get("items");
    assertThat(named)
        .singleElement()
        .satisfies(
            d ->
                assertThat(d)
                    .containsEntry("id", calibrationId)
                    .containsEntry("name", "order calibration"));
    ResponseEntity<Map> uploadNamed =
        submit(
            """
        {"model": {"hub": "org/tiny-bert"}, "calibration": {"id": "%s", "name": "renamed"}}"""
                .formatted(calibrationId));
    assertThat(uploadNamed.getStatusCode().value()).isEqualTo(422);
    assertThat((String) uploadNamed.getBody().get("detail"))
        .contains("name and labels apply to a \"hub\" dataset");
    Map<String, Object> job =
        awaitJob(id, j -> ((String) j.get("status")).matches("SUCCEEDED|FAILED|CANCELLED"));
    assertThat(job.get("status")).as(String.valueOf(job.get("error"))).isEqualTo("SUCCEEDED");
    Map<String, Object> result = (Map<String, Object>) job.get("result");
    // all 256 calibration examples, one seed: the reference's selection at sparsity 0.5
    assertThat(result.get("prunedHeads"))
        .isEqualTo(
            Json.MAPPER.convertValue(Fixtures.json("golden/select-hies-0.5.json"), List.class));
    assertThat(DATA.resolve("hub-cache/models--org--tiny-bert/refs/main"))
        .hasContent(model.commit());

    // the pruned model pushed back to the Hub: one commit of the files served as pruned/
    ResponseEntity<Map> pushed = push(id, "org/tiny-bert-pruned");
    assertThat(pushed.getStatusCode().value()).as(String.valueOf(pushed.getBody())).isEqualTo(200);
    assertThat(pushed.getBody())
        .containsEntry("repo", "org/tiny-bert-pruned")
        .containsEntry("revision", "main")
        .containsEntry("lfsFiles", 1);
    Path served = DATA.resolve("pushed-check");
    Archives.extract(
        downloadArtifact(id, "pruned"),
        "pruned.tar.gz",
        served,
        new ArchiveLimits(100, 1L << 30, 1000));
    Map<String, byte[]> onTheHub = HUB.pushed("org/tiny-bert-pruned");
    try (var files = Files.list(served.resolve("pruned"))) {
      for (Path file : files.toList()) {
        assertThat(onTheHub.get(file.getFileName().toString()))
            .as(file.getFileName().toString())
            .isEqualTo(Files.readAllBytes(file));
      }
    }
    assertThat(onTheHub).containsKeys("README.md", "config.json", "model.safetensors");
    assertThat(HUB.commits.get("org/tiny-bert-pruned"))
        .containsExactly("headprune job " + id + ": pruned");
    assertThat(push(id, "../escape").getStatusCode().value()).isEqualTo(422);
  }

  private ResponseEntity<Map> push(String id, String repo) {
    return http.post()
        .uri("/v1/jobs/" + id + "/push")
        .contentType(MediaType.APPLICATION_JSON)
        .body(Map.of("repo", repo))
        .retrieve()
        .toEntity(Map.class);
  }

  private Path downloadArtifact(String id, String kind) throws IOException {
    byte[] bytes =
        http.get().uri("/v1/jobs/" + id + "/artifacts/" + kind).retrieve().body(byte[].class);
    Path file = DATA.resolve(kind + "-" + id + ".tar.gz");
    Files.write(file, bytes);
    return file;
  }

  /**
   * Another tenant does not borrow the service's HF_TOKEN: without a token of its own the private
   * repository is refused; with its token (stored encrypted, never shown) the job is accepted.
   */
  @Test
  void aTenantReadsPrivateRepositoriesWithItsOwnTokenOnly() throws IOException {
    addPrivateModel("org/private-bert");
    addOrderDatasets();
    String key =
        (String)
            http.post()
                .uri("/v1/keys")
                .contentType(MediaType.APPLICATION_JSON)
                .body(Map.of("tenant", "acme", "role", "admin"))
                .retrieve()
                .body(Map.class)
                .get("key");
    var acme = Instances.client(port, key);
    String job =
        """
        {"model": {"hub": "org/private-bert"}, "calibration": {"hub": "datasets/org/order", "file": "calib.jsonl"},
         "criteria": ["hies"], "sparsities": [0.5], "target": {"sparsity": 0.5}, "seeds": 1}""";
    ResponseEntity<Map> refused =
        acme.post()
            .uri("/v1/jobs")
            .contentType(MediaType.APPLICATION_JSON)
            .body(job)
            .retrieve()
            .toEntity(Map.class);
    assertThat(refused.getStatusCode().value()).isEqualTo(403);
    assertThat((String) refused.getBody().get("detail")).contains("needs authentication");

    assertThat(
            acme.put()
                .uri("/v1/tenants/acme/hub-token")
                .contentType(MediaType.APPLICATION_JSON)
                .body(Map.of("token", "hf_secret"))
                .retrieve()
                .toBodilessEntity()
                .getStatusCode()
                .value())
        .isEqualTo(204);
    byte[] stored =
        new JdbcTemplate(dataSource)
            .queryForObject("select hub_token from tenants where id = 'acme'", byte[].class);
    assertThat(new String(stored, StandardCharsets.ISO_8859_1)).doesNotContain("hf_secret");
    ResponseEntity<Map> accepted =
        acme.post()
            .uri("/v1/jobs")
            .contentType(MediaType.APPLICATION_JSON)
            .body(job)
            .retrieve()
            .toEntity(Map.class);
    assertThat(accepted.getStatusCode().value())
        .as(String.valueOf(accepted.getBody()))
        .isEqualTo(202);
    assertThat(
            acme.delete()
                .uri("/v1/tenants/acme/hub-token")
                .retrieve()
                .toBodilessEntity()
                .getStatusCode()
                .value())
        .isEqualTo(204);
    assertThat(
            acme.post()
                .uri("/v1/jobs")
                .contentType(MediaType.APPLICATION_JSON)
                .body(job)
                .retrieve()
                .toBodilessEntity()
                .getStatusCode()
                .value())
        .isEqualTo(403);
    // the audit trail says it happened, not what the token was
    String audit = acme.get().uri("/v1/audit").retrieve().body(String.class);
    assertThat(audit)
        .contains("hub-token.set")
        .contains("hub-token.delete")
        .doesNotContain("hf_secret");
  }

  @Autowired DataSource dataSource;

  @Test
  void missingRepositoriesRevisionsAndDeniedAccessAreProblems() {
    HUB.addModel("org/gated", Fixtures.tinyBert(), List.of("config.json"), true, false);
    String calibration = "{\"hub\": \"datasets/org/order\", \"file\": \"calib.jsonl\"}";
    ResponseEntity<Map> missing =
        submit("{\"model\": {\"hub\": \"org/absent\"}, \"calibration\": " + calibration + "}");
    assertThat(missing.getStatusCode().value()).isEqualTo(404);
    assertThat((String) missing.getBody().get("detail")).contains("org/absent was not found");
    ResponseEntity<Map> gated =
        submit("{\"model\": {\"hub\": \"org/gated\"}, \"calibration\": " + calibration + "}");
    assertThat(gated.getStatusCode().value()).isEqualTo(403);
    assertThat((String) gated.getBody().get("detail")).contains("gated");
    assertThat(gated.getHeaders().getContentType()).hasToString("application/problem+json");
  }

  /**
   * A job that names Hub datasets by repository, config and split (the card's configs, two Parquet
   * shards), with mapped columns and labels checked against the uploaded model: it records the
   * commit and files it read, and runs to the end. A card whose label names sit at other indices
   * than the model's id2label is refused unless the request says by-index.
   */
  @Test
  void aJobReadsHubSplitsByConfigWithMappedColumnsAndCheckedLabels() {
    FakeHub.Repo repo =
        HUB.add("datasets/acme/order", HubDatasetsTest.orderRepository(), false, false);
    HUB.add("datasets/acme/swapped", HubDatasetsTest.swappedRepository(), false, false);
    String model = (String) upload("/v1/models", exampleModelArchive()).get("id");
    String request =
        """
        {"model": {"id": "%s"},
         "calibration": {"hub": "datasets/%s", "config": "order", "split": "train", "rows": 150,
                         "columns": {"text": "sentence"}},
         "evaluation": {"hub": "datasets/%s", "split": "validation", "columns": {"text": "sentence"}},
         "criteria": ["hies"], "sparsities": [0.5], "target": {"sparsity": 0.5}, "seeds": 1,
         "calibrationSize": 64 %s}""";
    ResponseEntity<Map> refused =
        submit(request.formatted(model, "acme/swapped", "acme/swapped", ""));
    assertThat(refused.getStatusCode().value()).isEqualTo(422);
    assertThat((String) refused.getBody().get("detail"))
        .contains("label 'cat_first' is index 0 in the dataset but 1 in the model's id2label")
        .contains("by-index");
    ResponseEntity<Map> missing =
        submit(
            request
                .formatted(model, "acme/order", "acme/order", "")
                .replace("\"validation\"", "\"test\""));
    assertThat(missing.getStatusCode().value()).isEqualTo(404);
    assertThat((String) missing.getBody().get("detail"))
        .contains("has no split 'test'; its splits are [train, validation]");
    assertThat(
            submit(
                    request.formatted(
                        model, "acme/swapped", "acme/swapped", ", \"labelMapping\": \"by-index\""))
                .getStatusCode()
                .value())
        .isEqualTo(202);

    ResponseEntity<Map> submitted =
        submit(request.formatted(model, "acme/order", "acme/order", ""));
    assertThat(submitted.getStatusCode().value())
        .as(String.valueOf(submitted.getBody()))
        .isEqualTo(202);
    Map<String, Object> data = (Map<String, Object>) submitted.getBody().get("data");
    Map<String, Object> calibration =
        (Map<String, Object>) ((Map<String, Object>) data.get("calibration")).get("hub");
    assertThat(calibration)
        .containsEntry("repo", "datasets/acme/order")
        .containsEntry("commit", repo.commit())
        .containsEntry("source", "card")
        .containsEntry("config", "order")
        .containsEntry("split", "train")
        .containsEntry(
            "files",
            List.of("order/train-00000-of-00002.parquet", "order/train-00001-of-00002.parquet"))
        .containsEntry("splitFiles", 2);
    Map<String, Object> dataset =
        get("/v1/datasets/" + ((Map<String, Object>) data.get("calibration")).get("id"));
    assertThat(dataset).containsEntry("rows", 150).containsEntry("format", "split");
    String id = (String) submitted.getBody().get("id");
    Map<String, Object> job =
        awaitJob(id, j -> ((String) j.get("status")).matches("SUCCEEDED|FAILED|CANCELLED"));
    assertThat(job.get("status")).as(String.valueOf(job.get("error"))).isEqualTo("SUCCEEDED");
  }
}
