package io.headprune.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.headprune.checkpoint.Json;
import io.headprune.support.Fixtures;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

class CliTest {

  @TempDir Path dir;

  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  private int run(String... args) {
    return Cli.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
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
    assertThat(err.toString()).contains("score: 16/16");
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
}
