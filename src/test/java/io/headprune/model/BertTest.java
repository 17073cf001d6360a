package io.headprune.model;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import io.headprune.checkpoint.Checkpoint;
import io.headprune.checkpoint.DatasetReader;
import io.headprune.checkpoint.TextTokenizer;
import io.headprune.progress.Progress;
import io.headprune.scoring.Encoded;
import io.headprune.scoring.ModelRunner;
import io.headprune.support.Fixtures;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

class BertTest {

  @Test
  void logitsMatchTheReferenceOnTheEvalSet() {
    assertLogitsMatchExpected(Fixtures.tinyBert());
  }

  @Test
  void checkpointWithPrunedHeadsLoadsAndMatchesItsExpectedLogits() {
    Path dir = Fixtures.tinyBertPruned();
    try (Checkpoint checkpoint = Models.open(dir);
        HeadModel bert = Models.load(checkpoint, Device.cpu())) {
      assertThat(bert.heads()).isDeepEqualTo(new int[][] {{0}, {0}, {0, 1, 2}, {1, 2, 3}});
    }
    assertLogitsMatchExpected(dir);
  }

  @Test
  void tokenizerReproducesTheReferenceInputIds() {
    Path dir = Fixtures.tinyBert();
    JsonNode expected =
        Fixtures.json("fixtures/tiny-bert-order/expected_outputs.json").get("input_ids_first3");
    try (Checkpoint checkpoint = Models.open(dir);
        TextTokenizer tokenizer = TextTokenizer.open(dir, 64)) {
      var examples = DatasetReader.read(dir.resolve("eval.jsonl"), checkpoint.config().labels());
      for (int i = 0; i < 3; i++) {
        long[] ids = tokenizer.encode(examples.get(i).text(), null).ids();
        long[] want = new long[expected.get(i).size()];
        for (int t = 0; t < want.length; t++) {
          want[t] = expected.get(i).get(t).asLong();
        }
        assertThat(ids).containsExactly(want);
      }
    }
  }

  private static void assertLogitsMatchExpected(Path dir) {
    JsonNode expected =
        Fixtures.json("fixtures/" + dir.getFileName() + "/expected_outputs.json").get("logits");
    try (Checkpoint checkpoint = Models.open(dir);
        HeadModel bert = Models.load(checkpoint, Device.cpu());
        TextTokenizer tokenizer = TextTokenizer.open(dir, 64)) {
      var examples = DatasetReader.read(dir.resolve("eval.jsonl"), checkpoint.config().labels());
      List<Encoded> encoded = Encoded.of(tokenizer, examples);
      float[][] logits = ModelRunner.logits(bert, encoded, Set.of(), 64, Progress.NONE);
      assertThat(logits.length).isEqualTo(expected.size());
      double worst = 0;
      for (int i = 0; i < logits.length; i++) {
        for (int c = 0; c < logits[i].length; c++) {
          double want = expected.get(i).get(c).asDouble();
          double relative = Math.abs(logits[i][c] - want) / Math.max(1.0, Math.abs(want));
          worst = Math.max(worst, relative);
        }
      }
      assertThat(worst).isLessThan(1e-4);
    }
  }
}
