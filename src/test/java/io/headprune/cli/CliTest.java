package io.headprune.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.headprune.checkpoint.Json;
import io.headprune.hub.HubDatasetsTest;
import io.headprune.progress.Phase;
import io.headprune.pruning.BuildVersion;
import io.headprune.storage.ArtifactStore;
import io.headprune.support.FakeHub;
import io.headprune.support.Fixtures;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.Yaml;
import tools.jackson.databind.JsonNode;

class CliTest {

  @TempDir Path dir;

  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  private int run(String... args) {
    return Cli.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
  }

  @Test
  void versionIsTheBuildsOne() {
    assertThat(run("--version")).isZero();
    assertThat(out.toString().strip()).isEqualTo("headprune " + BuildVersion.get());
  }

  @Test
  void scoreWritesEveryHeadWithTheContractsFields() throws IOException {
    Path model = Fixtures.tinyBert();
    Path scores = dir.resolve("scores.json");
    int code =
        run(
            "score",
            "--model",
            model.toString(),
            "--data",
            model.resolve("calib.jsonl").toString(),
            "--device",
            "cpu",
            "--out",
            scores.toString());
    assertThat(code).isZero();
    JsonNode json = Json.MAPPER.readTree(Files.readAllBytes(scores));
    assertThat(json.get("examples").asInt()).isEqualTo(256);
    assertThat(json.get("heads")).hasSize(16);
    JsonNode head = json.get("heads").get(0);
    for (String field :
        new String[] {"layer", "head", "his", "entropy", "hisNorm", "entropyNorm", "hies"}) {
      assertThat(head.has(field)).as(field).isTrue();
    }
    assertThat(json.get("model").get("architecture").asString())
        .isEqualTo("BertForSequenceClassification");
  }

  @Test
  void pruneWritesTheFourOutputsAndRemovesTheReferencesHeads() throws IOException {
    Path model = Fixtures.tinyBert();
    Path target = dir.resolve("out");
    int code =
        run(
            "prune",
            "--model",
            model.toString(),
            "--data",
            model.resolve("calib.jsonl").toString(),
            "--eval",
            model.resolve("eval.jsonl").toString(),
            "--sparsity",
            "0.5",
            "--no-latency",
            "--device",
            "cpu",
            "--out",
            target.toString());
    assertThat(code).as(err.toString()).isZero();
    assertThat(target.resolve("pruned/model.safetensors")).exists();
    assertThat(target.resolve("masked/model.safetensors")).exists();
    assertThat(target.resolve("scores.json")).exists();
    JsonNode report = Json.MAPPER.readTree(Files.readAllBytes(target.resolve("report.json")));
    assertThat(report.get("artifact").get("prunedHeads").toString())
        .isEqualTo(Fixtures.json("golden/select-hies-0.5.json").toString());
    assertThat(out.toString()).contains("criterion").contains("hies");
    assertThat(err.toString()).containsPattern("score: batch (\\d+)/\\1 \\(100%\\)");
    // report.json says how the run was made: inputs' SHA-256, options, versions, device, times
    JsonNode provenance = report.get("provenance");
    assertThat(provenance.get("inputs").get("calibration").asString())
        .isEqualTo(ArtifactStore.sha256(model.resolve("calib.jsonl")));
    assertThat(provenance.get("inputs").get("evaluation").asString())
        .isEqualTo(ArtifactStore.sha256(model.resolve("eval.jsonl")));
    assertThat(provenance.get("baseModel").asString()).isEqualTo("tiny-bert-order");
    assertThat(provenance.get("madeBy").asString())
        .startsWith("java -jar headprune.jar prune --model");
    assertThat(provenance.get("options").get("sparsities").get(0).asDouble()).isEqualTo(0.5);
    assertThat(provenance.get("versions").get("PyTorch").asString()).isEqualTo("2.7.1");
    assertThat(provenance.get("device").asString()).isEqualTo("cpu()");
    assertThat(Instant.parse(provenance.get("finishedAt").asString()))
        .isAfterOrEqualTo(Instant.parse(provenance.get("startedAt").asString()));
    // both outputs carry a model card whose YAML header the Hub reads
    for (String kind : new String[] {"pruned", "masked"}) {
      String card = Files.readString(target.resolve(kind + "/README.md"));
      assertThat(card).startsWith("---\n");
      Map<String, Object> header = new Yaml().load(card.substring(4, card.indexOf("\n---\n", 4)));
      assertThat(header)
          .containsEntry("base_model", "tiny-bert-order")
          .containsEntry("library_name", "transformers")
          .containsEntry("tags", List.of("pruning", "headprune"));
      assertThat(card)
          .contains("with 8 of 16 attention heads pruned")
          .contains("| 3 | 0, 2, 3 | 1 of 4 |")
          .contains("| unpruned | 0.9863 |")
          .contains("java -jar headprune.jar prune --model")
          .contains("DJL 0.36.0")
          .contains("PyTorch 2.7.1");
    }
  }

