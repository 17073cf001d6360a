package io.headprune.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.headprune.checkpoint.Checkpoint;
import io.headprune.checkpoint.DType;
import io.headprune.checkpoint.SafetensorsWriter;
import io.headprune.progress.Progress;
import io.headprune.pruning.CheckpointPruner;
import io.headprune.pruning.PruneMode;
import io.headprune.scoring.HeadRef;
import io.headprune.scoring.HeadScorer;
import io.headprune.scoring.ModelRunner;
import io.headprune.scoring.RawScores;
import io.headprune.support.Checkpoints;
import io.headprune.support.Fixtures;
import io.headprune.support.TinyBert;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * RoBERTa checked by equivalence: the tiny BERT fixture rewritten as a RoBERTa checkpoint
 * (positions shifted to start at pad + 1, BERT's pooler and classifier as RoBERTa's classification
 * head, one token type) computes the same function, so its logits and head scores must equal BERT's
 * — whose scores match the independent reference.
 */
class RobertaTest {

  @TempDir Path dir;

  /** The tiny BERT as RobertaForSequenceClassification, with pad_token_id 0. */
  private Path roberta() throws IOException {
    Path model = Fixtures.copy(Fixtures.tinyBert(), dir.resolve("roberta"));
    Checkpoints.rewrite(
        model,
        tensor -> {
          String name = tensor.name();
          if (name.equals("bert.embeddings.position_embeddings.weight")) {
            long[] shape =
                tensor.shape(); // (64, E) → (65, E): row p + 1 holds BERT's row p, row 0 (padding)
            // zeros
            ByteBuffer shifted =
                ByteBuffer.allocate((int) ((shape[0] + 1) * shape[1] * 4))
                    .order(ByteOrder.LITTLE_ENDIAN);
            shifted.position((int) (shape[1] * 4));
            shifted.put(tensor.data().duplicate()).flip();
            return new SafetensorsWriter.Tensor(
                "roberta.embeddings.position_embeddings.weight",
                DType.F32,
                new long[] {shape[0] + 1, shape[1]},
                shifted);
          }
          if (name.equals("bert.embeddings.token_type_embeddings.weight")) {
            long[] shape = tensor.shape(); // keep type 0 only, as RoBERTa's type_vocab_size 1
            ByteBuffer first = tensor.data().duplicate().limit((int) (shape[1] * 4));
            return new SafetensorsWriter.Tensor(
                "roberta.embeddings.token_type_embeddings.weight",
                DType.F32,
                new long[] {1, shape[1]},
                first.slice());
          }
          if (name.startsWith("bert.pooler.dense.")) {
            return Checkpoints.rename(
                tensor, name.replace("bert.pooler.dense.", "classifier.dense."));
          }
          if (name.startsWith("classifier.")) {
            return Checkpoints.rename(tensor, name.replace("classifier.", "classifier.out_proj."));
          }
          return Checkpoints.rename(tensor, name.replace("bert.", "roberta."));
        });
    Checkpoints.editConfig(
        model,
        config -> {
          config.put("model_type", "roberta");
          config.putArray("architectures").add("RobertaForSequenceClassification");
          config.put("max_position_embeddings", 65);
          config.put("type_vocab_size", 1);
          config.put("pad_token_id", 0);
        });
    return model;
  }

  @Test
  void robertaComputesTheSameLogitsAndScoresAsTheEquivalentBert() throws IOException {
    Path model = roberta();
    try (TinyBert bert = TinyBert.load();
        TinyBert roberta = TinyBert.load(model)) {
      assertThat(roberta.model.config().modelType()).isEqualTo("roberta");
      float[][] expected =
          ModelRunner.logits(bert.model, bert.evaluation, Set.of(), 64, Progress.NONE);
      float[][] actual =
          ModelRunner.logits(roberta.model, roberta.evaluation, Set.of(), 64, Progress.NONE);
      assertThat(Checkpoints.maxAbsDifference(actual, expected)).isLessThan(1e-5);
      RawScores bertScores = HeadScorer.score(bert.model, bert.calibration, 16, Progress.NONE);
      RawScores robertaScores =
          HeadScorer.score(roberta.model, roberta.calibration, 16, Progress.NONE);
      for (int l = 0; l < 4; l++) {
        for (int h = 0; h < 4; h++) {
          assertThat(robertaScores.his()[l][h])
              .isCloseTo(bertScores.his()[l][h], within(1e-4 * bertScores.his()[l][h]));
          assertThat(robertaScores.entropy()[l][h])
              .isCloseTo(bertScores.entropy()[l][h], within(1e-6 * bertScores.entropy()[l][h]));
        }
      }
    }
  }

