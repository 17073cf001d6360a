package io.headprune.scoring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.headprune.progress.Progress;
import io.headprune.support.Fixtures;
import io.headprune.support.TinyBert;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * Parity with the independent plain-PyTorch reference (shared/reference/hies_ref.py), whose outputs
 * on the tiny BERT fixture are committed under src/test/resources/golden.
 */
class GoldenScoresTest {

  private static TinyBert tiny;
  private static RawScores raw;

  @BeforeAll
  static void scoreOnce() {
    tiny = TinyBert.load();
    raw = HeadScorer.score(tiny.model, tiny.calibration, 16, Progress.NONE);
  }

  @AfterAll
  static void close() {
    tiny.close();
  }

  @Test
  void scoresMatchTheReferenceWithGlobalNormalisation() {
    assertMatches(
        ScoreTable.of(raw, 0.5, Normalization.GLOBAL), Fixtures.json("golden/scores-global.json"));
  }

  @Test
  void scoresMatchTheReferenceWithLayerNormalisationAndAlpha03() {
    assertMatches(
        ScoreTable.of(raw, 0.3, Normalization.LAYER),
        Fixtures.json("golden/scores-layer-a03.json"));
  }

  @Test
  void selectionAtHalfSparsityMatchesTheReferenceForEachCriterion() {
    ScoreTable table = ScoreTable.of(raw, 0.5, Normalization.GLOBAL);
    List<HeadRef> heads = table.heads().stream().map(HeadScore::ref).toList();
    for (Criterion criterion : List.of(Criterion.HIES, Criterion.HIS, Criterion.ENTROPY)) {
      double[] scores =
          criterion.scores(
              table, Criterion.weightNorms(tiny.model.heads(), tiny.model.headWeightNorms()), 0);
      List<HeadRef> selected = HeadSelector.select(heads, scores, 0.5, 1);
      assertThat(selected)
          .as(criterion.id())
          .isEqualTo(golden("golden/select-" + criterion.id() + "-0.5.json"));
    }
  }

  @Test
  void batchSizeDoesNotChangeTheScores() {
    for (int batchSize : new int[] {1, 7, 32}) {
      RawScores other = HeadScorer.score(tiny.model, tiny.calibration, batchSize, Progress.NONE);
      for (int l = 0; l < raw.his().length; l++) {
        for (int h = 0; h < raw.his()[l].length; h++) {
          assertThat(other.his()[l][h]).isCloseTo(raw.his()[l][h], within(1e-4 * raw.his()[l][h]));
          assertThat(other.entropy()[l][h])
              .isCloseTo(raw.entropy()[l][h], within(1e-4 * raw.entropy()[l][h]));
        }
      }
    }
  }

  @Test
  void aModelOfOtherShapesInHalfPrecisionMatchesTheReferenceToo() {
    try (TinyBert other = TinyBert.loadCalibration(Fixtures.resource("fixtures/random-bert-3x6"))) {
      RawScores scores = HeadScorer.score(other.model, other.calibration, 16, Progress.NONE);
      ScoreTable table = ScoreTable.of(scores, 0.5, Normalization.GLOBAL);
      assertMatches(table, Fixtures.json("golden/scores-random-bert-3x6.json"));
      List<HeadRef> heads = table.heads().stream().map(HeadScore::ref).toList();
      double[] hies = Criterion.HIES.scores(table, head -> 0, 0);
      assertThat(HeadSelector.select(heads, hies, 0.4, 1))
          .isEqualTo(golden("golden/select-random-bert-3x6-0.4.json"));
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
    JsonNode heads = golden.get("heads");
    assertThat(table.examples()).isEqualTo(golden.get("examples").asInt());
    assertThat(table.heads()).hasSize(heads.size());
    double worstHis = 0;
    double worstEntropy = 0;
    for (int i = 0; i < heads.size(); i++) {
      JsonNode want = heads.get(i);
      HeadScore got = table.heads().get(i);
      assertThat(got.layer()).isEqualTo(want.get("layer").asInt());
      assertThat(got.head()).isEqualTo(want.get("head").asInt());
      double his = want.get("his").asDouble();
      double entropy = want.get("entropy").asDouble();
      worstHis = Math.max(worstHis, Math.abs(got.his() - his) / his);
      worstEntropy = Math.max(worstEntropy, Math.abs(got.entropy() - entropy) / entropy);
      assertThat(got.his()).as("his %s", got.ref()).isCloseTo(his, within(1e-3 * his));
      assertThat(got.entropy())
          .as("entropy %s", got.ref())
          .isCloseTo(entropy, within(1e-4 * entropy));
      assertThat(got.entropyNorm()).isCloseTo(want.get("entropyNorm").asDouble(), within(1e-4));
      assertThat(got.hisNorm()).isCloseTo(want.get("hisNorm").asDouble(), within(1e-3));
      assertThat(got.hies()).isCloseTo(want.get("hies").asDouble(), within(1e-3));
    }
    System.out.printf(
        "parity: worst relative HIS %.3e, worst relative entropy %.3e%n", worstHis, worstEntropy);
  }
}
