package io.headprune.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import io.headprune.checkpoint.Checkpoint;
import io.headprune.checkpoint.DType;
import io.headprune.checkpoint.Json;
import io.headprune.checkpoint.SafetensorsFile;
import io.headprune.checkpoint.SafetensorsWriter;
import io.headprune.checkpoint.TensorInfo;
import io.headprune.problem.InvalidInputException;
import io.headprune.progress.Progress;
import io.headprune.scoring.ModelRunner;
import io.headprune.support.Checkpoints;
import io.headprune.support.Fixtures;
import io.headprune.support.TinyBert;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BertLoadingTest {

  @TempDir Path dir;

  private Path copy() {
    return Fixtures.copy(Fixtures.tinyBert(), dir.resolve("model"));
  }

  private static void load(Path model) {
    try (Checkpoint checkpoint = Models.open(model);
        HeadModel bert = Models.load(checkpoint, Device.cpu())) {
      assertThat(bert.parameters()).isPositive();
    }
  }

  @Test
  void aMissingWeightIsNamed() {
    Path model = copy();
    Checkpoints.rewrite(
        model, t -> t.name().equals("bert.encoder.layer.2.attention.self.key.bias") ? null : t);
    assertThatThrownBy(() -> load(model))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("missing weight 'bert.encoder.layer.2.attention.self.key.bias' [64]");
  }

  @Test
  void aWeightOfTheWrongShapeIsNamed() {
    Path model = copy();
    Checkpoints.rewrite(
        model,
        t ->
            t.name().equals("bert.pooler.dense.bias")
                ? new SafetensorsWriter.Tensor(t.name(), t.dtype(), new long[] {8, 8}, t.data())
                : t);
    assertThatThrownBy(() -> load(model))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("weight 'bert.pooler.dense.bias' has shape [8, 8], expected [64]");
  }

  @Test
  void hiddenSizeNotDivisibleByHeadsIsRejected() {
    Path model = copy();
    Checkpoints.editConfig(model, c -> c.put("num_attention_heads", 5));
    assertThatThrownBy(() -> load(model))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("hidden_size 64 is not divisible by num_attention_heads 5");
  }

  @Test
  void multiLabelHeadsAreRefusedRatherThanScoredWithTheWrongLoss() {
    Path model = copy();
    Checkpoints.editConfig(model, c -> c.put("problem_type", "multi_label_classification"));
    assertThatThrownBy(() -> load(model))
        .hasMessageContaining("multi_label_classification is not supported");
  }

  @Test
  void absurdDimensionsAreRejectedBeforeAnyAllocation() {
    Path model = copy();
    Checkpoints.editConfig(model, c -> c.put("vocab_size", 4_000_000_000L));
    assertThatThrownBy(() -> load(model))
        .hasMessageContaining("vocab_size = 4000000000 is outside");
  }

  @Test
  void half16AndBfloat16WeightsLoadAndComputeInFloat32() {
    float[][] reference;
    try (TinyBert tiny = TinyBert.load()) {
      reference =
          ModelRunner.logits(
              tiny.model, tiny.evaluation.subList(0, 64), Set.of(), 64, Progress.NONE);
    }
    for (DType type : List.of(DType.F16, DType.BF16)) {
      Path model = Fixtures.copy(Fixtures.tinyBert(), dir.resolve(type.name()));
      Checkpoints.rewrite(model, t -> Checkpoints.narrow(t, type));
      try (TinyBert narrowed = TinyBert.load(model)) {
        float[][] logits =
            ModelRunner.logits(
                narrowed.model, narrowed.evaluation.subList(0, 64), Set.of(), 64, Progress.NONE);
        for (int i = 0; i < logits.length; i++) {
          for (int c = 0; c < 2; c++) {
            // rounding the weights to 11 (F16) or 8 (BF16) mantissa bits moves logits a little, not
            // a lot
            assertThat(Math.abs(logits[i][c] - reference[i][c]))
                .isLessThan(type == DType.F16 ? 0.05f : 0.5f);
          }
        }
      }
    }
  }

  @Test
  void shardedCheckpointsLoadThroughTheirIndex() throws IOException {
    Path model = copy();
    Path single = model.resolve("model.safetensors");
    List<SafetensorsWriter.Tensor> first = new ArrayList<>();
    List<SafetensorsWriter.Tensor> second = new ArrayList<>();
    var index = Json.MAPPER.createObjectNode();
    var weightMap = index.putObject("weight_map");
    try (SafetensorsFile file = SafetensorsFile.open(single)) {
      int i = 0;
      for (TensorInfo info : file.tensors().values()) {
        var bytes = ByteBuffer.allocate((int) info.byteLength());
        bytes.put(file.bytes(info.name())).flip();
        String shard =
            i++ % 2 == 0 ? "model-00001-of-00002.safetensors" : "model-00002-of-00002.safetensors";
        (shard.contains("00001-of") ? first : second)
            .add(new SafetensorsWriter.Tensor(info.name(), info.dtype(), info.shape(), bytes));
        weightMap.put(info.name(), shard);
      }
    }
    SafetensorsWriter.write(model.resolve("model-00001-of-00002.safetensors"), first);
    SafetensorsWriter.write(model.resolve("model-00002-of-00002.safetensors"), second);
    Files.writeString(model.resolve("model.safetensors.index.json"), index.toString());
    Files.delete(single);
    float[][] sharded;
    float[][] reference;
    try (TinyBert tiny = TinyBert.load(model)) {
      sharded =
          ModelRunner.logits(
              tiny.model, tiny.evaluation.subList(0, 32), Set.of(), 32, Progress.NONE);
    }
    try (TinyBert tiny = TinyBert.load()) {
      reference =
          ModelRunner.logits(
              tiny.model, tiny.evaluation.subList(0, 32), Set.of(), 32, Progress.NONE);
    }
    assertThat(sharded).isDeepEqualTo(reference);
  }
}
