package io.headprune.scoring;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.headprune.checkpoint.Checkpoint;
import io.headprune.model.Batch;
import io.headprune.model.HeadModel;
import io.headprune.model.Models;
import io.headprune.support.Fixtures;
import io.headprune.support.TinyBert;
import io.headprune.support.TinyVit;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;
import org.assertj.core.api.Assertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Inference's logits path ({@link HeadModel#logits}) skips work the scoring forward does — the rows
 * of the last layer the classifier never reads, and heads a batch-wide gate turns off, which it
 * runs without instead of multiplying by zero — and must give the same logits as the full forward
 * for every kind of gate: none, heads off in some layers and in the last, a whole layer off (the
 * gate then runs as it is), and per-example gates (never sliced).
 */
class InferencePathTest {

  @Test
  void bertLogitsEqualTheFullForwardForEveryKindOfGate() {
    try (TinyBert bert = TinyBert.load()) {
      assertSameLogits(bert.model, bert.evaluation);
    }
  }

  @Test
  void vitLogitsEqualTheFullForwardForEveryKindOfGate() {
    try (TinyVit vit = TinyVit.load()) {
      assertSameLogits(vit.model, vit.evaluation);
    }
  }

  /**
   * A causal LM's inference runs the kept heads only as well — their query rows, the key/value
   * heads they read (a group whose heads are all off is not computed), their output columns — and
   * gives the logits (B, T, V) of the gated forward: grouped keys and values, sliding windows,
   * soft-caps, per-head query/key norms, Phi-3's fused projections.
   */
  @ParameterizedTest
  @ValueSource(
      strings = {"tiny-llama-gqa", "tiny-qwen2-swa", "tiny-gemma2", "tiny-qwen3", "tiny-phi3"})
  void decoderLogitsEqualTheFullForwardForEveryKindOfGate(String fixture) {
    Path dir = Fixtures.resource("fixtures/" + fixture);
    try (Checkpoint checkpoint = Models.open(dir);
        HeadModel model = Models.load(checkpoint, Device.cpu());
        Inputs inputs = Inputs.open(checkpoint, 128)) {
      assertSameLogits(model, inputs.read(dir.resolve("eval.jsonl")));
    }
  }

  private static void assertSameLogits(HeadModel model, List<Encoded> examples) {
    int[][] heads = model.heads();
    int layers = heads.length;
    int n = heads[0].length;
    List<Function<Integer, float[][]>> kinds = new ArrayList<>();
    kinds.add(size -> null); // no gates
    kinds.add(size -> uniform(layers, n, (l, h) -> (l + h) % 3 == 0 ? 0f : 1f)); // some off
    kinds.add(size -> uniform(layers, n, (l, h) -> l == layers - 1 && h > 0 ? 0f : 1f)); // last
    kinds.add(size -> uniform(layers, n, (l, h) -> l == 1 ? 0f : 1f)); // a whole layer off
    // the first half of layer 0 off: a whole key/value group of a grouped decoder
    kinds.add(size -> uniform(layers, n, (l, h) -> l == 0 && h < n / 2 ? 0f : 1f));
    // one head of each group off in the last layer, the rest kept: groups read by fewer heads
    kinds.add(size -> uniform(layers, n, (l, h) -> l == layers - 1 && h % 2 == 1 ? 0f : 1f));
    kinds.add(size -> uniform(layers, n, (l, h) -> h == 1 ? 0.5f : 1f)); // not zero or one
    int[] indices = new int[Math.min(6, examples.size())];
    for (int i = 0; i < indices.length; i++) {
      indices[i] = i;
    }
    for (int kind = 0; kind < kinds.size() + 1; kind++) {
      try (NDManager scope = model.manager().newSubManager()) {
        Batch batch = Encoded.batch(scope, examples, indices, model.config().padTokenId());
        List<NDArray> gates =
            kind < kinds.size()
                ? toGates(scope, kinds.get(kind).apply(indices.length), 1)
                : perExample(scope, indices.length, layers, n);
        float[] full = model.forward(batch, gates).logits().toFloatArray();
        float[] fast = model.logits(batch, gates).toFloatArray();
        assertThat(fast).hasSameSizeAs(full);
        for (int i = 0; i < full.length; i++) {
          assertThat((double) fast[i])
              .as("gate kind %d, logit %d", kind, i)
              .isCloseTo(full[i], Assertions.within(1e-5 * (1 + Math.abs(full[i]))));
        }
      }
    }
    // heads off do change the logits: the comparison above is not between two dense runs
    try (NDManager scope = model.manager().newSubManager()) {
      Batch batch = Encoded.batch(scope, examples, indices, model.config().padTokenId());
      float[] dense = model.logits(batch, null).toFloatArray();
      float[] pruned =
          model
              .logits(batch, toGates(scope, uniform(layers, n, (l, h) -> h == 0 ? 0f : 1f), 1))
              .toFloatArray();
      assertThat(pruned).isNotEqualTo(dense);
    }
  }

  private interface Value {
    float at(int layer, int head);
  }

  private static float[][] uniform(int layers, int heads, Value value) {
    float[][] gates = new float[layers][heads];
    for (int l = 0; l < layers; l++) {
      for (int h = 0; h < heads; h++) {
        gates[l][h] = value.at(l, h);
      }
    }
    return gates;
  }

  private static List<NDArray> toGates(NDManager scope, float[][] values, int rows) {
    if (values == null) {
      return null;
    }
    List<NDArray> gates = new ArrayList<>();
    for (float[] layer : values) {
      gates.add(scope.create(layer).reshape(rows, layer.length / rows));
    }
    return gates;
  }

  /** (B, N) gates, a different head off for each example. */
  private static List<NDArray> perExample(NDManager scope, int size, int layers, int heads) {
    float[][] values = new float[layers][size * heads];
    for (int l = 0; l < layers; l++) {
      Arrays.fill(values[l], 1f);
      for (int b = 0; b < size; b++) {
        values[l][b * heads + (b + l) % heads] = 0f;
      }
    }
    return toGates(scope, values, size);
  }
}
