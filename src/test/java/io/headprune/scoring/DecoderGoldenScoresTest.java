package io.headprune.scoring;

import ai.djl.Device;
import io.headprune.checkpoint.Checkpoint;
import io.headprune.model.HeadModel;
import io.headprune.model.Models;
import io.headprune.support.Fixtures;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import tools.jackson.databind.JsonNode;

/**
 * Decoder scores against the independent plain-PyTorch reference (shared/reference/decoder_ref.py
 * score, batch 1): the causal loss summed over predicted tokens, HIS per query head, the
 * generalised entropy normalised per row by ln(t + 1). The golden files are the fixtures' own.
 */
public class DecoderGoldenScoresTest {

  @ParameterizedTest
  @MethodSource("io.headprune.support.Fixtures#decoders")
  void scoresMatchTheReference(String fixture) {
    Path dir = Fixtures.resource("fixtures/" + fixture);
    for (int batchSize : new int[] {1, 7}) {
      try (Checkpoint checkpoint = Models.open(dir);
          HeadModel model = Models.load(checkpoint, Device.cpu());
          Inputs inputs = Inputs.open(checkpoint, 128)) {
        RawScores raw =
            HeadScorer.score(
                model, inputs.read(dir.resolve("calib.jsonl")), batchSize, Progress.NONE);
        assertMatches(
            fixture + " batch " + batchSize,
            ScoreTable.of(raw, 0.5, Normalization.GLOBAL),
            Fixtures.json("fixtures/" + fixture + "/golden-scores.json"));
      }
    }
  }

  /**
   * Every head's raw and normalised scores against a reference score file (HIS 1e-3, AE 1e-4
   * relative).
   */
  public static void assertMatches(String what, ScoreTable table, JsonNode golden) {
    io.headprune.support.GoldenScores.assertMatches(what, table, golden);
  }

  static List<HeadRef> pairs(JsonNode list) {
    return java.util.stream.StreamSupport.stream(list.spliterator(), false)
        .map(p -> new HeadRef(p.get(0).asInt(), p.get(1).asInt()))
        .toList();
  }
}
