package io.headprune.scoring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import io.headprune.checkpoint.Checkpoint;
import io.headprune.model.HeadModel;
import io.headprune.model.Models;
import io.headprune.progress.Progress;
import io.headprune.support.Fixtures;
import io.headprune.support.GoldenScores;
import io.headprune.support.TinyVit;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * ViT scores against the independent plain-PyTorch reference (shared/reference/vit_ref.py) on the
 * tiny ViT fixture: n(x) = 16 patches + CLS, no padding.
 */
class VitGoldenScoresTest {

  private static TinyVit vit;
  private static RawScores raw;

  @BeforeAll
  static void scoreOnce() {
    vit = TinyVit.load();
    raw = HeadScorer.score(vit.model, vit.calibration, 16, Progress.NONE);
  }

  @AfterAll
  static void close() {
    vit.close();
  }

  @Test
  void scoresMatchTheReference() {
    assertMatches(
        ScoreTable.of(raw, 0.5, Normalization.GLOBAL), Fixtures.json("golden/scores-vit.json"));
  }

  @Test
  void scoresMatchTheReferenceWithLayerNormalisationAndAlpha03() {
    assertMatches(
        ScoreTable.of(raw, 0.3, Normalization.LAYER),
        Fixtures.json("golden/scores-vit-layer-a03.json"));
  }

  @Test
  void selectionsMatchTheReferences() {
    ScoreTable table = ScoreTable.of(raw, 0.5, Normalization.GLOBAL);
    List<HeadRef> heads = table.heads().stream().map(HeadScore::ref).toList();
    assertThat(HeadSelector.select(heads, Criterion.HIES.scores(table, head -> 0, 0), 0.5, 1))
        .isEqualTo(golden("golden/select-vit-hies-0.5.json"));
    assertThat(HeadSelector.select(heads, Criterion.HIS.scores(table, head -> 0, 0), 0.25, 1))
        .isEqualTo(golden("golden/select-vit-his-0.25.json"));
    assertThat(HeadSelector.select(heads, Criterion.ENTROPY.scores(table, head -> 0, 0), 0.25, 1))
        .isEqualTo(golden("golden/select-vit-entropy-0.25.json"));
  }

  @Test
  void aVitOfOtherShapesWithBicubicResizeAndHalfPrecisionMatchesTheReferenceToo() {
    // fixtures/random-vit-2x6/make.py: random weights, 6 heads of size 8, patch 8 of 24, no q/k/v
    // biases, F16
    Path dir = Fixtures.resource("fixtures/random-vit-2x6");
    try (Checkpoint checkpoint = Models.open(dir);
        HeadModel model = Models.load(checkpoint, Device.cpu());
        Inputs inputs = Inputs.open(checkpoint, 128)) {
      RawScores scores =
          HeadScorer.score(model, inputs.read(dir.resolve("calib.jsonl")), 16, Progress.NONE);
      ScoreTable table = ScoreTable.of(scores, 0.5, Normalization.GLOBAL);
      assertMatches(table, Fixtures.json("golden/scores-random-vit-2x6.json"));
      List<HeadRef> heads = table.heads().stream().map(HeadScore::ref).toList();
      assertThat(HeadSelector.select(heads, Criterion.HIES.scores(table, head -> 0, 0), 0.4, 1))
          .isEqualTo(golden("golden/select-random-vit-2x6-0.4.json"));
    }
  }

  @Test
  void batchSizeDoesNotChangeTheScores() {
    RawScores one = HeadScorer.score(vit.model, vit.calibration.subList(0, 24), 1, Progress.NONE);
    RawScores many = HeadScorer.score(vit.model, vit.calibration.subList(0, 24), 24, Progress.NONE);
    for (int l = 0; l < one.his().length; l++) {
      for (int h = 0; h < one.his()[l].length; h++) {
        assertThat(many.his()[l][h]).isCloseTo(one.his()[l][h], within(1e-4 * one.his()[l][h]));
        assertThat(many.entropy()[l][h])
            .isCloseTo(one.entropy()[l][h], within(1e-5 * one.entropy()[l][h]));
      }
    }
  }

  private static List<HeadRef> golden(String path) {
    List<HeadRef> heads = new ArrayList<>();
    for (JsonNode pair : Fixtures.json(path)) {
      heads.add(new HeadRef(pair.get(0).asInt(), pair.get(1).asInt()));
    }
    return heads;
  }

  private static void assertMatches(ScoreTable table, JsonNode golden) {
    GoldenScores.assertMatches("ViT", table, golden);
  }
}
