package io.headprune.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.headprune.checkpoint.Json;
import io.headprune.jobs.ScratchSweeper;
import io.headprune.model.Models;
import io.headprune.progress.Progress;
import io.headprune.scoring.HeadRef;
import io.headprune.scoring.ModelRunner;
import io.headprune.storage.ArchiveLimits;
import io.headprune.storage.Archives;
import io.headprune.support.Archive;
import io.headprune.support.Checkpoints;
import io.headprune.support.Fixtures;
import io.headprune.support.Instances;
import io.headprune.support.ServiceTest;
import io.headprune.support.TinyBert;
import io.headprune.support.TinyVit;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.assertj.core.api.Assertions;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.core.io.FileSystemResource;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.util.LinkedMultiValueMap;
import tools.jackson.databind.node.ObjectNode;

@SuppressWarnings({"rawtypes", "unchecked"})
class PruningJobEndToEndTest extends ServiceTest {

  @Autowired JdbcTemplate jdbc;

  @Test
  void uploadSubmitPollDownloadAndReloadThePrunedModel() throws Exception {
    Map<String, Object> model = upload("/v1/models", exampleModelArchive());
    assertThat(model)
        .containsEntry("architecture", "BertForSequenceClassification")
        .containsEntry("heads", 16);
    Map<String, Object> again = upload("/v1/models", exampleModelArchive());
    assertThat(again.get("id")).isEqualTo(model.get("id"));
    Map<String, Object> calibration =
        upload("/v1/datasets", Fixtures.tinyBert().resolve("calib.jsonl"));
    Map<String, Object> evaluation =
        upload("/v1/datasets", Fixtures.tinyBert().resolve("eval.jsonl"));
    assertThat(calibration).containsEntry("rows", 256);

    String body =
        """
        {"model": {"id": "%s"}, "calibration": {"id": "%s"}, "evaluation": {"id": "%s"},
         "criteria": ["hies", "his", "random"], "sparsities": [0.25, 0.5], "target": {"sparsity": 0.5},
         "seeds": 2, "calibrationSize": 64}
        """
            .formatted(model.get("id"), calibration.get("id"), evaluation.get("id"));
    ResponseEntity<Map> submitted =
        http.post()
            .uri("/v1/jobs")
            .contentType(MediaType.APPLICATION_JSON)
            .body(body)
            .retrieve()
            .toEntity(Map.class);
    assertThat(submitted.getStatusCode()).isEqualTo(HttpStatus.ACCEPTED);
    String id = (String) submitted.getBody().get("id");
    assertThat(submitted.getHeaders().getLocation()).hasToString("/v1/jobs/" + id);
    // the plan before it runs, from the rows: 512 evaluated unpruned, 2 seeds × 64 scored, then
    // 3 criteria × 2 sparsities × 2 seeds and the artifact evaluated
    Map<String, Object> plan = (Map<String, Object>) submitted.getBody().get("plan");
    assertThat((Map<String, Object>) plan.get("passes"))
        .containsExactly(
            Map.entry("dense", 512), Map.entry("score", 128), Map.entry("evaluate", 13 * 512));
    assertThat(plan.get("total")).isEqualTo(512 + 128 + 13 * 512);

    Map<String, Object> job =
        awaitJob(id, j -> ((String) j.get("status")).matches("SUCCEEDED|FAILED|CANCELLED"));
    assertThat(job.get("status")).as(String.valueOf(job.get("error"))).isEqualTo("SUCCEEDED");
    assertThat(job.get("attempt")).isEqualTo(1);
    assertThat(job.get("plan")).as("the worker's plan, from the examples it read").isEqualTo(plan);
    assertThat((Map<String, Object>) job.get("progress"))
        .containsEntry("phase", "done")
        .containsEntry("fraction", 1.0)
        .containsEntry("eta", null); // only while it runs
    // the worker process's peak resident memory in each phase that ran, up to the last one
    Map<String, Object> peaks = (Map<String, Object>) job.get("peakMemory");
    assertThat(peaks).containsKeys("load", "dense", "score", "evaluate", "write");
    assertThat(peaks.values())
        .allSatisfy(bytes -> assertThat(((Number) bytes).longValue()).isGreaterThan(10L << 20));
    // polling is every 30 s in these tests: a start within 5 s means the idle worker was woken at
    // once
    assertThat(
            Duration.between(
                Instant.parse((String) job.get("createdAt")),
                Instant.parse((String) job.get("startedAt"))))
        .isLessThan(Duration.ofSeconds(5));

    // per-seed scores and the artifact's (seed null, with the pruned flags), and every evaluation
    assertThat(
            jdbc.queryForObject(
                "select count(*) from head_scores where job_id = ?::uuid", Integer.class, id))
        .isEqualTo(16 * 3);
    assertThat(
            jdbc.queryForObject(
                "select count(*) from head_scores where job_id = ?::uuid and seed is null and pruned",
                Integer.class,
                id))
        .isEqualTo(8);
    assertThat(
            jdbc.queryForObject(
                "select count(*) from evaluations where job_id = ?::uuid", Integer.class, id))
        .isEqualTo(3 * 2 * 2);
    Map<String, Object> scores = get("/v1/jobs/" + id + "/scores");
    assertThat((List<?>) scores.get("heads")).hasSize(16);
    // the rows served: each head's selection scores equal scores.json's, with both seeds' scores
    Map<String, Object> served = get("/v1/jobs/" + id + "/heads");
    assertThat(served.get("seeds")).isEqualTo(2);
    List<Map<String, Object>> headRows = (List<Map<String, Object>>) served.get("heads");
    assertThat(headRows).hasSize(16);
    assertThat(headRows.stream().filter(h -> (Boolean) h.get("pruned"))).hasSize(8);
    for (int i = 0; i < 16; i++) {
      Map<String, Object> row = headRows.get(i);
      Map<String, Object> file = ((List<Map<String, Object>>) scores.get("heads")).get(i);
      assertThat(List.of(row.get("layer"), row.get("head")))
          .isEqualTo(List.of(file.get("layer"), file.get("head")));
      Map<String, Object> selected = (Map<String, Object>) row.get("selected");
      for (String key : List.of("his", "entropy", "hisNorm", "entropyNorm", "hies")) {
        assertThat(((Number) selected.get(key)).doubleValue())
            .as(key)
            .isEqualTo(((Number) file.get(key)).doubleValue());
      }
      List<Map<String, Object>> perSeed = (List<Map<String, Object>>) row.get("perSeed");
      assertThat(perSeed).hasSize(2);
      double a = ((Number) perSeed.get(0).get("hies")).doubleValue();
      double b = ((Number) perSeed.get(1).get("hies")).doubleValue();
      assertThat(((Number) row.get("hiesMean")).doubleValue())
          .isCloseTo((a + b) / 2, within(1e-12));
      assertThat(((Number) row.get("hiesStd")).doubleValue())
          .isCloseTo(Math.abs(a - b) / Math.sqrt(2), within(1e-12));
    }
    Map<String, Object> report = get("/v1/jobs/" + id + "/report");
    assertThat((List<?>) report.get("evaluations")).hasSize(3 * 2 * 2);
    assertThat(get("/v1/jobs/" + id + "/evaluations").get("evaluations"))
        .as("the evaluation rows are report.json's")
        .isEqualTo(report.get("evaluations"));
    assertThat(
            (List<Map<String, Object>>)
                get("/v1/jobs/" + id + "/evaluations?criterion=random&sparsity=0.5")
                    .get("evaluations"))
        .hasSize(2)
        .allSatisfy(
            e -> assertThat(e).containsEntry("criterion", "random").containsEntry("sparsity", 0.5));
    assertThat((List<?>) report.get("summary")).hasSize(3 * 2);
    ResponseEntity<String> page =
        http.get().uri("/v1/jobs/" + id + "/report.html").retrieve().toEntity(String.class);
    assertThat(page.getHeaders().getContentType().toString()).startsWith("text/html");
    assertThat(page.getHeaders().getFirst("Content-Security-Policy"))
        .startsWith("default-src 'none'");
    assertThat(Pattern.compile("<rect class=\"cell").matcher(page.getBody()).results().count())
        .isEqualTo(16);
    assertThat(page.getBody()).contains("<path class=\"curve\" data-criterion=\"random\"");

    ResponseEntity<byte[]> download =
        http.get().uri("/v1/jobs/" + id + "/artifacts/pruned").retrieve().toEntity(byte[].class);
    assertThat(download.getStatusCode()).isEqualTo(HttpStatus.OK);
    String sha256 =
        HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(download.getBody()));
    assertThat(download.getHeaders().getETag()).isEqualTo("\"" + sha256 + "\"");
    assertThat(download.getHeaders().getCacheControl())
        .as("a finished job's artifact never changes")
        .isEqualTo("max-age=31536000, private, immutable");
    ResponseEntity<byte[]> range =
        http.get()
            .uri("/v1/jobs/" + id + "/artifacts/pruned")
            .header("Range", "bytes=0-99")
            .retrieve()
            .toEntity(byte[].class);
    assertThat(range.getStatusCode()).isEqualTo(HttpStatus.PARTIAL_CONTENT);
    assertThat(range.getBody()).hasSize(100);
    ResponseEntity<byte[]> beyond =
        http.get()
            .uri("/v1/jobs/" + id + "/artifacts/pruned")
            .header("Range", "bytes=" + download.getBody().length + "-")
            .retrieve()
            .toEntity(byte[].class);
    assertThat(beyond.getStatusCode().value()).isEqualTo(416);
    assertThat(beyond.getHeaders().getFirst("Content-Range"))
        .isEqualTo("bytes */" + download.getBody().length);
    assertThat(beyond.getBody()).isNullOrEmpty();
    // several ranges (overlapping ones would send the same bytes again) are refused
    for (String ranges : List.of("bytes=0-99,50-149", "bytes=0-9,0-9,0-9", "bytes=0-9,20-29")) {
      var refused =
          http.get()
              .uri("/v1/jobs/" + id + "/artifacts/pruned")
              .header("Range", ranges)
              .retrieve()
              .toEntity(byte[].class);
      assertThat(refused.getStatusCode().value()).as(ranges).isEqualTo(416);
      assertThat(refused.getHeaders().getFirst("Content-Range"))
          .isEqualTo("bytes */" + download.getBody().length);
    }
    assertThat(
            http.get()
                .uri("/v1/jobs/" + id + "/artifacts/pruned")
                .header("If-None-Match", "*")
                .retrieve()
                .toBodilessEntity()
                .getStatusCode()
                .value())
        .isEqualTo(304);

