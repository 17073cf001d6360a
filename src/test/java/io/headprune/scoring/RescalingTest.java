package io.headprune.scoring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.headprune.checkpoint.Checkpoint;
import io.headprune.model.Batch;
import io.headprune.model.HeadModel;
import io.headprune.model.Models;
import io.headprune.pruning.CheckpointPruner;
import io.headprune.pruning.PruneMode;
import io.headprune.support.Fixtures;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Recovery by rescaling ({@link Rescaling}): the ridge least squares against a hand computation,
 * the fit's guarantees on a real layer, and the checkpoints it folds into — for every family,
 * reloading pruned/ and masked/ gives the gated model with the scales applied.
 */
class RescalingTest {

  @TempDir Path dir;

  /**
   * Two heads, three tokens, one output feature: z₁ = (1, 2, 0), z₂ = (0, 1, 1), y = (1, 3, 2). G =
   * [[5, 2], [2, 2]], r = (7, 5), λ = 0.01 × mean(5, 2) = 0.035; (G + λI) s = r + λ·1 by Cramer's
   * rule.
   */
  @Test
  void solvesTheRidgeLeastSquaresOfTwoHeadsOnThreeTokens() {
    double[][] z = {{1, 2, 0}, {0, 1, 1}};
    double[] y = {1, 3, 2};
    double[][] gram = new double[2][2];
    double[] right = new double[2];
    for (int h = 0; h < 2; h++) {
      for (int t = 0; t < 3; t++) {
        right[h] += z[h][t] * y[t];
        for (int k = 0; k < 2; k++) {
          gram[h][k] += z[h][t] * z[k][t];
        }
      }
    }
    assertThat(gram).isEqualTo(new double[][] {{5, 2}, {2, 2}});
    assertThat(right).containsExactly(7, 5);
    double lambda = 0.035;
    double a = 5 + lambda;
    double b = 2;
    double d = 2 + lambda;
    double determinant = a * d - b * b;
    double s1 = ((7 + lambda) * d - b * (5 + lambda)) / determinant;
    double s2 = (a * (5 + lambda) - b * (7 + lambda)) / determinant;
    double[] scales = new double[2];
    Rescaling.solve(gram, right, new boolean[] {true, true}, scales);
    assertThat(scales[0]).isCloseTo(s1, within(1e-12));
    assertThat(scales[1]).isCloseTo(s2, within(1e-12));
    // without the ridge this is exact least squares: y = 1·z₁ + 2·z₂ fits only approximately, and
    // the ridge pulls toward 1 — the numbers differ from plain least squares by the λ terms
    assertThat(s1).isNotCloseTo((7 * 2 - 2 * 5) / 6.0, within(1e-6));

    // head 2 pruned: one equation, λ from the kept head's own G₁₁
    double[] one = new double[2];
    Rescaling.solve(gram, right, new boolean[] {true, false}, one);
    assertThat(one[0]).isCloseTo((7 + 0.05) / (5 + 0.05), within(1e-12));
    assertThat(one[1]).isZero();
  }

  @Test
  void nothingPrunedFitsScalesOfOneAndPruningLowersTheFirstLayersError() {
    Path fixture = Fixtures.tinyBert();
    try (Loaded loaded = Loaded.of(fixture, fixture)) {
      ScaledHeads none = Rescaling.fit(loaded.model, loaded.calibration, Set.of(), 8);
      for (double[] layer : none.scales()) {
        for (double scale : layer) {
          assertThat(scale).isCloseTo(1, within(1e-4));
        }
      }
      Set<HeadRef> off = Set.of(new HeadRef(0, 1), new HeadRef(0, 2), new HeadRef(1, 0));
      ScaledHeads fitted = Rescaling.fit(loaded.model, loaded.calibration, off, 8);
      assertThat(fitted).isEqualTo(Set.copyOf(off)); // as a set: the heads gated off
      assertThat(fitted.scale(new HeadRef(0, 1))).isZero();
      assertThat(fitted.scale(new HeadRef(0, 0))).isNotCloseTo(1, within(1e-3));
      double plain = firstLayerError(loaded, off);
      double rescaled = firstLayerError(loaded, fitted);
      assertThat(rescaled).isLessThan(plain);
    }
  }

