package io.headprune.pruning;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.headprune.checkpoint.Checkpoint;
import io.headprune.checkpoint.DType;
import io.headprune.checkpoint.ModelConfig;
import io.headprune.checkpoint.SafetensorsFile;
import io.headprune.model.Models;
import io.headprune.problem.InvalidInputException;
import io.headprune.progress.Progress;
import io.headprune.scoring.HeadRef;
import io.headprune.scoring.ModelRunner;
import io.headprune.support.Checkpoints;
import io.headprune.support.Fixtures;
import io.headprune.support.TinyBert;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PrunedCheckpointTest {

  /** The heads the reference selects at sparsity 0.5 with HIES (golden/select-hies-0.5.json). */
  private static final List<HeadRef> HEADS =
      List.of(
          new HeadRef(0, 3),
          new HeadRef(1, 1),
          new HeadRef(2, 0),
          new HeadRef(2, 1),
          new HeadRef(2, 2),
          new HeadRef(3, 0),
          new HeadRef(3, 2),
          new HeadRef(3, 3));

  @TempDir Path dir;

  private static float[][] logits(Path model, Set<HeadRef> gatedOff) {
    try (TinyBert tiny = TinyBert.load(model)) {
      return ModelRunner.logits(tiny.model, tiny.evaluation, gatedOff, 64, Progress.NONE);
    }
  }

  private Path write(Path source, PruneMode mode) {
    Path target = dir.resolve(mode.name().toLowerCase());
    try (Checkpoint checkpoint = Models.open(source)) {
      CheckpointPruner.write(checkpoint, HEADS, mode, target);
    }
    Fixtures.copy(
        Fixtures.tinyBert(),
        dir.resolve("data-" + mode)); // eval.jsonl beside the model for TinyBert
    for (String data : List.of("calib.jsonl", "eval.jsonl")) {
      try {
        Files.copy(Fixtures.tinyBert().resolve(data), target.resolve(data));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return target;
  }

  @Test
  void prunedModelGivesTheGatedModelsLogits() {
    Path pruned = write(Fixtures.tinyBert(), PruneMode.PHYSICAL);
    ModelConfig config = Models.config(pruned);
    assertThat(config.prunedHeads().get(2)).containsExactly(0, 1, 2);
    assertThat(config.attentionHeads()).isEqualTo(4);
    try (SafetensorsFile file = SafetensorsFile.open(pruned.resolve("model.safetensors"))) {
      assertThat(file.tensors().get("bert.encoder.layer.2.attention.self.query.weight").shape())
          .containsExactly(16, 64);
      assertThat(file.tensors().get("bert.encoder.layer.3.attention.output.dense.weight").shape())
          .containsExactly(64, 16);
      assertThat(file.metadata()).containsEntry("format", "pt");
    }
    assertThat(
            Checkpoints.maxAbsDifference(
                logits(pruned, Set.of()), logits(Fixtures.tinyBert(), Set.copyOf(HEADS))))
        .isLessThan(1e-4);
  }

  @Test
  void maskedModelKeepsShapesAndGivesTheGatedModelsLogits() {
    Path masked = write(Fixtures.tinyBert(), PruneMode.MASKED);
    assertThat(Models.config(masked).prunedHeads()).isEmpty();
    assertThat(
            Checkpoints.maxAbsDifference(
                logits(masked, Set.of()), logits(Fixtures.tinyBert(), Set.copyOf(HEADS))))
        .isLessThan(1e-4);
  }

  @Test
  void pruningAnAlreadyPrunedCheckpointAccumulatesPrunedHeads() {
    Path target = dir.resolve("again");
    try (Checkpoint checkpoint = Models.open(Fixtures.tinyBertPruned())) {
      CheckpointPruner.write(
          checkpoint, List.of(new HeadRef(2, 1), new HeadRef(3, 3)), PruneMode.PHYSICAL, target);
    }
    ModelConfig config = Models.config(target);
    assertThat(config.prunedHeads().get(2)).containsExactly(1, 3);
    assertThat(config.prunedHeads().get(3)).containsExactly(0, 3);
    assertThat(config.remainingHeads(3)).containsExactly(1, 2);
  }

  @Test
  void halfPrecisionWeightsKeepTheirDtype() {
    Path model = Fixtures.copy(Fixtures.tinyBert(), dir.resolve("f16"));
    Checkpoints.rewrite(model, t -> Checkpoints.narrow(t, DType.F16));
    Path target = dir.resolve("f16-pruned");
    try (Checkpoint checkpoint = Models.open(model)) {
      CheckpointPruner.write(checkpoint, HEADS, PruneMode.PHYSICAL, target);
    }
    try (SafetensorsFile file = SafetensorsFile.open(target.resolve("model.safetensors"))) {
      assertThat(file.tensors().values()).allMatch(t -> t.dtype() == DType.F16);
    }
  }

  @Test
  void removingEveryHeadOfALayerIsRefusedAndLeavesNothingBehind() {
    Path target = dir.resolve("bad");
    try (Checkpoint checkpoint = Models.open(Fixtures.tinyBert())) {
      List<HeadRef> all =
          List.of(new HeadRef(1, 0), new HeadRef(1, 1), new HeadRef(1, 2), new HeadRef(1, 3));
      assertThatThrownBy(() -> CheckpointPruner.write(checkpoint, all, PruneMode.PHYSICAL, target))
          .isInstanceOf(InvalidInputException.class)
          .hasMessageContaining("every head of layer 1");
    }
    assertThat(target).doesNotExist();
    assertThat(dir.resolve("bad.partial")).doesNotExist();
  }
}
