package io.headprune.scoring;

import ai.djl.Device;
import io.headprune.checkpoint.Checkpoint;
import io.headprune.model.HeadModel;
import io.headprune.model.Models;
import io.headprune.progress.Progress;
import io.headprune.support.Fixtures;
import io.headprune.support.GoldenScores;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.Assertions;
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
   * Streamed (layers loaded one at a time, forward without recording, then each layer recomputed
   * from its saved input and differentiated from the top down) equals the resident path: HIS and
   * entropy within 1e-5 relative on every head, and so the reference too; with a head gated off
   * (iterative selection) as well.
   */
  @ParameterizedTest
  @MethodSource("streamable")
  void streamedLayersScoreAsTheResidentModel(String fixture) {
    Path dir = Fixtures.resource("fixtures/" + fixture);
    try (Checkpoint checkpoint = Models.open(dir);
        HeadModel resident = Models.load(checkpoint, Device.cpu());
        HeadModel streamed = Models.loadStreamed(checkpoint, Device.cpu());
        Inputs inputs = Inputs.open(checkpoint, 128)) {
      Assertions.assertNull(resident.streaming(), "small: resident");
      Assertions.assertNotNull(streamed.streaming(), "streamed");
      List<Encoded> examples = inputs.read(dir.resolve("calib.jsonl"));
      for (Set<HeadRef> off : List.<Set<HeadRef>>of(Set.of(), Set.of(new HeadRef(0, 1)))) {
        RawScores expected = HeadScorer.score(resident, examples, 4, off, Progress.NONE);
        RawScores actual = HeadScorer.score(streamed, examples, 4, off, Progress.NONE);
        for (int l = 0; l < expected.heads().length; l++) {
          for (int h = 0; h < expected.heads()[l].length; h++) {
            String head = fixture + " gated off " + off + " head " + l + "." + h;
            assertClose(head + " HIS", expected.his()[l][h], actual.his()[l][h]);
            assertClose(head + " AE", expected.entropy()[l][h], actual.entropy()[l][h]);
          }
        }
      }
      assertMatches(
          fixture + " streamed",
          ScoreTable.of(
              HeadScorer.score(streamed, examples, 1, Progress.NONE), 0.5, Normalization.GLOBAL),
          Fixtures.json("fixtures/" + fixture + "/golden-scores.json"));
    }
  }

  /** The grouped decoders, and a sharded BF16 one (widened per layer through a reused buffer). */
  static List<String> streamable() {
    List<String> all = new ArrayList<>(Fixtures.groupedDecoders());
    all.add("random-mistral-gqa");
    return all;
  }

  private static void assertClose(String what, double expected, double actual) {
    double tolerance = 1e-5 * Math.max(Math.abs(expected), 1e-12);
    Assertions.assertEquals(expected, actual, tolerance, what);
  }

  /**
   * Every head's raw and normalised scores against a reference score file (HIS 1e-3, AE 1e-4
   * relative).
   */
  public static void assertMatches(String what, ScoreTable table, JsonNode golden) {
    GoldenScores.assertMatches(what, table, golden);
  }

  static List<HeadRef> pairs(JsonNode list) {
    return StreamSupport.stream(list.spliterator(), false)
        .map(p -> new HeadRef(p.get(0).asInt(), p.get(1).asInt()))
        .toList();
  }
}