    Path archive = Files.createTempFile("pruned", ".tar.gz");
    Files.write(archive, download.getBody());
    Path unpacked = Files.createTempDirectory("unpacked");
    Archives.extract(archive, "pruned.tar.gz", unpacked, new ArchiveLimits(100, 1 << 30, 1000));
    Path prunedDir = unpacked.resolve("pruned");
    for (String data : List.of("calib.jsonl", "eval.jsonl")) {
      Files.copy(Fixtures.tinyBert().resolve(data), prunedDir.resolve(data));
    }
    @SuppressWarnings("unchecked")
    List<List<Integer>> pruned =
        (List<List<Integer>>) ((Map<String, Object>) report.get("artifact")).get("prunedHeads");
    Set<HeadRef> heads =
        pruned.stream().map(p -> new HeadRef(p.get(0), p.get(1))).collect(Collectors.toSet());
    assertThat(heads).hasSize(8);
    assertThat(worstDifference(prunedDir, heads)).isLessThan(1e-4);
  }

  private static double worstDifference(Path prunedDir, Set<HeadRef> heads) {
    float[][] gated;
    float[][] pruned;
    try (TinyBert original = TinyBert.load()) {
      gated = ModelRunner.logits(original.model, original.evaluation, heads, 64, Progress.NONE);
    }
    try (TinyBert reloaded = TinyBert.load(prunedDir)) {
      pruned = ModelRunner.logits(reloaded.model, reloaded.evaluation, Set.of(), 64, Progress.NONE);
    }
    return Checkpoints.maxAbsDifference(gated, pruned);
  }

  @Test
  void aVitJobWithUploadedImageArchivesGivesTheReferencesSelection() throws Exception {
    Path vit = TinyVit.directory();
    Path work = Files.createTempDirectory("vit-upload");
    Map<String, Object> model =
        upload("/v1/models", Archive.tarGz(vit, work.resolve("vit.tar.gz")));
    assertThat(model)
        .containsEntry("architecture", "ViTForImageClassification")
        .containsEntry("heads", 12);
    Map<String, Object> calibration =
        upload(
            "/v1/datasets", Archive.imageDatasetZip(vit, "calib.jsonl", work.resolve("calib.zip")));
    Map<String, Object> evaluation =
        upload(
            "/v1/datasets", Archive.imageDatasetZip(vit, "eval.jsonl", work.resolve("eval.zip")));
    assertThat(calibration).containsEntry("rows", 128);
    assertThat(evaluation).containsEntry("rows", 256);

    // all 128 calibration images in one seed: the artifact's scores are the reference's
    // (golden/scores-vit.json)
    String body =
        """
        {"model": {"id": "%s"}, "calibration": {"id": "%s"}, "evaluation": {"id": "%s"},
         "criteria": ["hies", "his", "random"], "sparsities": [0.25, 0.5], "target": {"sparsity": 0.5},
         "seeds": 1, "calibrationSize": 128}
        """
            .formatted(model.get("id"), calibration.get("id"), evaluation.get("id"));
    String id = submitJob(body);
    Map<String, Object> job =
        awaitJob(id, j -> ((String) j.get("status")).matches("SUCCEEDED|FAILED|CANCELLED"));
    assertThat(job.get("status")).as(String.valueOf(job.get("error"))).isEqualTo("SUCCEEDED");
    Map<String, Object> report = get("/v1/jobs/" + id + "/report");
    List<List<Integer>> pruned =
        (List<List<Integer>>) ((Map<String, Object>) report.get("artifact")).get("prunedHeads");
    assertThat(pruned)
        .isEqualTo(
            List.of(
                List.of(0, 2),
                List.of(1, 0),
                List.of(1, 2),
                List.of(2, 0),
                List.of(2, 2),
                List.of(2, 3))); // vit_ref.py select … --sparsity 0.5
    assertThat(((Map<String, Object>) report.get("dense")).get("value")).isEqualTo(0.9921875);
  }

  /**
   * The Hub's newer decoders through the API: a Llama-3 rotary-scaled model and a Gemma-2
   * (soft-caps, alternating sliding windows) give the reference's uniform-groups selection and
   * perplexity (golden/decoders.json: decoder_ref.py select --uniform-groups, evaluate), with a
   * serving target.
   */
  @ParameterizedTest
  @ValueSource(strings = {"tiny-llama3-rope", "tiny-gemma2"})
  void newerDecoderFamiliesGiveTheReferencesSelectionThroughTheApi(String fixture)
      throws Exception {
    Path dir = Fixtures.resource("fixtures/" + fixture);
    Path work = Files.createTempDirectory(fixture);
    Map<String, Object> model = upload("/v1/models", Archive.tarGz(dir, work.resolve("m.tar.gz")));
    Map<String, Object> calibration = upload("/v1/datasets", dir.resolve("calib.jsonl"));
    Map<String, Object> evaluation = upload("/v1/datasets", dir.resolve("eval.jsonl"));
    String body =
        """
        {"model": {"id": "%s"}, "calibration": {"id": "%s"}, "evaluation": {"id": "%s"},
         "criteria": ["hies", "his"], "sparsities": [0.5], "target": {"sparsity": 0.5},
         "seeds": 1, "calibrationSize": 64, "selection": "uniform-groups",
         "keepLoadableBy": "v5+vllm-tp2"}
        """
            .formatted(model.get("id"), calibration.get("id"), evaluation.get("id"));
    String id = submitJob(body);
    Map<String, Object> job =
        awaitJob(id, j -> ((String) j.get("status")).matches("SUCCEEDED|FAILED|CANCELLED"));
    assertThat(job.get("status")).as(String.valueOf(job.get("error"))).isEqualTo("SUCCEEDED");
    Map<String, Object> report = get("/v1/jobs/" + id + "/report");
    var golden = Fixtures.json("golden/decoders.json").get(fixture);
    List<List<Integer>> want = new ArrayList<>();
    golden
        .get("uniform-hies-0.5")
        .forEach(pair -> want.add(List.of(pair.get(0).asInt(), pair.get(1).asInt())));
    assertThat(((Map<String, Object>) report.get("artifact")).get("prunedHeads")).isEqualTo(want);
    double perplexity = golden.get("evaluate-uniform").get("perplexity").asDouble();
    List<Map<String, Object>> rows = (List<Map<String, Object>>) report.get("evaluations");
    Map<String, Object> hies =
        rows.stream().filter(r -> r.get("criterion").equals("hies")).findFirst().orElseThrow();
    assertThat(((Number) hies.get("value")).doubleValue())
        .isCloseTo(perplexity, Assertions.within(1e-5 * perplexity));
    assertThat(((Map<String, Object>) report.get("outputs")).get("note").toString())
        .contains("vLLM tensor parallelism over 2 GPUs");
  }

  @Test
  void aGroupedQueryDecoderJobRemovesWholeGroupsAndServesAStockPrunedModel() throws Exception {
    Path llama = Fixtures.resource("fixtures/tiny-llama-gqa");
    Path work = Files.createTempDirectory("llama-upload");
    Map<String, Object> model =
        upload("/v1/models", Archive.tarGz(llama, work.resolve("llama.tar.gz")));
    assertThat(model).containsEntry("architecture", "LlamaForCausalLM").containsEntry("heads", 24);
    Map<String, Object> calibration = upload("/v1/datasets", llama.resolve("calib.jsonl"));
    Map<String, Object> choices = upload("/v1/datasets", llama.resolve("eval-choices.jsonl"));
    assertThat(choices).containsEntry("rows", 64);

    // one seed over all 64 calibration texts: the reference's uniform-groups selection
    // (golden/decoders.json)
    String body =
        """
        {"model": {"id": "%s"}, "calibration": {"id": "%s"}, "evaluation": {"id": "%s"},
         "criteria": ["hies", "his"], "sparsities": [0.5], "target": {"sparsity": 0.5},
         "seeds": 1, "calibrationSize": 64, "selection": "uniform-groups"}
        """
            .formatted(model.get("id"), calibration.get("id"), choices.get("id"));
    String id = submitJob(body);
    Map<String, Object> job =
        awaitJob(id, j -> ((String) j.get("status")).matches("SUCCEEDED|FAILED|CANCELLED"));
    assertThat(job.get("status")).as(String.valueOf(job.get("error"))).isEqualTo("SUCCEEDED");
    Map<String, Object> report = get("/v1/jobs/" + id + "/report");
    assertThat(report.get("metric")).isEqualTo("accuracy"); // multiple-choice evaluation data
    List<List<Integer>> pruned =
        (List<List<Integer>>) ((Map<String, Object>) report.get("artifact")).get("prunedHeads");
    assertThat(pruned)
        .isEqualTo(
            List.of(
                List.of(0, 4),
                List.of(0, 5),
                List.of(0, 6),
                List.of(0, 7),
                List.of(1, 4),
                List.of(1, 5),
                List.of(1, 6),
                List.of(1, 7),
                List.of(2, 0),
                List.of(2, 1),
                List.of(2, 2),
                List.of(2, 3)));
    Map<String, Object> speedup = (Map<String, Object>) report.get("speedup");
    assertThat(((Number) speedup.get("kvCacheBytesPerTokenAfter")).longValue() * 2)
        .isEqualTo(((Number) speedup.get("kvCacheBytesPerTokenBefore")).longValue());

    ResponseEntity<byte[]> download =
        http.get().uri("/v1/jobs/" + id + "/artifacts/pruned").retrieve().toEntity(byte[].class);
    Path archive = work.resolve("pruned.tar.gz");
    Files.write(archive, download.getBody());
    Path unpacked = work.resolve("unpacked");
    Archives.extract(archive, "pruned.tar.gz", unpacked, new ArchiveLimits(100, 1 << 30, 1000));
    var config = Models.config(unpacked.resolve("pruned"));
    assertThat(config.attentionHeads()).isEqualTo(4);
    assertThat(config.keyValueHeads()).isEqualTo(1);
    assertThat(config.raw().has("pruned_heads")).isFalse();

    // a global selection of the same model can only be written as masked/: the job still succeeds
    String global = body.replace(", \"selection\": \"uniform-groups\"", "");
    String second = submitJob(global);
    Map<String, Object> masked =
        awaitJob(second, j -> ((String) j.get("status")).matches("SUCCEEDED|FAILED|CANCELLED"));
    assertThat(masked.get("status")).as(String.valueOf(masked.get("error"))).isEqualTo("SUCCEEDED");
    assertThat((Map<String, Object>) ((Map<String, Object>) masked.get("result")).get("links"))
        .containsKeys("masked", "scores", "report", "reportPage")
        .doesNotContainKey("pruned");
    assertThat(
            http.get()
                .uri("/v1/jobs/" + second + "/artifacts/pruned")
                .retrieve()
                .toBodilessEntity()
                .getStatusCode()
                .value())
        .isEqualTo(404);
    assertThat(
            http.get()
                .uri("/v1/jobs/" + second + "/artifacts/masked")
                .retrieve()
                .toBodilessEntity()
                .getStatusCode()
                .value())
        .isEqualTo(200);
  }

  @Test
  void aJobComparesCalibrationSetsAndReportsEachSetsMetricAndTheirOverlap() throws Exception {
    // a model uploaded with a name: the report and the card name it so
    var parts = new LinkedMultiValueMap<String, Object>();
    parts.add("file", new FileSystemResource(exampleModelArchive()));
    parts.add("name", "acme/tiny-bert-order");
    Map<String, Object> model =
        http.post()
            .uri("/v1/models")
            .contentType(MediaType.MULTIPART_FORM_DATA)
            .body(parts)
            .retrieve()
            .body(Map.class);
    assertThat(model).containsEntry("name", "acme/tiny-bert-order");
    parts.set("name", "bad\u202ename");
    var badName =
        http.post()
            .uri("/v1/models")
            .contentType(MediaType.MULTIPART_FORM_DATA)
            .body(parts)
            .retrieve()
            .toEntity(Map.class);
    assertThat(badName.getStatusCode().value()).isEqualTo(422);
    assertThat((String) badName.getBody().get("detail")).contains("model name must be");
    Map<String, Object> calibration =
        upload("/v1/datasets", Fixtures.tinyBert().resolve("calib.jsonl"));
    Map<String, Object> other = upload("/v1/datasets", Fixtures.resource("data/order.tsv"));
    Map<String, Object> evaluation =
        upload("/v1/datasets", Fixtures.tinyBert().resolve("eval.jsonl"));
    String sets =
        """
        "calibrations": [{"id": "%s"}, {"id": "%s", "columns": {"text": "sentence"}}]"""
            .formatted(calibration.get("id"), other.get("id"));
    var refused =
        http.post()
            .uri("/v1/jobs")
            .contentType(MediaType.APPLICATION_JSON)
            .body("{\"model\": {\"id\": \"%s\"}, %s}".formatted(model.get("id"), sets))
            .retrieve()
            .toEntity(Map.class);
    assertThat(refused.getStatusCode().value()).isEqualTo(422);
    assertThat((String) refused.getBody().get("detail")).contains("needs an \"evaluation\"");

    String body =
        """
        {"model": {"id": "%s"}, %s, "evaluation": {"id": "%s"},
         "criteria": ["hies"], "sparsities": [0.25, 0.5], "target": {"sparsity": 0.25},
         "seeds": 2, "calibrationSize": 16}
        """
            .formatted(model.get("id"), sets, evaluation.get("id"));
    ResponseEntity<Map> submitted =
        http.post()
            .uri("/v1/jobs")
            .contentType(MediaType.APPLICATION_JSON)
            .body(body)
            .retrieve()
            .toEntity(Map.class);
    assertThat(submitted.getStatusCode()).isEqualTo(HttpStatus.ACCEPTED);
    String id = (String) submitted.getBody().get("id");
    Map<String, Object> data = (Map<String, Object>) submitted.getBody().get("data");
    assertThat(((Map<String, Object>) data.get("calibration")).get("id"))
        .isEqualTo(calibration.get("id"));
    assertThat((List<Map<String, Object>>) data.get("calibrations"))
        .extracting(d -> d.get("id"))
        .containsExactly(other.get("id"));
    Map<String, Object> job =
        awaitJob(id, j -> ((String) j.get("status")).matches("SUCCEEDED|FAILED|CANCELLED"));
    assertThat(job.get("status")).as(String.valueOf(job.get("error"))).isEqualTo("SUCCEEDED");

    Map<String, Object> measured =
        (Map<String, Object>) ((Map<String, Object>) job.get("result")).get("artifact");
    assertThat(measured).containsKeys("metric", "agreement", "latencyRatio", "seeds");
    Map<String, Object> fullReport = get("/v1/jobs/" + id + "/report");
    assertThat(((Map<String, Object>) fullReport.get("model")).get("name"))
        .isEqualTo("acme/tiny-bert-order");
    assertThat(((Map<String, Object>) fullReport.get("provenance")).get("baseModel"))
        .isEqualTo("acme/tiny-bert-order");
    assertThat(((Map<String, Object>) fullReport.get("artifact")).get("metric"))
        .isEqualTo(measured.get("metric"));
    Map<String, Object> compared = (Map<String, Object>) fullReport.get("calibrations");
    assertThat((List<Map<String, Object>>) compared.get("sets"))
        .extracting(s -> s.get("name") + " " + s.get("source"))
        .containsExactly(
            "calibration dataset " + calibration.get("id"),
            "calibrations[1] dataset " + other.get("id"));
    assertThat((List<?>) compared.get("rows")).hasSize(2 * 2);
    assertThat((List<?>) compared.get("overlaps")).hasSize(2);
    String page = http.get().uri("/v1/jobs/" + id + "/report.html").retrieve().body(String.class);
    assertThat(page).contains("<h2>Calibration sets compared</h2>");

    // a queued job's compared set cannot be deleted
    jdbc.update("update jobs set status = 'QUEUED' where id = ?::uuid", id);
    var inUse = http.delete().uri("/v1/datasets/" + other.get("id")).retrieve().toEntity(Map.class);
    jdbc.update("update jobs set status = 'SUCCEEDED' where id = ?::uuid", id);
    assertThat(inUse.getStatusCode().value()).isEqualTo(409);
    assertThat((String) inUse.getBody().get("detail")).contains(id);
    // a finished job's compared set can be deleted, and the job after it
    assertThat(
            http.delete()
                .uri("/v1/datasets/" + other.get("id"))
                .retrieve()
                .toBodilessEntity()
                .getStatusCode()
                .value())
        .isEqualTo(204);
    assertThat(get("/v1/jobs/" + id).get("status")).isEqualTo("SUCCEEDED");
    assertThat(
            http.delete()
                .uri("/v1/jobs/" + id)
                .retrieve()
                .toBodilessEntity()
                .getStatusCode()
                .value())
        .isEqualTo(204);
  }

  /**
   * The probe's poison job: a tokenizer.json whose Split regex makes the native library abort its
   * process on one calibration text. The job fails once, naming it; this service (the worker) lives
   * on and runs the next job.
   */
  @Test
  void aTokenizerThatAbortsItsProcessFailsItsJobAndTheWorkerLivesOn() throws IOException {
    Path model = Fixtures.copy(Fixtures.tinyBert(), DATA.resolve("poison-model"));
    ObjectNode tokenizer =
        (ObjectNode) Json.MAPPER.readTree(model.resolve("tokenizer.json").toFile());
    tokenizer
        .putObject("pre_tokenizer")
        .put("type", "Split")
        .put("behavior", "Isolated")
        .put("invert", false)
        .putObject("pattern")
        .put("Regex", "(a+)+$");
    Files.writeString(model.resolve("tokenizer.json"), tokenizer.toString());
    String modelId =
        (String)
            upload("/v1/models", Archive.tarGz(model, DATA.resolve("poison.tar.gz"))).get("id");
    Path texts =
        Files.writeString(
            DATA.resolve("poison.jsonl"),
            "{\"text\": \"a fine text\", \"label\": 0}\n"
                + "{\"text\": \""
                + "a".repeat(4000)
                + "!\", \"label\": 1}\n");
    String calibration = (String) upload("/v1/datasets", texts).get("id");

    String id =
        submitJob(
            """
            {"model": {"id": "%s"}, "calibration": {"id": "%s"}, "criteria": ["hies"],
             "sparsities": [0.25], "target": {"sparsity": 0.25}, "seeds": 1}"""
                .formatted(modelId, calibration));
    Map<String, Object> job =
        awaitJob(id, j -> !List.of("QUEUED", "RUNNING").contains(j.get("status")));

    assertThat(job.get("status")).isEqualTo("FAILED");
    assertThat(job.get("attempt")).isEqualTo(1);
    Map<String, Object> error = (Map<String, Object>) job.get("error");
    assertThat((String) error.get("detail"))
        .contains("the tokenizers library aborted while encoding text 2 (4001 characters")
        .contains("retry-limit-in-match");
    // the worker that ran it runs the next job
    String next = submitSmallJob();
    assertThat(awaitJob(next, j -> j.get("status").equals("SUCCEEDED")).get("status"))
        .isEqualTo("SUCCEEDED");
  }

  @Test
  void deletingAJobRemovesItsRowsAndFiles() throws IOException {
    String id = submitSmallJob();
    awaitJob(id, j -> "SUCCEEDED".equals(j.get("status")));
    Path jobDir = DATA.resolve("artifacts/jobs/" + id);
    assertThat(jobDir.resolve("pruned.tar.gz")).exists();
    assertThat(
            http.delete()
                .uri("/v1/jobs/" + id)
                .retrieve()
                .toBodilessEntity()
                .getStatusCode()
                .value())
        .isEqualTo(204);
    assertThat(
            http.get().uri("/v1/jobs/" + id).retrieve().toBodilessEntity().getStatusCode().value())
        .isEqualTo(404);
    assertThat(jobDir).doesNotExist();
  }

  @Test
  void aJobsEventsTellItsCourseWithItsAlphaAndTargetDecisions() throws IOException {
    Map<String, Object> model = upload("/v1/models", exampleModelArchive());
    Map<String, Object> calibration =
        upload("/v1/datasets", Fixtures.tinyBert().resolve("calib.jsonl"));
    String body =
        """
        {"model": {"id": "%s"}, "calibration": {"id": "%s"}, "criteria": ["hies"],
         "sparsities": [0.5], "alpha": "auto", "target": {"maxMetricDrop": 0.05}, "step": 0.25,
         "seeds": 1, "calibrationSize": 32}
        """
            .formatted(model.get("id"), calibration.get("id"));
    String id = submit(body);
    Map<String, Object> job =
        awaitJob(id, j -> ((String) j.get("status")).matches("SUCCEEDED|FAILED|CANCELLED"));
    assertThat(job.get("status")).as(String.valueOf(job.get("error"))).isEqualTo("SUCCEEDED");

    Map<String, Object> list =
        http.get().uri("/v1/jobs/" + id + "/events").retrieve().body(Map.class);
    assertThat(list).containsEntry("job", id).containsEntry("status", "SUCCEEDED");
    List<Map<String, Object>> events = (List<Map<String, Object>>) list.get("events");
    List<String> kinds = events.stream().map(e -> (String) e.get("kind")).toList();
    assertThat(kinds.subList(0, 2)).containsExactly("submitted", "started");
    assertThat(kinds).contains("phase", "plan", "alpha", "target", "memory").endsWith("succeeded");
    assertThat(events.get(0)).containsEntry("attempt", 0).containsEntry("phase", "queued");
    assertThat((String) events.get(0).get("detail")).contains("passes by the plan");
    assertThat(
            events.stream()
                .filter(e -> "phase".equals(e.get("kind")))
                .map(e -> (String) e.get("phase")))
        .contains("score", "alpha", "target", "evaluate", "write");
    String target =
        events.stream()
            .filter(e -> "target".equals(e.get("kind")))
            .map(e -> (String) e.get("detail"))
            .findFirst()
            .orElseThrow();
    Map<String, Object> report =
        http.get().uri("/v1/jobs/" + id + "/report").retrieve().body(Map.class);
    assertThat(target)
        .contains((String) ((Map<String, Object>) report.get("target")).get("reason"));
    assertThat(
            events.stream()
                .filter(e -> "alpha".equals(e.get("kind")))
                .map(e -> (String) e.get("detail")))
        .allMatch(detail -> detail.startsWith("α = "));
    List<Instant> times = events.stream().map(e -> Instant.parse((String) e.get("at"))).toList();
    assertThat(times).isSorted();
    // another tenant's job is as absent as a missing one, and so are its events
    assertThat(
            http.get()
                .uri("/v1/jobs/" + UUID.randomUUID() + "/events")
                .retrieve()
                .onStatus(status -> true, (request, response) -> {})
                .toBodilessEntity()
                .getStatusCode()
                .value())
        .isEqualTo(404);
  }

  @Test
  void aShortJobQueuedBehindALongOneRunsFirst() throws IOException {
    Map<String, Object> model = upload("/v1/models", exampleModelArchive());
    Map<String, Object> calibration =
        upload("/v1/datasets", Fixtures.tinyBert().resolve("calib.jsonl"));
    String longBody =
        """
        {"model": {"id": "%s"}, "calibration": {"id": "%s"}, "criteria": ["hies", "his", "random"],
         "sparsities": [0.25, 0.5], "target": {"sparsity": 0.5}, "seeds": 4, "calibrationSize": 64}
        """
            .formatted(model.get("id"), calibration.get("id"));
    String shortBody =
        """
        {"model": {"id": "%s"}, "calibration": {"id": "%s"}, "criteria": ["hies"],
         "sparsities": [0.25], "target": {"sparsity": 0.25}, "seeds": 1, "calibrationSize": 16}
        """
            .formatted(model.get("id"), calibration.get("id"));
    // the one worker (one device) runs a long job; another long one and then a short one queue
    String running = submit(longBody);
    awaitJob(running, j -> !"QUEUED".equals(j.get("status")));
    String queuedLong = submit(longBody);
    String queuedShort = submit(shortBody);
    Map<String, Object> longJob = awaitJob(queuedLong, j -> "SUCCEEDED".equals(j.get("status")));
    Map<String, Object> shortJob = awaitJob(queuedShort, j -> "SUCCEEDED".equals(j.get("status")));
    assertThat(Instant.parse((String) shortJob.get("finishedAt")))
        .as("the short job's plan puts it first")
        .isBeforeOrEqualTo(Instant.parse((String) longJob.get("startedAt")));
  }

  private String submit(String body) {
    return Instances.submit(http, body);
  }

  @Test
  void aJobIsFoundByNameLabelsAndExternalIdAndItsReportsRequestRepeatsIt() throws IOException {
    Map<String, Object> model = upload("/v1/models", exampleModelArchive());
    Map<String, Object> calibration =
        upload("/v1/datasets", Fixtures.tinyBert().resolve("calib.jsonl"));
    String run = UUID.randomUUID().toString();
    String body =
        """
        {"model": {"id": "%s"}, "calibration": {"id": "%s"}, "criteria": ["hies", "random"],
         "sparsities": [0.25], "target": {"sparsity": 0.25}, "alpha": 0.7, "seeds": 2,
         "calibrationSize": 16, "name": "nightly-bert", "labels": {"team": "nlp", "run": "%s"},
         "externalId": "mlflow-%s"}
        """
            .formatted(model.get("id"), calibration.get("id"), run, run);
    String id = submit(body);
    Map<String, Object> job = awaitJob(id, j -> "SUCCEEDED".equals(j.get("status")));
    assertThat(job)
        .containsEntry("name", "nightly-bert")
        .containsEntry("labels", Map.of("team", "nlp", "run", run))
        .containsEntry("externalId", "mlflow-" + run);
    // the request as submitted, every default explicit
    Map<String, Object> echoed = (Map<String, Object>) job.get("request");
    assertThat(echoed)
        .containsEntry("alpha", "0.7")
        .containsEntry("seeds", 2)
        .containsEntry("criteria", List.of("hies", "random"))
        .containsEntry("normalization", "global")
        .containsEntry("maxLength", 128)
        .containsEntry("externalId", "mlflow-" + run);

    for (String query :
        List.of(
            "externalId=mlflow-" + run, "label=run=" + run, "name=nightly-bert&label=run=" + run)) {
      Map<String, Object> page = get("/v1/jobs?" + query);
      assertThat((List<Map<String, Object>>) page.get("items"))
          .as(query)
          .extracting(j -> j.get("id"))
          .containsExactly(id);
    }
    assertThat((List<?>) get("/v1/jobs?label=run=" + run + "&label=team=vision").get("items"))
        .isEmpty();
    // with a status too (one query: every filter narrows)
    assertThat(
            (List<Map<String, Object>>)
                get("/v1/jobs?status=SUCCEEDED&externalId=mlflow-" + run).get("items"))
        .extracting(j -> j.get("id"))
        .containsExactly(id);
    assertThat((List<?>) get("/v1/jobs?status=FAILED&externalId=mlflow-" + run).get("items"))
        .isEmpty();

    Map<String, Object> report = get("/v1/jobs/" + id + "/report");
    Map<String, Object> request =
        (Map<String, Object>) ((Map<String, Object>) report.get("provenance")).get("request");
    assertThat(request).isEqualTo(echoed);
    List<String> samples = (List<String>) ((Map<String, Object>) report.get("data")).get("samples");
    assertThat(samples).hasSize(2).allMatch(hash -> hash.matches("[0-9a-f]{64}"));
    assertThat(samples.get(0)).isNotEqualTo(samples.get(1));

    // submitted again as it stands, it repeats the run: the same samples, scores and numbers
    String again = submit(Json.MAPPER.writeValueAsString(request));
    awaitJob(again, j -> "SUCCEEDED".equals(j.get("status")));
    Map<String, Object> repeated = get("/v1/jobs/" + again + "/report");
    for (String part : List.of("data", "dense", "evaluations", "summary")) {
      assertThat(repeated.get(part)).as(part).isEqualTo(report.get(part));
    }
    Map<String, Object> artifact = (Map<String, Object>) report.get("artifact");
    assertThat((Map<String, Object>) repeated.get("artifact")) // (its latency is measured anew)
        .containsEntry("prunedHeads", artifact.get("prunedHeads"))
        .containsEntry("metric", artifact.get("metric"))
        .containsEntry("agreement", artifact.get("agreement"));
    assertThat(get("/v1/jobs/" + again + "/scores")).isEqualTo(get("/v1/jobs/" + id + "/scores"));
  }

  @Test
  void cancellingAFinishedJobIsAConflict() {
    String id = submitSmallJob();
    awaitJob(id, j -> "SUCCEEDED".equals(j.get("status")));
    var response = http.post().uri("/v1/jobs/" + id + "/cancel").retrieve().toEntity(Map.class);
    assertThat(response.getStatusCode().value()).isEqualTo(409);
    assertThat(response.getHeaders().getContentType()).hasToString("application/problem+json");
    assertThat((String) response.getBody().get("detail")).contains("already finished");
  }

  @Autowired ScratchSweeper sweeper;

  @Test
  void aJobLeavesNoScratchAndTheSweepRemovesWhatEndedJobsLeft() throws IOException {
    String id = submitSmallJob();
    awaitJob(id, j -> "SUCCEEDED".equals(j.get("status")));
    Path work = DATA.resolve("artifacts/work");
    // the worker removes its attempt's scratch right after it has recorded the end
    scratchGone(work.resolve(id));

    // what a killed process leaves: an ended job's attempt, a deleted job's, a running job's
    Path ended = Files.createDirectories(work.resolve(id + "/attempt-1/out/pruned"));
    Files.write(ended.resolve("model.safetensors"), new byte[1024]);
    Path deleted = Files.createDirectories(work.resolve(UUID.randomUUID() + "/attempt-2"));
    String running = submitSmallJob();
    awaitJob(running, j -> "SUCCEEDED".equals(j.get("status")));
    scratchGone(work.resolve(running));
    Path owned = Files.createDirectories(work.resolve(running + "/attempt-1"));
    jdbc.update("update jobs set status = 'RUNNING' where id = ?::uuid", running);
    try {
      sweeper.sweep();
    } finally {
      jdbc.update("update jobs set status = 'SUCCEEDED' where id = ?::uuid", running);
    }

    assertThat(work.resolve(id)).doesNotExist();
    assertThat(deleted.getParent()).doesNotExist();
    assertThat(owned).as("another worker may own a running job").exists();
    sweeper.sweep();
    assertThat(work.resolve(running)).doesNotExist();
  }

  /** Waits until a job's scratch directory is gone (the worker removes it as its run ends). */
  private static void scratchGone(Path scratch) {
    Awaitility.await()
        .atMost(Duration.ofSeconds(10))
        .pollInterval(Duration.ofMillis(20))
        .alias("a job's scratch goes when it ends")
        .until(() -> !Files.exists(scratch));
  }

  private String submitSmallJob() {
    return Instances.submitSmallJob(http, DATA, 1, 16, 16);
  }
}