  @Test
  void badInputGivesOneLineAndANonZeroExitCode() throws IOException {
    Path data =
        Files.writeString(
            dir.resolve("bad.jsonl"), "{\"text\": \"cat dog\", \"label\": 1}\nnot json\n");
    Path model = Fixtures.tinyBert();
    int code =
        run(
            "score",
            "--model",
            model.toString(),
            "--data",
            data.toString(),
            "--out",
            dir.resolve("s.json").toString());
    assertThat(code).isEqualTo(Cli.BAD_INPUT);
    assertThat(err.toString().strip().lines()).hasSize(1);
    assertThat(err.toString())
        .contains("bad.jsonl:2")
        .doesNotContain("Exception")
        .doesNotContain("\tat ");
  }

  @Test
  void aMissingModelDirectoryIsNamed() {
    int code =
        run(
            "score",
            "--model",
            dir.resolve("nope").toString(),
            "--data",
            "x.jsonl",
            "--out",
            "s.json");
    assertThat(code).isEqualTo(Cli.BAD_INPUT);
    assertThat(err.toString()).contains("does not exist").doesNotContain("\tat ");
  }

  @Test
  void unknownOptionsAreUsageErrors() {
    assertThat(run("prune", "--sparsity", "0.5", "--bogus")).isEqualTo(2);
    assertThat(err.toString().strip().lines()).hasSize(1);
  }

  @Test
  void aTypoIsAUsageErrorThatStartsNothing() {
    assertThat(Cli.servesWith(new String[] {"scores", "--model", "x"})).isFalse();
    assertThat(run("scores", "--model", "x")).isEqualTo(2);
    assertThat(err.toString())
        .contains("Unmatched argument")
        .contains("commands: score, prune, keys, serve");
    assertThat(out.toString()).isEmpty();
    // what does start the service
    assertThat(Cli.servesWith(new String[] {})).isTrue();
    assertThat(Cli.servesWith(new String[] {"serve", "--server.port=0"})).isTrue();
    assertThat(Cli.servesWith(new String[] {"--server.port=9090"})).isTrue();
    assertThat(Cli.servesWith(new String[] {"--help"})).isFalse();
  }

  @Test
  void helpNamesEveryExitCode() {
    assertThat(run("--help")).isZero();
    assertThat(out.toString())
        .contains("Exit codes:")
        .contains("0")
        .contains("usage error")
        .contains("3")
        .contains("keys create|list|revoke")
        .contains("serve");
    out.getBuffer().setLength(0);
    assertThat(run("prune", "--help")).isZero();
    assertThat(out.toString())
        .contains("Exit codes:")
        .contains("--force")
        .contains("--json")
        .contains("--quiet");
  }

