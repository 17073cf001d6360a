package io.headprune.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.headprune.checkpoint.Checkpoint;
import io.headprune.problem.InvalidInputException;
import io.headprune.problem.UnsupportedModelException;
import io.headprune.progress.Progress;
import io.headprune.pruning.CheckpointPruner;
import io.headprune.pruning.PruneMode;
import io.headprune.scoring.HeadRef;
import io.headprune.scoring.ModelRunner;
import io.headprune.scoring.Predictions;
import io.headprune.support.Checkpoints;
import io.headprune.support.Fixtures;
import io.headprune.support.TinyVit;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * ViT against the reference (shared/reference/vit_ref.py): logits, evaluation, pruned and masked
 * outputs.
 */
class VitTest {

  private static final List<HeadRef> HEADS =
      List.of(
          new HeadRef(0, 0),
          new HeadRef(0, 1),
          new HeadRef(1, 1),
          new HeadRef(1, 3),
          new HeadRef(2, 1));

  private static TinyVit vit;

  @TempDir Path dir;

  @BeforeAll
  static void load() {
    vit = TinyVit.load();
  }

  @AfterAll
  static void close() {
    vit.close();
  }

  @Test
  void evalLogitsEqualTheReference() {
    JsonNode expected = Fixtures.json("fixtures/tiny-vit-shapes/expected_outputs.json");
    assertThat(vit.model).isInstanceOf(Vit.class);
    float[][] logits = ModelRunner.logits(vit.model, vit.evaluation, Set.of(), 64, Progress.NONE);
    double worst = 0;
    for (int i = 0; i < logits.length; i++) {
      for (int c = 0; c < 2; c++) {
        double want = expected.get("logits").get(i).get(c).asDouble();
        worst = Math.max(worst, Math.abs(logits[i][c] - want));
        assertThat((double) logits[i][c])
            .as("image %d class %d", i, c)
            .isCloseTo(want, within(1e-4));
      }
    }
    double accuracy = Predictions.accuracy(Predictions.predicted(logits, false), vit.evaluation);
    assertThat(accuracy).isEqualTo(expected.get("accuracy").asDouble());
    System.out.printf(
        "ViT parity: worst |logit difference| %.3e over %d images%n", worst, logits.length);
  }

  @Test
  void gatedEvaluationEqualsTheReferences() {
    // vit_ref.py evaluate … --pruned '[[0,0],[0,1],[1,1],[1,3],[2,1]]'
    JsonNode expected = Fixtures.json("golden/evaluate-vit-0.0-0.1-1.1-1.3-2.1.json");
    double[] dense =
        Predictions.predicted(
            ModelRunner.logits(vit.model, vit.evaluation, Set.of(), 64, Progress.NONE), false);
    double[] gated =
        Predictions.predicted(
            ModelRunner.logits(vit.model, vit.evaluation, Set.copyOf(HEADS), 64, Progress.NONE),
            false);
    assertThat(Predictions.accuracy(gated, vit.evaluation))
        .isEqualTo(expected.get("accuracy").asDouble());
    assertThat(Predictions.agreement(gated, dense)).isEqualTo(expected.get("agreement").asDouble());
  }

  @Test
  void prunedAndMaskedOutputsReloadAndGiveTheGatedLogits() throws Exception {
    try (Checkpoint checkpoint = Models.open(TinyVit.directory())) {
      CheckpointPruner.write(checkpoint, HEADS, PruneMode.PHYSICAL, dir.resolve("pruned"));
      CheckpointPruner.write(checkpoint, HEADS, PruneMode.MASKED, dir.resolve("masked"));
    }
    assertThat(Models.config(dir.resolve("pruned")).prunedHeads().get(1)).containsExactly(1, 3);
    assertThat(dir.resolve("pruned/preprocessor_config.json")).exists();
    float[][] gated =
        ModelRunner.logits(vit.model, vit.evaluation, Set.copyOf(HEADS), 64, Progress.NONE);
    for (String kind : List.of("pruned", "masked")) {
      try (TinyVit reloaded = TinyVit.load(dir.resolve(kind))) {
        if (kind.equals("pruned")) {
          assertThat(reloaded.model.heads()).isDeepEqualTo(new int[][] {{2, 3}, {0, 2}, {0, 2, 3}});
          assertThat(reloaded.model.parameters()).isLessThan(vit.model.parameters());
        }
        float[][] logits =
            ModelRunner.logits(reloaded.model, reloaded.evaluation, Set.of(), 64, Progress.NONE);
        assertThat(Checkpoints.maxAbsDifference(logits, gated)).as(kind).isLessThan(1e-4);
      }
    }
  }

  @Test
  void anImageSizeOtherThanTheConfigsIsRefused() throws Exception {
    Path model = Fixtures.copy(TinyVit.directory(), dir.resolve("vit"));
    Files.writeString(
        model.resolve("preprocessor_config.json"),
        Files.readString(model.resolve("preprocessor_config.json"))
            .replace("\"height\": 16", "\"height\": 20")
            .replace("\"width\": 16", "\"width\": 20"));
    try (TinyVit resized = TinyVit.load(model)) {
      assertThatThrownBy(
              () ->
                  ModelRunner.logits(
                      resized.model, resized.evaluation, Set.of(), 64, Progress.NONE))
          .isInstanceOf(InvalidInputException.class)
          .hasMessageContaining("image_size is 16")
          .hasMessageContaining("not interpolated");
    }
  }

  @Test
  void activationsOtherThanErfGeluAreRefusedByName() throws Exception {
    Path model = Fixtures.copy(TinyVit.directory(), dir.resolve("vit"));
    Checkpoints.editConfig(model, config -> config.put("hidden_act", "gelu_new"));
    assertThatThrownBy(() -> Models.config(model))
        .isInstanceOf(UnsupportedModelException.class)
        .hasMessage("config.json: hidden_act 'gelu_new' is not supported (gelu)");
  }
}
