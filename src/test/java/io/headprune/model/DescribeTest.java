package io.headprune.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import io.headprune.checkpoint.Checkpoint;
import io.headprune.checkpoint.DType;
import io.headprune.checkpoint.SafetensorsWriter;
import io.headprune.problem.InvalidInputException;
import io.headprune.support.Checkpoints;
import io.headprune.support.Fixtures;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * An upload is checked as loading checks it — every weight's name, shape and dtype — without
 * reading tensor data: the description equals what a full load reports, and a bad weight is refused
 * by name all the same.
 */
class DescribeTest {

  @TempDir Path dir;

  @ParameterizedTest
  @ValueSource(
      strings = {
        "tiny-bert-order",
        "tiny-vit-shapes",
        "tiny-gpt2",
        "tiny-llama-gqa",
        "random-mistral-gqa"
      })
  void aDescriptionEqualsWhatLoadingReports(String fixture) {
    try (Checkpoint checkpoint = Models.open(Fixtures.resource("fixtures/" + fixture));
        HeadModel loaded = Models.load(checkpoint, Device.cpu())) {
      Models.Description description = Models.describe(checkpoint);
      assertThat(description.heads()).isDeepEqualTo(loaded.heads());
      assertThat(description.parameters()).isEqualTo(loaded.parameters());
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"tiny-llama-gqa"})
  void aWeightOfTheWrongShapeIsRefusedWithoutReadingData(String fixture) {
    Path model = Fixtures.copy(Fixtures.resource("fixtures/" + fixture), dir.resolve("broken"));
    Checkpoints.rewrite(
        model,
        tensor ->
            tensor.name().equals("model.layers.1.self_attn.k_proj.weight")
                ? new SafetensorsWriter.Tensor(
                    tensor.name(),
                    DType.F32,
                    new long[] {8, 64},
                    tensor.data().slice(0, 8 * 64 * 4))
                : tensor);
    try (Checkpoint checkpoint = Models.open(model)) {
      assertThatThrownBy(() -> Models.describe(checkpoint))
          .isInstanceOf(InvalidInputException.class)
          .hasMessageContaining(
              "weight 'model.layers.1.self_attn.k_proj.weight' has shape [8, 64], expected [16, 64]");
    }
  }
}
