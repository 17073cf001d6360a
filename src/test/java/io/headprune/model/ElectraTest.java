package io.headprune.model;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import io.headprune.checkpoint.Checkpoint;
import io.headprune.progress.Progress;
import io.headprune.pruning.CheckpointPruner;
import io.headprune.pruning.PruneMode;
import io.headprune.scoring.Criterion;
import io.headprune.scoring.HeadRef;
import io.headprune.scoring.HeadScore;
import io.headprune.scoring.HeadScorer;
import io.headprune.scoring.HeadSelector;
import io.headprune.scoring.Inputs;
import io.headprune.scoring.ModelRunner;
import io.headprune.scoring.Normalization;
import io.headprune.scoring.ScoreTable;
import io.headprune.support.Checkpoints;
import io.headprune.support.Fixtures;
import io.headprune.support.GoldenScores;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * ELECTRA against golden values from an independent plain-PyTorch ElectraForSequenceClassification
 * (golden/tools/electra_fixture.py, written from transformers' modeling_electra.py on the shared
 * reference's BERT layers): embedding_size 16 projected to hidden 32, the GELU head; logits, HIS,
 * AE and the 0.5 selection; pruned/ (pruned_heads) and masked/ give the gated logits.
 */
class ElectraTest {

  private static final Path MODEL = Fixtures.resource("fixtures/random-electra");
  private static final JsonNode GOLDEN = Fixtures.json("golden/random-electra.json");

  @TempDir Path dir;

  @Test
  void logitsScoresAndSelectionEqualTheIndependentPath() {
    try (Checkpoint checkpoint = Models.open(MODEL);
        HeadModel model = Models.load(checkpoint, Device.cpu());
        Inputs inputs = Inputs.open(checkpoint, 128)) {
      assertThat(model.config().modelType()).isEqualTo("electra");
      float[][] logits =
          ModelRunner.logits(
              model, inputs.read(MODEL.resolve("eval.jsonl")), Set.of(), 16, Progress.NONE);
      assertThat(Checkpoints.maxAbsDifference(logits, expected())).isLessThan(1e-4);
      for (int batchSize : new int[] {1, 7}) {
        ScoreTable table =
            ScoreTable.of(
                HeadScorer.score(
                    model, inputs.read(MODEL.resolve("calib.jsonl")), batchSize, Progress.NONE),
                0.5,
                Normalization.GLOBAL);
        GoldenScores.assertMatches(
            "electra batch " + batchSize,
            table,
            Fixtures.jsonFile(MODEL.resolve("golden-scores.json")));
        List<HeadRef> all = table.heads().stream().map(HeadScore::ref).toList();
        assertThat(HeadSelector.select(all, Criterion.HIES.scores(table, h -> 0, 0), 0.5, 1))
            .isEqualTo(selection());
      }
    }
  }

  @Test
  void prunedAndMaskedGiveTheGatedLogits() {
    List<HeadRef> heads = selection();
    try (Checkpoint checkpoint = Models.open(MODEL)) {
      CheckpointPruner.write(checkpoint, heads, PruneMode.PHYSICAL, dir.resolve("pruned"));
      CheckpointPruner.write(checkpoint, heads, PruneMode.MASKED, dir.resolve("masked"));
    }
    assertThat(Models.config(dir.resolve("pruned")).prunedHeads()).isNotEmpty();
    float[][] gated = logits(MODEL, heads);
    assertThat(Checkpoints.maxAbsDifference(logits(dir.resolve("pruned"), List.of()), gated))
        .isLessThan(1e-4);
    assertThat(Checkpoints.maxAbsDifference(logits(dir.resolve("masked"), List.of()), gated))
        .isLessThan(1e-4);
  }

  private static float[][] logits(Path dir, List<HeadRef> gatedOff) {
    try (Checkpoint checkpoint = Models.open(dir);
        HeadModel model = Models.load(checkpoint, Device.cpu());
        Inputs inputs = Inputs.open(checkpoint, 128)) {
      return ModelRunner.logits(
          model, inputs.read(MODEL.resolve("eval.jsonl")), Set.copyOf(gatedOff), 16, Progress.NONE);
    }
  }

  private static float[][] expected() {
    JsonNode rows = GOLDEN.get("evalLogits");
    float[][] out = new float[rows.size()][];
    for (int i = 0; i < rows.size(); i++) {
      out[i] = new float[rows.get(i).size()];
      for (int j = 0; j < out[i].length; j++) {
        out[i][j] = (float) rows.get(i).get(j).asDouble();
      }
    }
    return out;
  }

  private static List<HeadRef> selection() {
    List<HeadRef> heads = new ArrayList<>();
    for (JsonNode pair : GOLDEN.get("select-hies-0.5")) {
      heads.add(new HeadRef(pair.get(0).asInt(), pair.get(1).asInt()));
    }
    return heads;
  }
}