  @Test
  void jsonPutsTheDocumentOnStdoutAndProgressStaysOnStderr() throws IOException {
    Path model = Fixtures.tinyBert();
    int code =
        run(
            "score",
            "--model",
            model.toString(),
            "--data",
            model.resolve("calib.jsonl").toString(),
            "--device",
            "cpu",
            "--json");
    assertThat(code).as(err.toString()).isZero();
    JsonNode scores = Json.MAPPER.readTree(out.toString());
    assertThat(scores.get("heads")).hasSize(16);
    assertThat(err.toString()).containsPattern("score: batch (\\d+)/\\1 \\(100%\\)");

    out.getBuffer().setLength(0);
    err.getBuffer().setLength(0);
    Path target = dir.resolve("json-run");
    String[] prune = {
      "prune",
      "--model",
      model.toString(),
      "--data",
      model.resolve("calib.jsonl").toString(),
      "--device",
      "cpu",
      "--sparsity",
      "0.25",
      "--no-latency",
      "--json",
      "--quiet",
      "--out",
      target.toString()
    };
    assertThat(run(prune)).as(err.toString()).isZero();
    JsonNode report = Json.MAPPER.readTree(out.toString());
    assertThat(report.get("artifact").get("prunedHeads")).hasSize(4);
    assertThat(err.toString()).as("--quiet").isEmpty();

    // the same --out again is a usage error unless --force replaces the earlier outputs
    out.getBuffer().setLength(0);
    assertThat(run(prune)).isEqualTo(2);
    assertThat(err.toString()).contains("use --force");
    String[] forced = Arrays.copyOf(prune, prune.length + 1);
    forced[prune.length] = "--force";
    err.getBuffer().setLength(0);
    assertThat(run(forced)).as(err.toString()).isZero();
    assertThat(target.resolve("pruned/config.json")).exists();
  }

  @Test
  void pruneComparesCalibrationSetsWithTheirOwnColumns() throws Exception {
    Path model = Fixtures.tinyBert();
    int code =
        run(
            "prune",
            "--model",
            model.toString(),
            "--data",
            model.resolve("calib.jsonl").toString(),
            "--compare-data",
            Fixtures.resource("data/order.tsv").toString(),
            "--compare-columns",
            "text=sentence",
            "--eval",
            model.resolve("eval.jsonl").toString(),
            "--seeds",
            "2",
            "--calibration-size",
            "16",
            "--sparsities",
            "0.25,0.5",
            "--sparsity",
            "0.25",
            "--device",
            "cpu",
            "--no-latency",
            "--quiet",
            "--out",
            dir.resolve("compared").toString());
    assertThat(code).as(err.toString()).isZero();
    assertThat(out.toString())
        .contains("calibration sets compared (hies, 2 seeds each):")
        .contains("calibration      calib.jsonl (256 examples, 16 per seed)")
        .contains("calibrations[1]  order.tsv (40 examples, 16 per seed)")
        .containsPattern("sparsity 0\\.5: Jaccard calibration vs calibrations\\[1\\] \\d\\.\\d{4}")
        .contains("At sparsity ");
    JsonNode report = Json.MAPPER.readTree(dir.resolve("compared/report.json").toFile());
    assertThat(report.get("calibrations").get("rows")).hasSize(4);
    assertThat(report.get("provenance").get("inputs").has("calibrations[1]")).isTrue();
  }

  @Test
  void progressLinesNameTheUnitAndTheTimeLeft() {
    StringWriter lines = new StringWriter();
    long[] now = {0};
    ConsoleProgress progress = new ConsoleProgress(new PrintWriter(lines, true), () -> now[0]);
    progress.report(Phase.SCORE, 0, 10);
    now[0] = 3_000_000_000L; // a clock set by the test: 3 s for the first 3 batches
    progress.report(Phase.SCORE, 3, 10);
    now[0] = 3_500_000_000L; // within a second of the last line: not printed
    progress.report(Phase.SCORE, 4, 10);
    progress.report(Phase.WRITE, 0, 2);
    assertThat(lines.toString().lines().toList())
        .containsExactly(
            "score: batch 0/10 (0%)",
            "score: batch 3/10 (30%), about 7 s left", "write: output 0/2 (0%)");
  }