  /**
   * Every family: a rescaled selection written as pruned/ and masked/ reloads to the gated model
   * with the scales as gates (stock shapes and config; the scales live in the output projection).
   */
  @ParameterizedTest
  @CsvSource({
    "tiny-bert-order, true",
    "tiny-vit-shapes, true",
    "tiny-gpt2, true",
    "tiny-llama-gqa, false",
    "tiny-llama-gqa, true"
  })
  void reloadedCheckpointsEqualTheGatedModelWithItsScales(String name, boolean physical) {
    Path fixture = Fixtures.resource("fixtures/" + name);
    ScaledHeads fitted;
    float[] gated;
    float[] plain;
    try (Loaded loaded = Loaded.of(fixture, fixture)) {
      int[][] heads = loaded.model.heads();
      Set<HeadRef> off = new HashSet<>();
      for (int l = 0; l < heads.length; l++) {
        if (name.contains("llama")) {
          // the first key/value group (4 query heads of 8): a stock config with fewer heads
          for (int h = 0; h < 4; h++) {
            off.add(new HeadRef(l, heads[l][h]));
          }
        } else {
          off.add(new HeadRef(l, heads[l][l % heads[l].length]));
        }
      }
      fitted = Rescaling.fit(loaded.model, loaded.calibration, off, 8);
      gated = loaded.logits(fitted);
      plain = loaded.logits(off);
    }
    assertThat(relativeDifference(plain, gated)).isGreaterThan(1e-4); // the scales matter
    List<PruneMode> modes =
        physical ? List.of(PruneMode.PHYSICAL, PruneMode.MASKED) : List.of(PruneMode.MASKED);
    for (PruneMode mode : modes) {
      Path out = dir.resolve(name + "-" + mode);
      try (Checkpoint checkpoint = Models.open(fixture)) {
        CheckpointPruner.write(checkpoint, fitted, mode, out);
      }
      try (Loaded reloaded = Loaded.of(out, fixture)) {
        assertThat(relativeDifference(reloaded.logits(Set.of()), gated))
            .as("%s %s", name, mode)
            .isLessThan(1e-5);
      }
    }
  }

  /** Σ over real tokens of ‖y_pruned − y_dense‖² at layer 0's attention output (before bias). */
  private static double firstLayerError(Loaded loaded, Collection<HeadRef> gatedOff) {
    HeadModel model = loaded.model;
    double error = 0;
    int[] indices = new int[loaded.calibration.size()];
    for (int i = 0; i < indices.length; i++) {
      indices[i] = i;
    }
    try (NDManager scope = model.manager().newSubManager()) {
      Batch batch = Encoded.batch(scope, loaded.calibration, indices, model.config().padTokenId());
      NDArray weight = model.outputWeight(0, scope); // (E, N·D)
      NDArray dense = attentionOutput(model, batch, null, weight);
      NDArray pruned =
          attentionOutput(model, batch, ModelRunner.gates(scope, model.heads(), gatedOff), weight);
      float[] difference = pruned.sub(dense).toFloatArray(); // (B, T, E)
      int[] lengths = batch.lengths();
      long tokens = dense.getShape().get(1);
      long features = dense.getShape().get(2);
      for (int b = 0; b < lengths.length; b++) {
        for (int t = 0; t < lengths[b]; t++) {
          for (int e = 0; e < features; e++) {
            double v = difference[(int) ((b * tokens + t) * features + e)];
            error += v * v;
          }
        }
      }
    }
    return error;
  }

  /** Layer 0's context (B, N, T, D) through its output projection: (B, T, E). */
  private static NDArray attentionOutput(
      HeadModel model, Batch batch, List<NDArray> gates, NDArray weight) {
    List<NDArray> contexts = new ArrayList<>();
    model.forward(batch, gates, contexts::add);
    NDArray context = contexts.get(0);
    long b = context.getShape().get(0);
    long t = context.getShape().get(2);
    NDArray transposed = weight.transpose(); // (N·D, E)
    transposed.attach(context.getManager());
    return context.transpose(0, 2, 1, 3).reshape(b, t, -1).matMul(transposed);
  }

  private static double relativeDifference(float[] actual, float[] expected) {
    assertThat(actual).hasSameSizeAs(expected);
    double worst = 0;
    double scale = 0;
    for (int i = 0; i < actual.length; i++) {
      worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
      scale = Math.max(scale, Math.abs(expected[i]));
    }
    return worst / Math.max(scale, 1e-12);
  }

  /** A model with the fixture's calibration and evaluation examples. */
  private record Loaded(HeadModel model, List<Encoded> calibration, List<Encoded> evaluation)
      implements AutoCloseable {

    static Loaded of(Path model, Path data) {
      try (Checkpoint checkpoint = Models.open(model);
          Inputs inputs = Inputs.open(checkpoint, 64)) {
        HeadModel loaded = Models.load(checkpoint, Device.cpu());
        List<Encoded> evaluation = inputs.read(data.resolve("eval.jsonl"));
        return new Loaded(
            loaded,
            inputs.read(data.resolve("calib.jsonl")),
            evaluation.subList(0, Math.min(16, evaluation.size())));
      }
    }

    /** Every logit on the evaluation examples (one batch), with {@code gatedOff}'s gates. */
    float[] logits(Collection<HeadRef> gatedOff) {
      int[] indices = new int[evaluation.size()];
      for (int i = 0; i < indices.length; i++) {
        indices[i] = i;
      }
      try (NDManager scope = model.manager().newSubManager()) {
        Batch batch = Encoded.batch(scope, evaluation, indices, model.config().padTokenId());
        return model
            .logits(batch, ModelRunner.gates(scope, model.heads(), gatedOff))
            .toFloatArray();
      }
    }

    @Override
    public void close() {
      model.close();
    }
  }
}