  /**
   * XLM-RoBERTa is RoBERTa under another name (transformers copies every module and keeps the
   * roberta. prefix): the same checkpoint as xlm-roberta gives the same logits, scores and pruned
   * type.
   */
  @Test
  void xlmRobertaIsRobertaUnderAnotherName() throws IOException {
    Path model = roberta();
    Path xlm = Fixtures.copy(model, dir.resolve("xlm"));
    Checkpoints.editConfig(
        xlm,
        config -> {
          config.put("model_type", "xlm-roberta");
          config.putArray("architectures").add("XLMRobertaForSequenceClassification");
        });
    try (TinyBert roberta = TinyBert.load(model);
        TinyBert multilingual = TinyBert.load(xlm)) {
      assertThat(multilingual.model.config().modelType()).isEqualTo("xlm-roberta");
      float[][] expected =
          ModelRunner.logits(roberta.model, roberta.evaluation, Set.of(), 64, Progress.NONE);
      float[][] actual =
          ModelRunner.logits(
              multilingual.model, multilingual.evaluation, Set.of(), 64, Progress.NONE);
      assertThat(Checkpoints.maxAbsDifference(actual, expected)).isEqualTo(0.0);
      RawScores a = HeadScorer.score(roberta.model, roberta.calibration, 16, Progress.NONE);
      RawScores b =
          HeadScorer.score(multilingual.model, multilingual.calibration, 16, Progress.NONE);
      assertThat(b.his()).isDeepEqualTo(a.his());
      assertThat(b.entropy()).isDeepEqualTo(a.entropy());
    }
    Path pruned = dir.resolve("xlm-pruned");
    try (Checkpoint checkpoint = Models.open(xlm)) {
      CheckpointPruner.write(checkpoint, List.of(new HeadRef(1, 2)), PruneMode.PHYSICAL, pruned);
    }
    assertThat(Models.config(pruned).modelType()).isEqualTo("xlm-roberta");
    assertThat(Models.config(pruned).prunedHeads().get(1)).containsExactly(2);
  }

  @Test
  void prunedRobertaKeepsItsTypeAndGivesTheGatedLogits() throws IOException {
    Path model = roberta();
    List<HeadRef> heads =
        List.of(new HeadRef(0, 3), new HeadRef(2, 0), new HeadRef(2, 1), new HeadRef(3, 2));
    Path pruned = dir.resolve("pruned");
    try (Checkpoint checkpoint = Models.open(model)) {
      CheckpointPruner.write(checkpoint, heads, PruneMode.PHYSICAL, pruned);
    }
    for (String data : List.of("calib.jsonl", "eval.jsonl")) {
      Files.copy(model.resolve(data), pruned.resolve(data));
    }
    assertThat(Models.config(pruned).modelType()).isEqualTo("roberta");
    assertThat(Models.config(pruned).prunedHeads().get(2)).containsExactly(0, 1);
    try (TinyBert original = TinyBert.load(model);
        TinyBert smaller = TinyBert.load(pruned)) {
      float[][] gated =
          ModelRunner.logits(
              original.model, original.evaluation, Set.copyOf(heads), 64, Progress.NONE);
      float[][] physical =
          ModelRunner.logits(smaller.model, smaller.evaluation, Set.of(), 64, Progress.NONE);
      assertThat(Checkpoints.maxAbsDifference(physical, gated)).isLessThan(1e-4);
      assertThat(smaller.model.parameters()).isLessThan(original.model.parameters());
    }
  }
}