  @Test
  void progressLinesGiveTheJobsShareOfItsPlanAndAnUpperEstimateOfItsEnd() {
    StringWriter lines = new StringWriter();
    long[] now = {0};
    ConsoleProgress progress = new ConsoleProgress(new PrintWriter(lines, true), () -> now[0]);
    progress.planned(Map.of(Phase.SCORE, 100L));
    progress.report(Phase.SCORE, 0, 10);
    now[0] = 10_000_000_000L; // 10 s for 100 passes of 400 by the plan
    progress.passes(100, 300);
    progress.report(Phase.SCORE, 5, 10);
    now[0] = 10_500_000_000L; // the phase's last batch re-reported by an inner step: said once
    progress.passes(110, 290);
    progress.report(Phase.SCORE, 10, 10);
    progress.report(Phase.SCORE, 10, 10);
    now[0] = 12_000_000_000L; // a second later the job has moved on: said again
    progress.passes(130, 270);
    progress.report(Phase.SCORE, 10, 10);
    assertThat(lines.toString().lines().toList())
        .containsExactly(
            "score: batch 0/10 (0%)",
            "score: batch 5/10 (50%), about 10 s left; job 25%, at most 30 s left",
            "score: batch 10/10 (100%); job 27%, at most 28 s left",
            "score: batch 10/10 (100%); job 32%, at most 25 s left");
  }

  /**
   * The command line takes a Hub model and a Hub dataset split by config, with mapped columns,
   * checking the card's label names against the model (fake Hub, HF_ENDPOINT pointed at it).
   */
  @Test
  void pruneReadsAHubModelAndAHubSplitWithMappedColumns() throws IOException {
    try (FakeHub hub = new FakeHub(null)) {
      hub.addModel("org/tiny-bert", Fixtures.tinyBert(), Fixtures.TINY_BERT_FILES, false, false);
      hub.add("datasets/acme/order", HubDatasetsTest.orderRepository(), false, false);
      hub.add("datasets/acme/swapped", HubDatasetsTest.swappedRepository(), false, false);
      var environment = DataOptions.environment;
      DataOptions.environment =
          () ->
              Map.of(
                  "HF_ENDPOINT",
                  hub.endpoint(),
                  "HF_HUB_CACHE",
                  dir.resolve("cache").toString(),
                  "HF_TOKEN",
                  "hf_write");
      try {
        String[] args = {
          "prune",
          "--model",
          "hub:org/tiny-bert",
          "--data",
          "hub:datasets/acme/order",
          "--config",
          "order",
          "--split",
          "train",
          "--columns",
          "text=sentence",
          "--eval",
          "hub:datasets/acme/order",
          "--eval-columns",
          "text=sentence",
          "--sparsity",
          "0.5",
          "--no-latency",
          "--device",
          "cpu",
          "--push-to",
          "acme/tiny-bert-pruned",
          "--out",
          dir.resolve("out").toString()
        };
        int code = run(args);
        assertThat(code).as(err.toString()).isZero();
        assertThat(out.toString()).contains("(64 evaluation examples, evaluation set)");
        // and pushed, as it was written, to the Hub
        assertThat(err.toString())
            .contains("pushed 7 files (1 through LFS) to acme/tiny-bert-pruned@main");
        assertThat(hub.pushed("acme/tiny-bert-pruned").get("model.safetensors"))
            .isEqualTo(Files.readAllBytes(dir.resolve("out/pruned/model.safetensors")));
        JsonNode report = Json.MAPPER.readTree(Files.readAllBytes(dir.resolve("out/report.json")));
        assertThat(report.path("data").path("poolRows").asInt()).isEqualTo(192);

        args[4] = "hub:datasets/acme/swapped";
        args[args.length - 1] = dir.resolve("out2").toString();
        assertThat(run(args)).isEqualTo(1);
        assertThat(err.toString())
            .contains("label 'cat_first' is index 0 in the dataset but 1 in the model's id2label");
      } finally {
        DataOptions.environment = environment;
      }
    }
  }
}
