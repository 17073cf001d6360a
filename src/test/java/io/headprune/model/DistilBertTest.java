package io.headprune.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.headprune.checkpoint.Checkpoint;
import io.headprune.checkpoint.DType;
import io.headprune.checkpoint.SafetensorsFile;
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
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * DistilBERT checked against BERT where the two compute the same thing: the tiny BERT fixture
 * rewritten with DistilBERT's names (token type 0 folded into the word embeddings) has the same
 * encoder, so its attention entropies equal BERT's — whose match the independent reference. Its
 * head (ReLU instead of tanh) differs, so logits are checked for consistency: across batch sizes,
 * and pruned or masked against gated.
 */
class DistilBertTest {

  private static final Map<String, String> LAYER_NAMES =
      Map.of(
          "attention.self.query", "attention.q_lin",
          "attention.self.key", "attention.k_lin",
          "attention.self.value", "attention.v_lin",
          "attention.output.dense", "attention.out_lin",
          "attention.output.LayerNorm", "sa_layer_norm",
          "intermediate.dense", "ffn.lin1",
          "output.dense", "ffn.lin2",
          "output.LayerNorm", "output_layer_norm");

  @TempDir Path dir;

  private Path distilbert() throws IOException {
    Path model = Fixtures.copy(Fixtures.tinyBert(), dir.resolve("distilbert"));
    float[] typeZero;
    try (SafetensorsFile file = SafetensorsFile.open(model.resolve("model.safetensors"))) {
      ByteBuffer types = file.bytes("bert.embeddings.token_type_embeddings.weight");
      typeZero = new float[64];
      for (int i = 0; i < 64; i++) {
        typeZero[i] = types.getFloat(i * 4);
      }
    }
    Checkpoints.rewrite(
        model,
        tensor -> {
          String name = tensor.name();
          if (name.equals("bert.embeddings.token_type_embeddings.weight")) {
            return null;
          }
          if (name.equals("bert.embeddings.word_embeddings.weight")) {
            ByteBuffer in = tensor.data().duplicate().order(ByteOrder.LITTLE_ENDIAN);
            ByteBuffer out = ByteBuffer.allocate(in.remaining()).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < in.remaining() / 4; i++) {
              out.putFloat(in.getFloat(i * 4) + typeZero[i % 64]); // every text has token type 0
            }
            return new SafetensorsWriter.Tensor(
                "distilbert.embeddings.word_embeddings.weight",
                DType.F32,
                tensor.shape(),
                out.flip());
          }
          if (name.startsWith("bert.pooler.dense.")) {
            return Checkpoints.rename(
                tensor, name.replace("bert.pooler.dense.", "pre_classifier."));
          }
          if (name.startsWith("bert.encoder.layer.")) {
            String rest = name.substring("bert.encoder.layer.".length());
            String layer = rest.substring(0, rest.indexOf('.'));
            String part = rest.substring(layer.length() + 1, rest.lastIndexOf('.'));
            String kind = rest.substring(rest.lastIndexOf('.'));
            return Checkpoints.rename(
                tensor,
                "distilbert.transformer.layer." + layer + "." + LAYER_NAMES.get(part) + kind);
          }
          return Checkpoints.rename(
              tensor, name.replace("bert.embeddings.", "distilbert.embeddings."));
        });
    Checkpoints.editConfig(
        model,
        config -> {
          config.put("model_type", "distilbert");
          config.putArray("architectures").add("DistilBertForSequenceClassification");
          config
              .put("dim", 64)
              .put("n_heads", 4)
              .put("n_layers", 4)
              .put("hidden_dim", 128)
              .put("activation", "gelu");
          for (String bertOnly :
              List.of(
                  "hidden_size",
                  "num_attention_heads",
                  "num_hidden_layers",
                  "intermediate_size",
                  "hidden_act",
                  "type_vocab_size")) {
            config.remove(bertOnly);
          }
        });
    return model;
  }

  @Test
  void theEncoderMatchesBertsAttentionEntropiesAndLogitsAreConsistent() throws IOException {
    Path model = distilbert();
    try (TinyBert bert = TinyBert.load();
        TinyBert distil = TinyBert.load(model)) {
      assertThat(distil.model.config().modelType()).isEqualTo("distilbert");
      assertThat(distil.model.parameters()).isEqualTo(bert.model.parameters() - 2 * 64);
      RawScores expected = HeadScorer.score(bert.model, bert.calibration, 16, Progress.NONE);
      RawScores actual = HeadScorer.score(distil.model, distil.calibration, 16, Progress.NONE);
      for (int l = 0; l < 4; l++) {
        for (int h = 0; h < 4; h++) {
          assertThat(actual.entropy()[l][h])
              .isCloseTo(expected.entropy()[l][h], within(1e-6 * expected.entropy()[l][h]));
          assertThat(actual.his()[l][h]).isPositive().isFinite();
        }
      }
      float[][] batched =
          ModelRunner.logits(distil.model, distil.evaluation, Set.of(), 64, Progress.NONE);
      float[][] single =
          ModelRunner.logits(
              distil.model, distil.evaluation.subList(0, 32), Set.of(), 1, Progress.NONE);
      assertThat(Checkpoints.maxAbsDifference(single, Arrays.copyOf(batched, 32))).isLessThan(1e-5);
    }
  }

  @Test
  void theClassificationHeadGivesTheReferenceLogits() throws IOException {
    // golden/tools/distilbert_head_logits.py: the reference's BERT encoder under
    // relu(pre_classifier), classifier
    JsonNode golden = Fixtures.json("golden/distilbert-head-logits.json").get("logits");
    try (TinyBert distil = TinyBert.load(distilbert())) {
      float[][] logits =
          ModelRunner.logits(distil.model, distil.evaluation, Set.of(), 64, Progress.NONE);
      assertThat(logits.length).isEqualTo(golden.size());
      for (int i = 0; i < logits.length; i++) {
        for (int c = 0; c < logits[i].length; c++) {
          assertThat((double) logits[i][c])
              .as("example %d class %d", i, c)
              .isCloseTo(golden.get(i).get(c).asDouble(), within(1e-4));
        }
      }
    }
  }

  @Test
  void prunedAndMaskedDistilbertGiveTheGatedLogits() throws IOException {
    Path model = distilbert();
    List<HeadRef> heads =
        List.of(new HeadRef(0, 1), new HeadRef(1, 2), new HeadRef(3, 0), new HeadRef(3, 3));
    try (Checkpoint checkpoint = Models.open(model)) {
      CheckpointPruner.write(checkpoint, heads, PruneMode.PHYSICAL, dir.resolve("pruned"));
      CheckpointPruner.write(checkpoint, heads, PruneMode.MASKED, dir.resolve("masked"));
    }
    assertThat(Models.config(dir.resolve("pruned")).prunedHeads().get(3)).containsExactly(0, 3);
    try (TinyBert original = TinyBert.load(model)) {
      float[][] gated =
          ModelRunner.logits(
              original.model, original.evaluation, Set.copyOf(heads), 64, Progress.NONE);
      for (String kind : List.of("pruned", "masked")) {
        Path out = dir.resolve(kind);
        for (String data : List.of("calib.jsonl", "eval.jsonl")) {
          Files.copy(model.resolve(data), out.resolve(data));
        }
        try (TinyBert reloaded = TinyBert.load(out)) {
          float[][] logits =
              ModelRunner.logits(reloaded.model, reloaded.evaluation, Set.of(), 64, Progress.NONE);
          assertThat(Checkpoints.maxAbsDifference(logits, gated)).as(kind).isLessThan(1e-4);
        }
      }
    }
  }
}
