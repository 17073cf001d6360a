package io.headprune.scoring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import io.headprune.checkpoint.Checkpoint;
import io.headprune.model.HeadModel;
import io.headprune.model.Models;
import io.headprune.support.Fixtures;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import tools.jackson.databind.JsonNode;

/**
 * Decoder scores against the independent plain-PyTorch reference (shared/reference/decoder_ref.py
 * score, batch 1): the causal loss summed over predicted tokens, HIS per query head, the
 * generalised entropy normalised per row by ln(t + 1). The golden files are the fixtures' own.
 */
public class DecoderGoldenScoresTest {

  @ParameterizedTest
  @ValueSource(strings = {"tiny-gpt2", "tiny-gpt2-cls", "tiny-llama-gqa", "tiny-qwen2"})
  void scoresMatchTheReference(String fixture) {
    Path dir = Fixtures.resource("fixtures/" + fixture);
    for (int batchSize : new int[] {1, 7}) {
      try (Checkpoint checkpoint = Models.open(dir);
          HeadModel model = Models.load(checkpoint, Device.cpu());
          Inputs inputs = Inputs.open(checkpoint, 128)) {
        RawScores raw = HeadScorer.score(model, inputs.read(dir.resolve("calib.jsonl")), batchSize, Progress.NONE);
        assertMatches(fixture + " batch " + batchSize, ScoreTable.of(raw, 0.5, Normalization.GLOBAL),
            Fixtures.json("fixtures/" + fixture + "/golden-scores.json"));
      }
    }
  }

  public static void assertMatches(String what, ScoreTable table, JsonNode golden) {
    JsonNode heads = golden.get("heads");
    assertThat(table.examples()).isEqualTo(golden.get("examples").asInt());
    assertThat(table.heads()).hasSize(heads.size());
    double worstHis = 0;
    double worstEntropy = 0;
    for (int i = 0; i < heads.size(); i++) {
      JsonNode want = heads.get(i);
      HeadScore got = table.heads().get(i);
      assertThat(got.ref()).isEqualTo(new HeadRef(want.get("layer").asInt(), want.get("head").asInt()));
      double his = want.get("his").asDouble();
      double entropy = want.get("entropy").asDouble();
      worstHis = Math.max(worstHis, Math.abs(got.his() - his) / his);
      worstEntropy = Math.max(worstEntropy, Math.abs(got.entropy() - entropy) / entropy);
      assertThat(got.his()).as("%s his %s", what, got.ref()).isCloseTo(his, within(1e-3 * his));
      assertThat(got.entropy()).as("%s entropy %s", what, got.ref()).isCloseTo(entropy, within(1e-4 * entropy));
      assertThat(got.entropyNorm()).as("%s entropyNorm %s", what, got.ref())
          .isCloseTo(want.get("entropyNorm").asDouble(), within(1e-4));
      assertThat(got.hisNorm()).as("%s hisNorm %s", what, got.ref()).isCloseTo(want.get("hisNorm").asDouble(), within(1e-3));
      assertThat(got.hies()).as("%s hies %s", what, got.ref()).isCloseTo(want.get("hies").asDouble(), within(1e-3));
    }
    System.out.printf("%s parity: worst relative HIS %.3e, worst relative entropy %.3e%n", what, worstHis, worstEntropy);
  }

  static List<HeadRef> pairs(JsonNode list) {
    return java.util.stream.StreamSupport.stream(list.spliterator(), false)
        .map(p -> new HeadRef(p.get(0).asInt(), p.get(1).asInt())).toList();
  }
}
